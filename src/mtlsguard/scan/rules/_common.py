"""Helpers shared by rule modules: evidence text, small value evaluation, shared downgrades."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from mtlsguard.findings.model import Confidence, Finding, Severity
from mtlsguard.scan.analysis.caller_owned import caller_scoped
from mtlsguard.scan.analysis.ownership import tenant_paths
from mtlsguard.scan.analysis.permissions import view_permission_classes
from mtlsguard.scan.analysis.relation_names import shared_relation
from mtlsguard.scan.analysis.roles import RoleGate
from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.context import RuleContext
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import (
    BinOp,
    ClassModel,
    Const,
    Expr,
    IfExpr,
    ProjectModel,
    Unary,
)

__all__ = [
    "ATTRIBUTION_NOTE",
    "UUID_NOTE",
    "at_most_medium",
    "attribution_only",
    "describe_protections",
    "effective_permissions",
    "number",
    "permission_downgrade",
    "test_suite_settings",
    "typo_note",
    "url_keywords",
    "user_reachable",
    "uuid_keyed",
    "where",
]

_CONVERTER = re.compile(r"<(?:(?P<conv>[A-Za-z_][\w]*):)?(?P<name>[A-Za-z_]\w*)>")


def describe_protections(analysis: RouteAnalysis, *, only_open: bool = False) -> str:
    """``GET, POST: AllowAny (DRF implicit default AllowAny)`` grouped by detail."""
    groups: dict[str, list[str]] = {}
    for p in analysis.protections:
        if only_open and p.authenticated is not False:
            continue
        groups.setdefault(p.detail or p.decided_by, []).append(p.method)
    return "; ".join(f"{', '.join(methods)}: {detail}" for detail, methods in groups.items())


def where(analysis: RouteAnalysis) -> str:
    """``billing.views.BillingView at billing/`` for messages."""
    return f"{analysis.view or '?'} at /{analysis.route.pattern.lstrip('^/')}"


def number(value: Expr) -> float | None:
    """Evaluate a numeric constant expression (``60 * 60 * 24 * 30``); None if not constant."""
    if isinstance(value, Const):
        if isinstance(value.value, bool) or not isinstance(value.value, int | float):
            return None
        return float(value.value)
    if isinstance(value, Unary) and value.op == "-":
        inner = number(value.operand)
        return None if inner is None else -inner
    if isinstance(value, IfExpr):
        a, b = number(value.body), number(value.orelse)
        if a is None:
            return b
        if b is None:
            return a
        return max(a, b)
    if isinstance(value, BinOp):
        left, right = number(value.left), number(value.right)
        if left is None or right is None:
            return None
        try:
            if value.op == "+":
                return left + right
            if value.op == "-":
                return left - right
            if value.op == "*":
                return left * right
            if value.op == "/":
                return left / right
            if value.op == "//":
                return left // right
            if value.op == "**" and abs(right) < 64:
                return float(left**right)
        except (ZeroDivisionError, OverflowError):
            return None
    return None


def url_keywords(pattern: str) -> set[str]:
    """The keyword arguments a route's pattern hands its view (``<int:pk>``, ``(?P<pk>...)``)."""
    return {m.group("name") for m in _CONVERTER.finditer(pattern)}


def uuid_keyed(pattern: str, names: tuple[str, ...] | None = None) -> bool:
    """The URL's object key is a ``<uuid:...>`` parameter (``names``: which ones; else the last).

    A random UUID cannot be enumerated like an integer id, so an unscoped lookup by it leaks an
    object only to someone who already has its link (a capability URL).
    """
    params = [(m.group("conv") or "str", m.group("name")) for m in _CONVERTER.finditer(pattern)]
    if not params:
        return False
    if names is None:
        return params[-1][0] == "uuid"
    keyed = [conv for conv, name in params if name in names]
    return bool(keyed) and all(conv == "uuid" for conv in keyed)


UUID_NOTE = (
    "; the key is a UUID from the URL: ids cannot be counted, but anyone holding a link gets "
    "the object"
)
"""Evidence suffix for findings downgraded by :func:`uuid_keyed`."""


def at_most_medium(severity: Severity | None) -> Severity:
    """A downgrade to medium that never raises a low (staff-only) finding."""
    return Severity.LOW if severity is Severity.LOW else Severity.MEDIUM


def permission_downgrade(gate: RoleGate | None) -> tuple[Severity | None, Confidence | None, str]:
    """Severity, confidence and evidence note of a BOLA finding behind ``gate``.

    Behind a global permission (``has_perm("app.codename")``) it is Django's meaning of a global
    permission, but who holds it is data the scan cannot see: the finding stays, with lower
    confidence and severity. Behind a staff flag (``is_staff``) the finding stays too, low: the
    flag admits a user to the admin but grants no permission on any object. Without a gate: the
    rule's defaults (``None``) and no note.
    """
    if gate is None:
        return None, None, ""
    if gate.role == "staff":
        return (
            Severity.LOW,
            Confidence.LOW,
            f"; only staff reach it ({gate.source}), but is_staff grants no permission on this "
            "object: a staff user without the object's permission acts on any record by id",
        )
    return (
        Severity.MEDIUM,
        Confidence.LOW,
        f"; only users with a global permission reach it ({gate.source}): by design if that "
        "permission belongs to a staff role, an IDOR if ordinary users hold it",
    )


