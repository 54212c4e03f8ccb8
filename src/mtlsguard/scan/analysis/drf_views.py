"""DRF views: who may call an ``@api_view`` function, an ``APIView`` or a viewset action.

Per method (per action for a viewset route) the first of these decides: an authenticating
decorator or ``dispatch()`` check on the view (Django's, which DRF's ``dispatch`` still runs),
a refusing user check in an ``initial()``/``check_permissions()`` override,
an inline ``request.user`` check in the handler, then the permission classes — an
``@action(permission_classes=...)``, the branch of a ``get_permissions()`` override that
applies, ``as_view(permission_classes=...)``, the class attribute, or ``REST_FRAMEWORK``'s
``DEFAULT_PERMISSION_CLASSES`` (DRF's implicit default is ``AllowAny``) — evaluated by
:mod:`~mtlsguard.scan.analysis.permissions`. Django's login-required middleware never covers a
DRF view (``APIView.as_view()`` marks it exempt).
"""

from __future__ import annotations

from mtlsguard.findings.model import Confidence, Protection
from mtlsguard.scan.analysis.authenticators import refusing_authentication
from mtlsguard.scan.analysis.dispatch import (
    declared_methods,
    dispatch_chain,
    is_login_view,
    served_methods,
    user_checking_methods,
)
from mtlsguard.scan.analysis.django_views import DjangoViews, FunctionView, function_gate
from mtlsguard.scan.analysis.helper_gates import helper_gate
from mtlsguard.scan.analysis.permissions import (
    PermissionAlgebra,
    action_kwarg,
    external_attribute,
    view_permission_classes,
)
from mtlsguard.scan.analysis.route import RouteAnalysis, any_open, confidence_of
from mtlsguard.scan.analysis.secrets import secret_gate
from mtlsguard.scan.knowledge import DRF_GENERIC_METHODS, DRF_VIEW_PACKAGES, HTTP_METHODS, short_of
from mtlsguard.scan.project_model import (
    ClassModel,
    Expr,
    FunctionModel,
    PermissionBranch,
    Ref,
    RouteModel,
    Seq,
)

__all__ = ["DrfViews", "is_drf_class"]

_Handler = tuple[ClassModel, FunctionModel]
_DRF_HOOKS = ("initial", "check_permissions")
_QUERYSET_ACTIONS = frozenset({"list", "retrieve", "update", "partial_update", "destroy"})
_QUERYSET_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
"""Actions and (without an action) methods whose generic handler reads ``get_queryset()``."""


def is_drf_class(cls: ClassModel) -> bool:
    """A view class built on DRF (``APIView``, generic views, viewsets).

    Also a subclass of a view of a package built on DRF when that package is not installed
    where the scan runs (its own bases are then unknown): djangorestframework-simplejwt's views
    (``TokenViewBase`` and the rest) are ``rest_framework.generics.GenericAPIView``s.
    """
    return any(e.startswith(DRF_VIEW_PACKAGES) for e in cls.mro)


