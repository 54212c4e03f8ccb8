"""What the decorators on a view do: :class:`DecoratorEffects`.

Decorators come from the ``def``/``class`` line, from ``urls.py`` (``login_required(views.x)``),
from ``method_decorator`` on ``dispatch`` or one handler, and from the ``as_view()`` a class
overrides. Known ones are recognised by name (``login_required``, ``permission_required``,
``login_not_required``, DRF's ``@api_view``/``@permission_classes``...); a project decorator
protects when its body (or a wrapper inside it) checks ``request.user`` or when it wraps a known
one, followed a few calls deep. ``user_passes_test(lambda u: True)`` protects nobody.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from mtlsguard.scan.analysis.secrets import secret_gate
from mtlsguard.scan.knowledge import (
    AUTH_DECORATORS,
    EXEMPT_DECORATORS,
    external_short,
    short_of,
)
from mtlsguard.scan.project_model import (
    Call,
    Const,
    Expr,
    FunctionModel,
    Lambda,
    ProjectModel,
    Ref,
    Seq,
)

__all__ = ["DecoratorEffects", "DecoratorReader", "unwrapped"]

_MAX_DEPTH = 4
"""How deep project decorators are followed (a decorator wrapping a decorator...)."""
_METHOD_DECORATORS = {
    "require_GET": ("GET",),
    "require_POST": ("POST",),
    "require_safe": ("GET", "HEAD"),
}


@dataclass(slots=True)
class DecoratorEffects:
    """What a list of decorators does to a view."""

    auth: list[str] = field(default_factory=list)
    """Labels of decorators that refuse anonymous users (``@login_required``)."""
    exempt: bool = False
    """Exempt from a login-required middleware (``@login_not_required``)."""
    cert: list[str] = field(default_factory=list)
    """Project decorators that only check a certificate header."""
    trivial: list[str] = field(default_factory=list)
    """Checks that let everybody through (``@user_passes_test(lambda u: True)``)."""
    api_view: tuple[str, ...] | None = None
    """DRF ``@api_view`` methods: the function is a DRF view."""
    permissions: Expr | None = None
    """DRF ``@permission_classes(...)``."""
    authentication: Expr | None = None
    """DRF ``@authentication_classes(...)``."""
    methods: tuple[str, ...] | None = None
    """Methods allowed by ``@require_http_methods`` & co."""
    per_method_auth: dict[str, str] = field(default_factory=dict)
    """``method_decorator(login_required, name="post")``: method -> label."""

    def add_auth(self, label: str, method_name: str | None) -> None:
        """Record an authenticating decorator, for the whole view or one handler."""
        if method_name:
            self.per_method_auth[method_name.upper()] = label
        else:
            self.auth.append(label)


class DecoratorReader:
    """Reads decorator expressions of one project into :class:`DecoratorEffects`."""

    def __init__(
        self,
        project: ProjectModel,
        exemptions: frozenset[str] = frozenset(),
        principals: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.project = project
        self.exemptions = exemptions
        """Marks the project's login middleware lets through (a decorator recording a view in
        one of them exempts it, like ``@login_not_required``)."""
        self.principals = dict(principals)
        """Request attributes a middleware sets for signed-in callers only -> that middleware."""

    def principal_gate(self, func: FunctionModel) -> str:
        """Why ``func`` refuses anonymous callers through a request principal, or ``""``.

        ``if not request.current_organization: return redirect(...)`` where a middleware sets
        ``request.current_organization`` only once the caller signed in.
        """
        for name in func.facts.capabilities.request_refusals:
            if name in self.principals:
                return (
                    f"refuses without request.{name}, which {self.principals[name]} sets for "
                    "signed-in callers only"
                )
        return ""

    def effects(self, decorators: Iterable[Expr]) -> DecoratorEffects:
        """The combined effect of ``decorators`` (outermost first)."""
        effects = DecoratorEffects()
        for deco in decorators:
            self._effect(deco, effects, 0)
        return effects

    def _effect(
        self, deco: Expr, effects: DecoratorEffects, depth: int, method_name: str | None = None
    ) -> None:
        func: Expr = deco.func if isinstance(deco, Call) else deco
        if isinstance(func, Call):
            # permission_required("x")(view) written as a wrapper in urls.py
            self._effect(func, effects, depth, method_name)
            return
        if not isinstance(func, Ref):
            return
        declared = self.project.declared.guard(func.name)
        if declared:
            effects.add_auth(f"@{func.short} (declared guard {declared!r})", method_name)
            return
        local = self.project.function_named(func.name)
        if local is not None and depth < _MAX_DEPTH and external_short(func.name) is None:
            self._local_decorator(local, effects, depth, method_name)
            return
        call = deco if isinstance(deco, Call) else None
        self._known(func.short, call, effects, depth, method_name)

    def _known(
        self,
        short: str,
        call: Call | None,
        effects: DecoratorEffects,
        depth: int,
        method_name: str | None,
    ) -> None:
        """A decorator of Django, DRF or a known package, by its name and arguments."""
        args = call.args if call is not None else ()
        if short == "method_decorator" and args:
            self._method_decorator(call, args[0], effects, depth, method_name)
        elif short == "user_passes_test":
            test = args[0] if args else None
            if isinstance(test, Lambda) and test.constant is not None and test.constant.value:
                effects.trivial.append("@user_passes_test(lambda u: True)")
            elif isinstance(test, Lambda) and test.anonymous:
                effects.trivial.append("@user_passes_test(lambda admitting anonymous users)")
            elif isinstance(test, Ref) and self._admits_anonymous(test):
                effects.trivial.append(f"@user_passes_test({test.short}) admits anonymous users")
            else:
                effects.add_auth(f"@{short}", method_name)
        elif short in AUTH_DECORATORS:
            effects.add_auth(f"@{short}", method_name)
        elif short in EXEMPT_DECORATORS:
            effects.exempt = True
        elif short == "api_view":
            first = args[0] if args else (call.kwarg("http_method_names") if call else None)
            effects.api_view = _method_names(first) if isinstance(first, Seq) else ("GET",)
        elif short == "permission_classes" and args:
            effects.permissions = args[0]
        elif short == "authentication_classes" and args:
            effects.authentication = args[0]
        elif short == "require_http_methods" and args and isinstance(args[0], Seq):
            effects.methods = _method_names(args[0])
        elif short in _METHOD_DECORATORS:
            effects.methods = _METHOD_DECORATORS[short]

    def _method_decorator(
        self,
        call: Call | None,
        decorators: Expr,
        effects: DecoratorEffects,
        depth: int,
        method_name: str | None,
    ) -> None:
        """``method_decorator(login_required, name="dispatch")`` on a class or a method."""
        target = call.kwarg("name") if call is not None else None
        target_name = (
            target.value if isinstance(target, Const) and isinstance(target.value, str) else None
        )
        inner = decorators.items if isinstance(decorators, Seq) else (decorators,)
        for item in inner:
            if target_name in (None, "dispatch"):
                self._effect(item, effects, depth + 1, method_name)
            else:
                sub = DecoratorEffects()
                self._effect(item, sub, depth + 1)
                if sub.auth:
                    effects.per_method_auth[target_name.upper()] = sub.auth[0]

    def _admits_anonymous(self, test: Ref) -> bool:
        """``test`` is a project function certainly true for ``AnonymousUser``."""
        func = self.project.function_named(test.name)
        return func is not None and func.facts.true_for_anonymous

    # --- project decorators ----------------------------------------------------------------

    def _local_decorator(
        self,
        func: FunctionModel,
        effects: DecoratorEffects,
        depth: int,
        method_name: str | None,
    ) -> None:
        """A project decorator: protects if it checks the user or wraps a known decorator."""
        label = f"@{short_of(func.qualname)} ({func.qualname})"
        facts = func.facts
        if self.exemptions and facts.exemption_marks.records in self.exemptions:
            effects.exempt = True
            return
        if facts.admits_anonymous:
            effects.trivial.append(f"{label}: its user_passes_test predicate admits anonymous")
            return
        if facts.auth_guard:
            effects.add_auth(label + " checks request.user", method_name)
            return
        if facts.capabilities.credential_guard:
            effects.add_auth(label + " resolves a credential the caller sends", method_name)
            return
        principal = self.principal_gate(func)
        if principal:
            effects.add_auth(f"{label} {principal}", method_name)
            return
        secret = "secret-token check" if facts.secret_guard else secret_gate(self.project, func)
        if secret:
            effects.add_auth(f"{label} refuses without a secret: {secret}", method_name)
            return
        wrapped = self._wrapped_auth(func, depth) or self._built_auth(func, depth)
        if wrapped is not None:
            effects.add_auth(f"{label} {wrapped}", method_name)
            return
        for value in facts.returns:
            sub = DecoratorEffects()
            self._effect(value, sub, depth + 1)
            if sub.auth:
                effects.add_auth(f"{label} wraps {sub.auth[0]}", method_name)
                return
            if sub.trivial:
                effects.trivial.extend(sub.trivial)
        if "user_passes_test" in {short_of(c) for c in facts.calls}:
            effects.add_auth(f"{label} wraps @user_passes_test", method_name)
            return
        if facts.cert_guard:
            effects.cert.append(f"{label} checks {', '.join(facts.cert_keys)}")

    def _built_auth(self, func: FunctionModel, depth: int) -> str | None:
        """The decorator is what a checking factory made of it (``built by @x``).

        ``@class_or_function_check_decorator`` on ``def manager_required(user): return
        user.is_manager``: the name is bound to the factory's wrapper, which refuses unless the
        predicate accepts ``request.user``.
        """
        if depth >= _MAX_DEPTH:
            return None
        for deco in func.decorators:
            sub = DecoratorEffects()
            self._effect(deco, sub, depth + 1)
            if sub.auth:
                return f"built by {sub.auth[0]}"
        return None

    def _wrapped_auth(self, func: FunctionModel, depth: int) -> str | None:
        """How ``func``'s callees authenticate (``wraps @login_required``, ``-> @x ...``)."""
        for callee in func.facts.calls:
            short = short_of(callee)
            if short in AUTH_DECORATORS and short != "user_passes_test":
                return f"wraps @{short}"
            inner = self.project.function_named(callee)
            if inner is not None and inner is not func and depth < _MAX_DEPTH:
                sub = DecoratorEffects()
                self._local_decorator(inner, sub, depth + 1, None)
                if sub.auth:
                    return f"-> {sub.auth[0]}"
        return None


def _method_names(methods: Seq) -> tuple[str, ...]:
    """``["get", "post"]`` -> ``("GET", "POST")``."""
    return tuple(str(m.value).upper() for m in methods.items if isinstance(m, Const))


def unwrapped(decorators: Iterable[Expr]) -> Iterator[Expr]:
    """Each decorator, ``method_decorator(x)`` (Django's public adapter) replaced by ``x``."""
    for deco in decorators:
        if (
            isinstance(deco, Call)
            and isinstance(deco.func, Ref)
            and deco.func.short == "method_decorator"
            and deco.args
        ):
            inner = deco.args[0]
            yield from inner.items if isinstance(inner, Seq) else (inner,)
        else:
            yield deco
