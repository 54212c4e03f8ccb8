"""Django views (not DRF): who may call a function view or a class-based view.

A function view is protected by an authenticating decorator (on the ``def`` or applied in
``urls.py``) or by an inline ``request.user`` check that refuses. A class-based view by a
class decorator, an ``as_view()`` override returning a decorated view, a mixin or ``dispatch()``
check that really runs (:mod:`~mtlsguard.scan.analysis.dispatch`), or a per-handler decorator or
check (then per method). Otherwise a login-required middleware decides, unless the view opts out
(``@login_not_required``) or is public by design; without one, the view is open. A certificate
header check anywhere on the way, with no user check, is an mTLS-only gate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mtlsguard.findings.model import Protection
from mtlsguard.scan.analysis.configuration import ProjectConfiguration
from mtlsguard.scan.analysis.decorators import DecoratorEffects, DecoratorReader
from mtlsguard.scan.analysis.dispatch import dispatch_chain, is_login_view, served_methods
from mtlsguard.scan.analysis.helper_gates import helper_gate
from mtlsguard.scan.analysis.path_gate import refuses_route
from mtlsguard.scan.analysis.route import RouteAnalysis, any_open, confidence_of
from mtlsguard.scan.analysis.secrets import secret_gate
from mtlsguard.scan.knowledge import DJANGO_VIEW_METHODS, HTTP_METHODS, short_of
from mtlsguard.scan.linearisation import Linearisation
from mtlsguard.scan.project_model import (
    Call,
    ClassModel,
    FunctionModel,
    ProjectModel,
    Ref,
    RouteModel,
)

__all__ = ["DjangoViews", "FunctionView", "function_gate"]

_PROCESS_FORM = "django.views.generic.edit.ProcessFormView"
"""Django's form views answer PUT with ``self.post()``: the gates of ``post()`` hold for PUT."""


@dataclass(slots=True)
class _ClassGates:
    """Everything found on the way to a class-based view's handlers."""

    auth: list[str] = field(default_factory=list)
    per_method: dict[str, str] = field(default_factory=dict)
    cert: list[str] = field(default_factory=list)
    trivial: list[str] = field(default_factory=list)
    exempt: bool = False
    handlers: set[str] = field(default_factory=set)

    def add(self, effects: DecoratorEffects) -> None:
        self.auth.extend(effects.auth)
        self.per_method.update(effects.per_method_auth)
        self.exempt = self.exempt or effects.exempt
        self.trivial.extend(effects.trivial)


@dataclass(frozen=True, slots=True)
class FunctionView:
    """A route served by a project function, with what its decorators and body say."""

    route: RouteModel
    func: FunctionModel
    effects: DecoratorEffects
    """The decorators' effect, route wrappers included."""
    cert_notes: list[str]
    """Certificate checks in the decorators or the body."""
    public: bool
    """Public by design (a login or health view)."""


def function_gate(
    method: str, effects: DecoratorEffects, func: FunctionModel, project: ProjectModel
) -> Protection | None:
    """What a view function's own decorators or inline ``request.user`` check decide, if any.

    DRF's ``@api_view`` functions are Django views underneath: the same gates come first. A
    secret the caller must hold (a token compared, a signature, a secret-keyed record:
    :mod:`~mtlsguard.scan.analysis.secrets`) authenticates the request too.
    """
    if effects.auth:
        return Protection(method, True, "decorator", ", ".join(effects.auth))
    if func.facts.auth_guard:
        return Protection(method, True, "inline", "request.user check in body")
    if func.facts.secret_guard:
        return Protection(method, True, "inline", "secret-token check in body")
    secret = secret_gate(project, func)
    if secret:
        return Protection(method, True, "inline", secret)
    helper = helper_gate(project, func)
    if helper:
        return Protection(method, True, "inline", helper)
    return None