class DrfViews:
    """Analyses DRF function and class views of one project."""

    def __init__(self, django: DjangoViews, permissions: PermissionAlgebra) -> None:
        # A DRF view is a Django view underneath: the same project, settings and decorators.
        self.project = django.project
        self.configuration = django.configuration
        self.decorators = django.decorators
        self.linearisation = django.linearisation
        self.permissions = permissions

    def function_view(self, view: FunctionView) -> RouteAnalysis:
        """An ``@api_view`` function."""
        func, effects, cert_notes = view.func, view.effects, list(view.cert_notes)
        config = self.configuration
        perms, decided, source = effects.permissions, "decorator", "@permission_classes"
        if perms is None:
            perms, decided, source = (
                config.default_permissions,
                "default",
                config.default_permission_source,
            )
        protections: list[Protection] = []
        certain = True
        cert = False
        for method in effects.api_view or ("GET",):
            gate = function_gate(method, effects, func, self.project)
            if gate is None and config.guard_middleware:
                gate = Protection(method, True, "middleware", config.guard_middleware)
            if gate is not None:
                protections.append(gate)
                continue
            verdict = self.permissions.verdict(perms, method)
            certain = certain and verdict.certain
            cert = cert or verdict.cert
            protections.append(verdict.protection(method, decided, source))
        if cert:
            cert_notes.append("permission class checks only a certificate header")
        confidence = confidence_of(protections)
        if not certain or (decided == "default" and config.default_conditional):
            confidence = min(confidence, Confidence.LOW)
        return RouteAnalysis.of_view(
            view.route,
            func,
            "drf",
            protections,
            confidence,
            cert_gate=bool(cert_notes) and any_open(protections),
            cert_evidence="; ".join(cert_notes),
            public_by_design=view.public,
            auth_disabled=self._auth_disabled(effects.authentication),
        )

    def class_view(self, route: RouteModel, cls: ClassModel) -> RouteAnalysis:
        """An ``APIView``, generic view or viewset (one route of it)."""
        deco_auth = list(self.decorators.effects(route.wrappers).auth)
        for entry in cls.mro:
            local = self.project.class_named(entry)
            if local is not None:
                deco_auth.extend(self.decorators.effects(local.decorators).auth)
        chain = dispatch_chain(self.project, self.decorators, cls, self.linearisation)
        deco_auth.extend(chain.auth)
        deco_auth.extend(self._hook_checks(cls))
        if self.configuration.guard_middleware:
            deco_auth.append(self.configuration.guard_middleware)
        pairs = self._methods(route, cls)
        public = is_login_view(self.project, cls)
        protections: list[Protection] = []
        cert_notes = list(chain.cert)
        certain = True
        from_default = False
        for method, action in pairs:
            handler = self.project.method(cls, action or method.lower())
            if deco_auth:
                protections.append(Protection(method, True, "decorator", ", ".join(deco_auth)))
                continue
            if handler is not None and handler[1].facts.auth_guard:
                detail = f"request.user check in {action or method.lower()}()"
                protections.append(Protection(method, True, "inline", detail))
                continue
            if handler is not None and handler[1].facts.secret_guard:
                detail = f"secret-token check in {action or method.lower()}()"
                protections.append(Protection(method, True, "inline", detail))
                continue
            secret = secret_gate(self.project, handler[1]) if handler is not None else ""
            secret = secret or (
                helper_gate(self.project, handler[1], cls)
                if handler
                else self._queryset_gate(cls, method, action)
            )
            if secret:
                protections.append(Protection(method, True, "inline", secret))
                continue
            perms, decided, source = self._permission_classes(route, cls, method, action, handler)
            from_default = from_default or decided == "default"
            verdict = self.permissions.verdict(perms, method)
            certain = certain and verdict.certain
            if verdict.cert:
                cert_notes.append(f"{source} checks only a certificate header")
            if handler is not None and handler[1].facts.cert_guard:
                keys = ", ".join(handler[1].facts.cert_keys)
                cert_notes.append(f"{short_of(handler[1].qualname)}() checks {keys}")
            protections.append(verdict.protection(method, decided, source))
        authentication = route.initkwarg("authentication_classes")
        if authentication is None:
            found = self.project.attribute(cls, "authentication_classes")
            external = external_attribute(cls, "authentication_classes")
            authentication = found[1] if found else (external[0] if external else None)
        protections = self._refusing_authentication(cls, authentication, pairs, protections)
        confidence = confidence_of(protections)
        if not certain or (from_default and self.configuration.default_conditional):
            confidence = min(confidence, Confidence.LOW)
        return RouteAnalysis.of_view(
            route,
            cls,
            "drf",
            protections,
            confidence,
            cert_gate=bool(cert_notes) and any_open(protections),
            cert_evidence="; ".join(dict.fromkeys(cert_notes)),
            public_by_design=public,
            auth_disabled=self._auth_disabled(authentication),
            method_actions=tuple((m, a) for m, a in pairs if a),
        )

    def _refusing_authentication(
        self,
        cls: ClassModel,
        authentication: Expr | None,
        pairs: list[tuple[str, str | None]],
        protections: list[Protection],
    ) -> list[Protection]:
        """Open methods whose authentication classes all refuse a missing credential."""
        refused: list[Protection] = []
        for (method, action), protection in zip(pairs, protections, strict=False):
            if protection.authenticated is not False:
                refused.append(protection)
                continue
            handler = self.project.method(cls, action) if action else None
            own = action_kwarg(handler[1] if handler else None, "authentication_classes")
            label = refusing_authentication(
                self.project, own if own is not None else authentication
            )
            refused.append(Protection(method, True, "class", label) if label else protection)
        return refused

    def _hook_checks(self, cls: ClassModel) -> list[str]:
        """``initial()``/``check_permissions()`` overrides that refuse without a user check.

        DRF runs both for every request before the handler (``initial`` calls
        ``check_permissions``), so a refusal there gates every method like ``dispatch()``.
        """
        found: list[str] = []
        for hook in _DRF_HOOKS:
            hit = self.project.method(cls, hook)
            if hit is None:
                continue
            where = f"{short_of(hit[0].qualname)}.{hook}()"
            if hit[1].facts.auth_guard:
                found.append(f"request.user check in {where}")
            found.extend(
                f"{where} refuses unless self.{name}() (a user check)"
                for name in user_checking_methods(self.project, cls, hit[1].facts.guard_methods)
            )
        return found

    def _auth_disabled(self, authentication: Expr | None) -> bool:
        """``authentication_classes = []`` on the view, or by default."""
        if authentication is None or self.configuration.auth_default(authentication):
            return self.configuration.default_auth_disabled
        return isinstance(authentication, Seq) and not authentication.items

    def _methods(self, route: RouteModel, cls: ClassModel) -> list[tuple[str, str | None]]:
        """(method, viewset action) pairs the route answers."""
        if route.actions:
            pairs: list[tuple[str, str | None]] = [(m.upper(), a) for m, a in route.actions]
            allowed = declared_methods(self.project, cls)
            kept = [(m, a) for m, a in pairs if allowed is None or m in allowed]
            return kept or pairs
        methods: set[str] = set()
        for entry in cls.mro:
            local = self.project.class_named(entry)
            if local is not None:
                methods.update(n.upper() for n in local.methods if n in HTTP_METHODS)
            else:
                methods.update(DRF_GENERIC_METHODS.get(short_of(entry), ()))
        methods = served_methods(self.project, cls, methods, DRF_GENERIC_METHODS)
        return [(m, None) for m in sorted(methods)] or [("*", None)]

    def _queryset_gate(self, cls: ClassModel, method: str, action: str | None) -> str:
        """A refusing helper gate in the project's ``get_queryset()`` (DRF's generic handlers).

        ``if not is_authorized(self.request, parent): raise PermissionDenied`` there refuses
        every generic action that reads the queryset (list, retrieve, update, destroy), not a
        create (``POST``), which never calls it.
        """
        if (action or "") not in _QUERYSET_ACTIONS and (action or method not in _QUERYSET_METHODS):
            return ""
        found = self.project.method(cls, "get_queryset")
        gate = helper_gate(self.project, found[1], cls) if found is not None else ""
        return f"{gate} (in get_queryset())" if gate else ""

    def _permission_classes(
        self,
        route: RouteModel,
        cls: ClassModel,
        method: str,
        action: str | None,
        handler: _Handler | None,
    ) -> tuple[Expr, str, str]:
        """(permission classes, decided by, source) for one method or action."""
        perms = action_kwarg(handler[1] if handler is not None else None, "permission_classes")
        if perms is not None:
            return perms, "decorator", f"@action(permission_classes=...) on {action}"
        declared = view_permission_classes(self.project, route, cls)
        config = self.configuration
        if declared is not None:
            class_perms, decided, source = declared[0], "class", declared[1]
            resolved = config.with_defaults(class_perms)
            if resolved != class_perms:
                class_perms, decided = resolved, "default"
                source = f"{source} = api_settings, {config.default_permission_source}"
        else:
            class_perms, decided = config.default_permissions, "default"
            source = config.default_permission_source
        override = self.project.method(cls, "get_permissions")
        if override is not None:
            for branch in override[1].facts.permission_branches:
                if not _applies(branch, method, action):
                    continue
                perms = branch.permissions
                if isinstance(perms, Ref) and perms.name == "self.permission_classes":
                    return class_perms, decided, source
                return perms, "class", f"get_permissions() for {action or method}"
        return class_perms, decided, source


def _applies(branch: PermissionBranch, method: str, action: str | None) -> bool:
    """True if this ``get_permissions()`` branch decides for ``method``/``action``."""
    return (
        (branch.actions is None and branch.methods is None)
        or (branch.actions is not None and action is not None and action in branch.actions)
        or (branch.methods is not None and method in branch.methods)
        or (branch.actions == ("?",))
    )
