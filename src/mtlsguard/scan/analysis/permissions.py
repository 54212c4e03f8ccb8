"""The DRF permission algebra: may an anonymous caller pass a view's ``permission_classes``.

A list is an AND; ``&``, ``|`` and ``~`` compose as DRF's ``OperandHolder`` does; a value chosen
at run time (``A if DEBUG else B``) is open when either side is. Known classes are decided by
name (``AllowAny``, ``IsAuthenticated``, ``*OrReadOnly`` per method...); a project class by its
``has_permission``: always ``True``, a ``SAFE_METHODS`` shortcut, a look at the user, or only a
certificate header (an mTLS-only gate). Each answer is a :class:`Verdict`.
"""

from __future__ import annotations

from dataclasses import dataclass

from mtlsguard.findings.model import Protection
from mtlsguard.scan.knowledge import OPEN_DRF_VIEWS, SAFE_METHODS, short_of
from mtlsguard.scan.project_model import (
    BinOp,
    Call,
    ClassModel,
    Const,
    Expr,
    FunctionFacts,
    FunctionModel,
    IfExpr,
    ProjectModel,
    Ref,
    RouteModel,
    Seq,
    Unary,
    Unknown,
)

__all__ = [
    "PermissionAlgebra",
    "Verdict",
    "action_kwarg",
    "external_attribute",
    "view_permission_classes",
]