class DjangoViews:
    """Analyses Django function views and class-based views of one project."""

    def __init__(
        self,
        project: ProjectModel,
        configuration: ProjectConfiguration,
        decorators: DecoratorReader,
    ) -> None:
        self.project = project
        self.configuration = configuration
        self.decorators = decorators
        self.linearisation = Linearisation(project)
        """Expanded MROs of the project's classes, shared by every route."""

    def function_view(self, view: FunctionView) -> RouteAnalysis:
        """A function view."""
        effects = view.effects
        protections = [
            function_gate(method, effects, view.func, self.project)
            or self._dispatch_gate(method, view.func)
            or self.fallback(method, effects.exempt, effects.trivial, view.route)
            for method in effects.methods or ("*",)
        ]
        return self._analysis(view.route, view.func, protections, view.cert_notes, view.public)

    def _dispatch_gate(self, method: str, func: FunctionModel) -> Protection | None:
        """A view that only hands the request to protected views inherits their checks.

        ``def checks(request): if request.method == "POST": return create_check(request);
        return get_checks(request)``, both decorated with an API-key check: every ``return``
        calls a project view that refuses on its own, and the view fetches nothing itself.
        """
        returns = func.facts.returns
        if not returns or func.facts.lookups:
            return None
        labels: list[str] = []
        for value in returns:
            if not (isinstance(value, Call) and isinstance(value.func, Ref)):
                return None
            callee = self.project.function_named(value.func.name, parse=False)
            if callee is None or callee is func:
                return None
            gate = function_gate(
                method, self.decorators.effects(callee.decorators), callee, self.project
            )
            if gate is None:
                return None
            labels.append(f"{short_of(callee.qualname)}(): {gate.detail}")
        return Protection(
            method,
            True,
            "inline",
            "only calls protected views: " + "; ".join(dict.fromkeys(labels)),
        )

    def class_view(self, route: RouteModel, cls: ClassModel) -> RouteAnalysis:
        """A Django class-based view."""
        gates = self._class_gates(route, cls)
        chain = dispatch_chain(self.project, self.decorators, cls, self.linearisation)
        public = chain.public or is_login_view(self.project, cls)
        gates.auth.extend(chain.auth)
        gates.cert.extend(chain.cert)
        gates.trivial.extend(chain.trivial)
        gates.handlers.update(chain.methods)
        gates.handlers = served_methods(self.project, cls, gates.handlers, DJANGO_VIEW_METHODS)
        self._handler_checks(cls, gates)
        protections: list[Protection] = []
        for method in tuple(sorted(gates.handlers)) or ("*",):
            if gates.auth:
                detail = ", ".join(dict.fromkeys(gates.auth))
                protections.append(Protection(method, True, "class", detail))
            elif method in gates.per_method:
                protections.append(Protection(method, True, "decorator", gates.per_method[method]))
            else:
                protections.append(
                    self.fallback(method, gates.exempt or public, gates.trivial, route)
                )
        return self._analysis(route, cls, protections, gates.cert, public)

    def _analysis(
        self,
        route: RouteModel,
        view: FunctionModel | ClassModel,
        protections: list[Protection],
        cert_notes: list[str],
        public: bool,
    ) -> RouteAnalysis:
        """Certificate checks on the way (or in middleware) make an open view mTLS-only."""
        config = self.configuration
        return RouteAnalysis.of_view(
            route,
            view,
            "django",
            protections,
            confidence_of(protections),
            cert_gate=bool(cert_notes or config.cert_middleware) and any_open(protections),
            cert_evidence="; ".join(cert_notes) or config.cert_middleware_note(),
            public_by_design=public,
        )

    def fallback(
        self, method: str, exempt: bool, trivial: list[str], route: RouteModel
    ) -> Protection:
        """No protection in the view itself: a middleware decides, or nothing does."""
        config = self.configuration
        if not exempt and config.login_middleware:
            return Protection(method, True, "middleware", config.login_middleware)
        allowed = ""
        if not exempt and config.local_auth_middleware:
            name = config.local_auth_middleware
            decided = None
            if config.local_auth_paths is not None and not route.loose:
                decided = refuses_route(
                    config.local_auth_paths, route.pattern, self.project.settings
                )
            if decided:
                return Protection(method, True, "middleware", f"{name} (outside its allow-list)")
            if decided is False:
                allowed = f"; {name} lets anonymous callers through on this path (its allow-list)"
            elif config.local_auth_partial:
                # It checks the user only for some URLs; which ones is decided at run time.
                return Protection(method, None, "middleware", f"{name} (only for some paths)")
            else:
                return Protection(method, True, "middleware", name)
        if not exempt and config.conditional_middleware:
            # A gate whose reach is decided at run time: undecided, not absent (MG101 lowers).
            name, checker = config.conditional_middleware
            return Protection(
                method,
                False,
                "middleware",
                f"no authentication check in the view; middleware {name} refuses when "
                f"{checker}() says no, but only under a condition it computes at run time "
                "(whether it covers this route is undecided)",
            )
        detail = "no authentication check"
        if exempt:
            detail = "exempt from login-required middleware (@login_not_required or public view)"
        if trivial:
            detail = ", ".join(trivial)
        if config.cert_middleware:
            detail += f"; only {config.cert_middleware[0]} checks a certificate header"
        return Protection(method, False, "none", detail + allowed)

    def _class_gates(self, route: RouteModel, cls: ClassModel) -> _ClassGates:
        """Route wrappers, class decorators, ``as_view()`` overrides and handler names."""
        wrap = self.decorators.effects(route.wrappers)
        gates = _ClassGates(cert=list(wrap.cert))
        gates.add(wrap)
        for entry in cls.mro:
            local = self.project.class_named(entry)
            if local is None:
                continue
            deco = self.decorators.effects(local.decorators)
            as_view = local.methods.get("as_view")
            if as_view is not None:
                # as_view() overridden to return the view wrapped in a decorator (pretix's
                # AdministratorPermissionRequiredMixin: administrator_permission_required()(view)).
                wrapped = self.decorators.effects(as_view.facts.returns)
                owner = short_of(local.qualname)
                deco.auth.extend(f"{a} in {owner}.as_view()" for a in wrapped.auth)
                deco.trivial.extend(wrapped.trivial)
            gates.add(deco)
            gates.handlers.update(name.upper() for name in local.methods if name in HTTP_METHODS)
        return gates

    def _handler_checks(self, cls: ClassModel, gates: _ClassGates) -> None:
        """Decorators and inline checks on each handler (``get``, ``post``...)."""
        # Sorted: the certificate notes become evidence text, which must not change from one
        # run to the next (set order follows the per-process string hash seed).
        for method in sorted(gates.handlers):
            found = self.project.method(cls, method.lower())
            if found is None and method == "PUT" and _PROCESS_FORM in self.linearisation.of(cls):
                found = self.project.method(cls, "post")  # ProcessFormView.put(): self.post()
            if found is None:
                continue
            meth = found[1]
            name = short_of(meth.qualname)
            sub = self.decorators.effects(meth.decorators)
            if sub.auth:
                gates.per_method.setdefault(method, sub.auth[0])
            if meth.facts.auth_guard:
                gates.per_method.setdefault(method, f"request.user check in {name}()")
            if meth.facts.secret_guard:
                gates.per_method.setdefault(method, f"secret-token check in {name}()")
            secret = secret_gate(self.project, meth)
            if secret:
                gates.per_method.setdefault(method, secret)
            helper = helper_gate(self.project, meth, cls)
            if helper:
                gates.per_method.setdefault(method, helper)
            if meth.facts.cert_guard:
                gates.cert.append(f"{name}() checks {', '.join(meth.facts.cert_keys)}")