_TYPO_ATTRIBUTES = (
    "permissions",
    "permission_class",
    "permissions_classes",
    "permission_classess",
    "permisson_classes",
    "permission_clases",
)
"""Attributes DRF never reads that were meant as ``permission_classes``."""


def typo_note(ctx: RuleContext, analysis: RouteAnalysis) -> str:
    """Evidence note for a ``permissions = [...]``-style typo on a DRF view, or ``""``."""
    cls = analysis.klass
    if cls is None or analysis.framework != "drf":
        return ""
    if ctx.project.attribute(cls, "permission_classes") is not None:
        return ""
    for name in _TYPO_ATTRIBUTES:
        found = ctx.project.attribute(cls, name)
        if found is not None:
            return (
                f"; {short_of(found[0].qualname)}.{name} is not a DRF attribute (did you mean "
                "permission_classes?): those permissions never run"
            )
    return ""


_TEST_PACKAGES = frozenset({"test", "tests"})


def test_suite_settings(ctx: RuleContext, findings: Iterable[Finding]) -> Iterator[Finding]:
    """Settings findings, informational when the settings module sits in a test package.

    A reusable app (Wagtail's ``wagtail/test/settings.py``, named by ``wagtail/test/manage.py``)
    ships settings for its own test suite; the scan falls back to them for want of a site, but
    no deployment runs them. A site's own settings module (``mysite.settings``, also
    ``mysite.settings.test``: a module, not a package) keeps its severity.
    """
    settings = ctx.project.settings
    packages = settings.module.split(".")[:-1] if settings is not None else []
    in_package = settings is not None and bool(_TEST_PACKAGES.intersection(packages))
    for found in findings:
        # tests/testshop/settings.py read as ``testshop.settings`` (``tests/`` is the import
        # root of a reusable app's test project): the folder says what the module name hides.
        folders = found.location.path.replace("\\", "/").split("/")[:-1] if found.location else []
        if settings is None or not (in_package or _TEST_PACKAGES.intersection(folders)):
            yield found
            continue
        note = (
            f"; {settings.module} is in a test package (or a tests/ folder): the settings of a "
            "test suite (a "
            "reusable app's), not a deployment's: informational"
        )
        yield replace(found, severity=Severity.INFO, evidence=found.evidence + note)


def effective_permissions(ctx: RuleContext, analysis: RouteAnalysis, cls: ClassModel) -> Expr:
    """The permission classes DRF runs for ``analysis``: the view's own, else the settings'.

    ``as_view(permission_classes=...)``, the class attribute along the MRO or a
    ``@permission_classes`` class decorator; without any, ``DEFAULT_PERMISSION_CLASSES``.
    """
    declared = view_permission_classes(ctx.project, analysis.route, cls)
    return declared[0] if declared is not None else ctx.analyzer.configuration.default_permissions


def user_reachable(
    ctx: RuleContext, analysis: RouteAnalysis
) -> tuple[Severity | None, Confidence | None, str] | None:
    """Severity, confidence and note of an authorization finding on ``analysis``, or None.

    None when the route is no place for one: not a Django/DRF view, open to anonymous callers
    (MG101's finding) or reserved for staff. Behind a global permission: see
    :func:`permission_downgrade`.
    """
    if analysis.framework not in ("django", "drf"):
        return None
    if all(p.authenticated is False for p in analysis.protections) and not analysis.cert_gate:
        return None
    gate = ctx.role_gate(analysis)
    if gate is not None and gate.role == "staff":
        return None
    return permission_downgrade(gate)


_AUTHORSHIP = frozenset({"creator", "author", "submitter", "poster"})
"""Not ``uploader``: who uploaded a file to a processing queue is usually its owner."""

ATTRIBUTION_NOTE = (
    "; its only relations to a user say who wrote or last handled a record (creator, *_by), "
    "not who may read it: in many apps such records are shared by design, so this is an IDOR "
    "only if they are private: low"
)


def attribution_only(project: ProjectModel, model: str | None, owners: tuple[str, ...]) -> bool:
    """Every owner relation is an attribution (``creator``, ``created_by``, ``taken_by``...).

    Kitsune's ``Question`` is "owned via creator, updated_by, marked_as_spam_by, taken_by", and
    doccano's ``Project`` via ``created_by``: who wrote a record, not who may read it. A
    relation through a tenant (``project__organization``), an ``owner``/``user`` field, or a
    model that also belongs to a tenant (doccano's ``Example`` has a ``project``) is ownership
    and keeps the finding as it is; so is a role or endorsement (``manager``, ``authors``) the
    project itself scopes by the caller (:func:`caller_scoped`).
    """
    if not owners or not all(
        "__" not in owner
        and (
            owner in _AUTHORSHIP
            or owner.endswith("_by")
            or (shared_relation(owner) and not caller_scoped(project, model, owner))
        )
        for owner in owners
    ):
        return False
    cls = project.class_named(model) if model else None
    return cls is None or not tenant_paths(project, cls)