_ALLOW = frozenset({"AllowAny"})
_REQUIRE = frozenset(
    {
        "IsAuthenticated",
        "IsAdminUser",
        "DjangoModelPermissions",
        "DjangoObjectPermissions",
        "TokenHasScope",
        "TokenHasReadWriteScope",
        "TokenHasResourceScope",
        "IsAuthenticatedOrTokenHasScope",
        "TokenMatchesOASRequirements",
        "HasAPIKey",
    }
)
_READ_ONLY = frozenset({"IsAuthenticatedOrReadOnly", "DjangoModelPermissionsOrAnonReadOnly"})
_MAX_DEPTH = 8


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether anonymous callers pass a permission expression for one method."""

    allows_anon: bool | None
    """``True`` open, ``False`` refused, ``None`` undecidable."""
    detail: str
    """What decided it, for evidence (``IsAuthenticated | AllowAny``)."""
    cert: bool = False
    """The open answer comes from a class that only checks a certificate header."""
    certain: bool = True
    """False when part of the answer is a guess or decided at run time."""

    def protection(self, method: str, decided: str, source: str) -> Protection:
        """The :class:`Protection` of ``method`` this verdict amounts to."""
        authenticated = None if self.allows_anon is None else not self.allows_anon
        return Protection(method, authenticated, decided, f"{self.detail} ({source})")


def view_permission_classes(
    project: ProjectModel, route: RouteModel, cls: ClassModel
) -> tuple[Expr, str] | None:
    """The view's own ``permission_classes`` and where they are set, if anywhere.

    ``as_view(permission_classes=...)`` in the URLconf wins over the class attribute, which is
    looked up along the MRO; ``None`` means DRF's ``DEFAULT_PERMISSION_CLASSES`` apply.
    """
    given = route.initkwarg("permission_classes")
    if given is not None:
        return given, "as_view(permission_classes=...)"
    for entry in cls.mro:
        # @permission_classes((IsAuthenticated,)) on a class sets the attribute after its body
        local = project.class_named(entry)
        if local is None:
            break
        for deco in local.decorators:
            if (
                isinstance(deco, Call)
                and isinstance(deco.func, Ref)
                and deco.func.name == "rest_framework.decorators.permission_classes"
                and deco.args
            ):
                return deco.args[0], f"@permission_classes on {short_of(local.qualname)}"
        if "permission_classes" in local.attributes:
            break
    found = project.attribute(cls, "permission_classes")
    if found is not None:
        return found[1], f"{short_of(found[0].qualname)}.permission_classes"
    return external_attribute(cls, "permission_classes")


def action_kwarg(func: FunctionModel | None, name: str) -> Expr | None:
    """``name`` given to DRF's ``@action(...)`` on ``func`` (``permission_classes``...), if any.

    The documented decorator of a viewset's extra action replaces the viewset's own attribute
    of that name for the action.
    """
    for deco in func.decorators if func is not None else ():
        if isinstance(deco, Call) and isinstance(deco.func, Ref) and deco.func.short == "action":
            return deco.kwarg(name)
    return None


def external_attribute(cls: ClassModel, name: str) -> tuple[Expr, str] | None:
    """``permission_classes``/``authentication_classes`` an external base is known to set.

    Only for bases outside the project (not modelled): simplejwt's views set both to ``()``.
    """
    for entry in cls.mro:
        if entry.startswith(OPEN_DRF_VIEWS):
            return Seq(()), f"{short_of(entry)}.{name} (simplejwt's TokenViewBase: ())"
    return None


class PermissionAlgebra:
    """Evaluates permission expressions of one project."""

    def __init__(self, project: ProjectModel) -> None:
        self.project = project

    def verdict(self, expr: Expr, method: str, depth: int = 0) -> Verdict:
        """Whether an anonymous ``method`` request passes ``expr``."""
        if depth > _MAX_DEPTH:
            return Verdict(None, "too deep", certain=False)
        if isinstance(expr, Seq):
            if not expr.items:
                return Verdict(True, "empty permission_classes")
            return _and([self.verdict(i, method, depth + 1) for i in expr.items])
        if isinstance(expr, Call):
            return self.verdict(expr.func, method, depth + 1)
        if isinstance(expr, Const) and isinstance(expr.value, str):
            return self.verdict(Ref(expr.value), method, depth + 1)
        if isinstance(expr, BinOp) and expr.op in ("&", "|"):
            left = self.verdict(expr.left, method, depth + 1)
            right = self.verdict(expr.right, method, depth + 1)
            return _and([left, right]) if expr.op == "&" else _or([left, right])
        if isinstance(expr, Unary) and expr.op == "~":
            inner = self.verdict(expr.operand, method, depth + 1)
            allows = None if inner.allows_anon is None else not inner.allows_anon
            return Verdict(allows, f"~{inner.detail}", inner.cert, inner.certain)
        if isinstance(expr, IfExpr):
            return _either(
                self.verdict(expr.body, method, depth + 1),
                self.verdict(expr.orelse, method, depth + 1),
            )
        if isinstance(expr, Ref):
            return self._class(expr.name, method, depth)
        if isinstance(expr, Unknown) and expr.text == "REST_FRAMEWORK":
            return Verdict(None, "REST_FRAMEWORK default not statically known", certain=False)
        return Verdict(None, "unknown permission value", certain=False)

    def _class(self, name: str, method: str, depth: int) -> Verdict:
        verdict = self._read_class(name, method, depth)
        if verdict.allows_anon is False or (verdict.allows_anon and verdict.certain):
            return verdict  # the code answers; a declaration only fills what it leaves open
        guard = self.project.declared.guard(name)
        if guard:
            return Verdict(False, f"{short_of(name)} (declared guard {guard!r})")
        return verdict

    def _read_class(self, name: str, method: str, depth: int) -> Verdict:
        short = short_of(name)
        cls = self.project.class_named(name)
        if cls is None:
            return _known_class(short, method)
        for entry in cls.mro:
            local = self.project.class_named(entry)
            if local is None:
                if short_of(entry) in ("BasePermission", "object"):
                    return Verdict(True, f"{short} does not override has_permission (allows all)")
                inherited = self._class(entry, method, depth + 1)
                return Verdict(
                    inherited.allows_anon,
                    f"{short}({inherited.detail})",
                    inherited.cert,
                    inherited.certain,
                )
            meth = local.methods.get("has_permission")
            if meth is not None:
                return _project_class(short, meth.facts, method)
        return Verdict(True, f"{short} does not override has_permission (allows all)")


def _known_class(short: str, method: str) -> Verdict:
    """A class outside the project, by name."""
    if short in _ALLOW:
        return Verdict(True, short)
    if short in _REQUIRE:
        return Verdict(False, short)
    if short in _READ_ONLY:
        return Verdict(method in SAFE_METHODS, short)
    if short in ("BasePermission", "object"):
        return Verdict(True, "BasePermission.has_permission returns True")
    return Verdict(None, short, certain=False)


def _project_class(short: str, facts: FunctionFacts, method: str) -> Verdict:
    """A project class by what its ``has_permission`` does.

    ``if not request.user...: raise PermissionDenied`` refuses as ``return False`` does: a body
    with such a guard is not "always ``True``" even if every ``return`` says ``True``.
    """
    constant_yes = facts.returns and all(isinstance(r, Const) and r.value for r in facts.returns)
    if constant_yes and not facts.auth_guard:
        return Verdict(True, f"{short}.has_permission always returns True")
    if facts.safe_methods_shortcut and method in SAFE_METHODS:
        return Verdict(True, f"{short} allows safe methods to anyone")
    if facts.auth_guard or facts.mentions_user:
        return Verdict(False, short)
    if facts.cert_keys:
        return Verdict(True, f"{short} checks only {', '.join(facts.cert_keys)}", cert=True)
    return Verdict(False, f"{short} (custom check)", certain=False)


def _and(verdicts: list[Verdict]) -> Verdict:
    detail = " & ".join(v.detail for v in verdicts)
    certain = all(v.certain for v in verdicts)
    if any(v.allows_anon is False for v in verdicts):
        return Verdict(False, detail, False, certain)
    if all(v.allows_anon for v in verdicts):
        return Verdict(True, detail, any(v.cert for v in verdicts), certain)
    return Verdict(None, detail, False, False)


def _or(verdicts: list[Verdict]) -> Verdict:
    detail = " | ".join(v.detail for v in verdicts)
    certain = all(v.certain for v in verdicts)
    if any(v.allows_anon for v in verdicts):
        return Verdict(True, detail, any(v.cert for v in verdicts if v.allows_anon), certain)
    if all(v.allows_anon is False for v in verdicts):
        return Verdict(False, detail, False, certain)
    return Verdict(None, detail, False, False)


def _either(a: Verdict, b: Verdict) -> Verdict:
    """A value decided at run time between ``a`` and ``b``."""
    detail = f"{a.detail} or {b.detail} (decided at run time)"
    if a.allows_anon or b.allows_anon:
        # Open in at least one configuration: report it, with low confidence.
        return Verdict(True, detail, a.cert or b.cert, False)
    if a.allows_anon is False and b.allows_anon is False:
        return Verdict(False, detail, False, False)
    return Verdict(None, detail, False, False)
