"""Protection semantics: who may call each route and method, and what decided it.

Only the neutral model (:mod:`mtlsguard.scan.project_model`) is used here, so the static front-end
and runtime introspection share these semantics. The answer for each method is tri-state:
anonymous callers refused (``authenticated=True``), allowed (``False``) or undecidable
(``None``), plus whether the only gate is a client-certificate header (mTLS alone).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mtlsguard.findings.model import Confidence, Location, Protection, Route
from mtlsguard.scan.knowledge import (
    AUTH_DECORATORS,
    AUTH_MIXINS,
    DJANGO_VIEW_METHODS,
    DRF_GENERIC_METHODS,
    EXEMPT_DECORATORS,
    HTTP_METHODS,
    LOGIN_REQUIRED_MIDDLEWARE,
    SAFE_METHODS,
    external_short,
)
from mtlsguard.scan.project_model import (
    BinOp,
    Call,
    ClassModel,
    Const,
    Expr,
    FunctionModel,
    IfExpr,
    Lambda,
    Mapping,
    ProjectModel,
    Ref,
    RouteModel,
    Seq,
    Unary,
    Unknown,
    string_constants,
)

__all__ = ["PUBLIC_VIEWS", "ProtectionAnalyzer", "RouteAnalysis", "model_of", "short_of"]

PUBLIC_VIEWS = frozenset(
    {
        "LoginView",
        "LogoutView",
        "PasswordResetView",
        "PasswordResetDoneView",
        "PasswordResetConfirmView",
        "PasswordResetCompleteView",
        "ObtainAuthToken",
        "obtain_auth_token",
        "TokenObtainPairView",
        "TokenRefreshView",
        "TokenVerifyView",
        "TokenObtainSlidingView",
        "SignupView",
        "RegisterView",
        "LoginAPIView",
        "login",
        "logout",
        "signup",
        "register",
        "password_reset",
        "healthz",
        "health",
        "ping",
        "robots_txt",
        "favicon",
        "JavaScriptCatalog",
        "set_language",
        "serve",
    }
)
"""Views that are public by design (login forms, token endpoints, health checks)."""

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
_METHOD_DECORATORS = {
    "require_GET": ("GET",),
    "require_POST": ("POST",),
    "require_safe": ("GET", "HEAD"),
}


def short_of(name: str) -> str:
    """Last component of a dotted path."""
    return name.rsplit(".", 1)[-1]


def model_of(value: Expr | None) -> str | None:
    """The model named by a ``queryset``/``model`` value (``Account.objects.all()``)."""
    while isinstance(value, Call):
        value = value.func
    if isinstance(value, Ref):
        parts = value.name.split(".")
        if "objects" in parts:
            return ".".join(parts[: parts.index("objects")])
        return value.name
    return None


@dataclass(frozen=True, slots=True)
class _Verdict:
    allows_anon: bool | None
    detail: str
    cert: bool = False
    certain: bool = True


@dataclass(slots=True)
class _Effects:
    auth: list[str] = field(default_factory=list)
    exempt: bool = False
    cert: list[str] = field(default_factory=list)
    trivial: list[str] = field(default_factory=list)
    api_view: tuple[str, ...] | None = None
    permissions: Expr | None = None
    authentication: Expr | None = None
    methods: tuple[str, ...] | None = None
    per_method_auth: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RouteAnalysis:
    """Effective protection of one route, ready for the rules."""

    route: RouteModel
    view: str | None
    view_kind: str | None
    location: Location | None
    function: FunctionModel | None
    klass: ClassModel | None
    framework: str
    """``django``, ``drf``, ``admin`` or ``unknown``."""
    protections: tuple[Protection, ...]
    confidence: Confidence
    cert_gate: bool = False
    """The only gate is a client-certificate header/environ check (mTLS alone)."""
    cert_evidence: str = ""
    public_by_design: bool = False
    auth_disabled: bool = False
    """DRF ``authentication_classes = []``."""
    method_actions: tuple[tuple[str, str], ...] = ()
    """(HTTP method, viewset action) pairs when the view is a viewset."""

    @property
    def methods(self) -> tuple[str, ...]:
        """HTTP methods analysed."""
        return tuple(p.method for p in self.protections)

    def open_methods(self) -> tuple[str, ...]:
        """Methods an anonymous caller may use."""
        return tuple(p.method for p in self.protections if p.authenticated is False)

    def to_route(self) -> Route:
        """The public :class:`~mtlsguard.findings.model.Route` record."""
        return Route(
            pattern=self.route.pattern,
            view=self.view,
            location=self.location,
            name=self.route.name,
            methods=tuple(m for m in self.methods if m != "*"),
            protections=self.protections,
        )


class ProtectionAnalyzer:
    """Computes :class:`RouteAnalysis` for routes of one :class:`ProjectModel`."""

    def __init__(self, project: ProjectModel) -> None:
        self.project = project
        self.settings = project.settings
        self.login_middleware: str | None = None
        self.local_auth_middleware: str | None = None
        self.local_auth_partial = False
        """The project's login middleware only guards some paths (it looks at the URL)."""
        self.cert_middleware: tuple[str, str] | None = None
        self.default_permissions: Expr = Ref("rest_framework.permissions.AllowAny")
        self.default_permission_source = "DRF implicit default AllowAny"
        self.default_conditional = False
        self.default_auth_disabled = False
        self._configure()

    # --- global configuration ------------------------------------------------------------

    def _configure(self) -> None:
        if self.settings is None:
            return
        for key in ("MIDDLEWARE", "MIDDLEWARE_CLASSES"):
            entry = self.settings.get(key)
            if entry is None:
                continue
            for name in string_constants(entry.value):
                if name in LOGIN_REQUIRED_MIDDLEWARE:
                    self.login_middleware = name
                    continue
                cls = self.project.class_named(name)
                if cls is None:
                    continue
                guard = cert = partial = False
                keys: list[str] = []
                for meth in ("__call__", "process_request", "process_view"):
                    found = self.project.method(cls, meth)
                    if found is None:
                        continue
                    facts = found[1].facts
                    guard = guard or facts.auth_guard
                    partial = partial or facts.path_dependent
                    if facts.cert_guard:
                        cert = True
                        keys.extend(facts.cert_keys)
                if guard:
                    self.local_auth_middleware = name
                    self.local_auth_partial = partial
                elif cert:
                    self.cert_middleware = (name, ", ".join(dict.fromkeys(keys)))
        drf = self.settings.get("REST_FRAMEWORK")
        if drf is not None and not isinstance(drf.value, Mapping):
            # REST_FRAMEWORK = get_drf_settings(...): the default is decided at run time.
            self.default_permissions = Unknown("REST_FRAMEWORK")
            self.default_permission_source = "REST_FRAMEWORK computed at run time"
            self.default_conditional = True
        if drf is not None and isinstance(drf.value, Mapping):
            perms = drf.value.get("DEFAULT_PERMISSION_CLASSES")
            if perms is not None:
                self.default_permissions = _strings_to_refs(perms)
                self.default_permission_source = "REST_FRAMEWORK DEFAULT_PERMISSION_CLASSES"
                self.default_conditional = drf.conditional or _has_ifexpr(perms)
            auth = drf.value.get("DEFAULT_AUTHENTICATION_CLASSES")
            if isinstance(auth, Seq) and not auth.items:
                self.default_auth_disabled = True

    # --- entry point ---------------------------------------------------------------------

    def analyze(self, route: RouteModel) -> RouteAnalysis:
        """Protection of ``route`` per HTTP method."""
        if route.admin:
            return RouteAnalysis(
                route,
                route.target,
                "type",
                route.declared_at,
                None,
                None,
                "admin",
                (Protection("*", True, "class", "Django admin: staff login required"),),
                Confidence.HIGH,
            )
        target = route.target
        if target is None:
            return RouteAnalysis(
                route,
                None,
                None,
                route.declared_at,
                None,
                None,
                "unknown",
                (Protection("*", None, "none", "view could not be resolved"),),
                Confidence.LOW,
            )
        func = self.project.function_named(target)
        cls = self.project.class_named(target)
        if func is not None:
            return self._function_view(route, func)
        if cls is not None:
            if self._is_drf(cls):
                return self._drf_class(route, cls)
            return self._django_class(route, cls)
        return self._external_view(route, target)

    # --- decorators ----------------------------------------------------------------------

    def _effects(self, decorators: tuple[Expr, ...]) -> _Effects:
        effects = _Effects()
        for deco in decorators:
            self._effect(deco, effects, depth=0)
        return effects

    def _effect(
        self, deco: Expr, effects: _Effects, depth: int, method_name: str | None = None
    ) -> None:
        func: Expr = deco.func if isinstance(deco, Call) else deco
        args = deco.args if isinstance(deco, Call) else ()
        if isinstance(func, Call):
            # permission_required("x")(view) written as a wrapper in urls.py
            self._effect(func, effects, depth, method_name)
            return
        if not isinstance(func, Ref):
            return
        name = func.name
        short = func.short
        local = self.project.function_named(name)
        label = f"@{short}"
        if local is not None and depth < 4 and external_short(name) is None:
            self._local_decorator(local, effects, depth, method_name)
            return
        if short == "method_decorator" and args:
            target = deco.kwarg("name") if isinstance(deco, Call) else None
            target_name = (
                target.value
                if isinstance(target, Const) and isinstance(target.value, str)
                else None
            )
            inner = args[0].items if isinstance(args[0], Seq) else (args[0],)
            for item in inner:
                if target_name in (None, "dispatch"):
                    self._effect(item, effects, depth + 1, method_name)
                else:
                    sub = _Effects()
                    self._effect(item, sub, depth + 1)
                    if sub.auth:
                        effects.per_method_auth[target_name.upper()] = sub.auth[0]
            return
        if short == "user_passes_test":
            test = args[0] if args else None
            if isinstance(test, Lambda) and test.constant is not None and test.constant.value:
                effects.trivial.append("@user_passes_test(lambda u: True)")
            else:
                self._add_auth(effects, label, method_name)
            return
        if short in AUTH_DECORATORS:
            self._add_auth(effects, label, method_name)
        elif short in EXEMPT_DECORATORS:
            effects.exempt = True
        elif short == "api_view":
            methods: tuple[str, ...] = ("GET",)
            first = (
                args[0]
                if args
                else (deco.kwarg("http_method_names") if isinstance(deco, Call) else None)
            )
            if isinstance(first, Seq):
                methods = tuple(str(m.value).upper() for m in first.items if isinstance(m, Const))
            effects.api_view = methods
        elif short == "permission_classes" and args:
            effects.permissions = args[0]
        elif short == "authentication_classes" and args:
            effects.authentication = args[0]
        elif short == "require_http_methods" and args and isinstance(args[0], Seq):
            effects.methods = tuple(
                str(m.value).upper() for m in args[0].items if isinstance(m, Const)
            )
        elif short in _METHOD_DECORATORS:
            effects.methods = _METHOD_DECORATORS[short]

    @staticmethod
    def _add_auth(effects: _Effects, label: str, method_name: str | None) -> None:
        if method_name:
            effects.per_method_auth[method_name.upper()] = label
        else:
            effects.auth.append(label)

    def _local_decorator(
        self, func: FunctionModel, effects: _Effects, depth: int, method_name: str | None
    ) -> None:
        """A project decorator: protects if it checks the user or wraps a known decorator."""
        label = f"@{short_of(func.qualname)} ({func.qualname})"
        facts = func.facts
        if facts.auth_guard:
            self._add_auth(effects, label + " checks request.user", method_name)
            return
        for callee in facts.calls:
            short = short_of(callee)
            if short in AUTH_DECORATORS and short != "user_passes_test":
                self._add_auth(effects, f"{label} wraps @{short}", method_name)
                return
            inner = self.project.function_named(callee)
            if inner is not None and inner is not func and depth < 4:
                sub = _Effects()
                self._local_decorator(inner, sub, depth + 1, None)
                if sub.auth:
                    self._add_auth(effects, f"{label} -> {sub.auth[0]}", method_name)
                    return
        for value in facts.returns:
            sub = _Effects()
            self._effect(value, sub, depth + 1)
            if sub.auth:
                self._add_auth(effects, f"{label} wraps {sub.auth[0]}", method_name)
                return
            if sub.trivial:
                effects.trivial.extend(sub.trivial)
        if "user_passes_test" in {short_of(c) for c in facts.calls}:
            self._add_auth(effects, f"{label} wraps @user_passes_test", method_name)
            return
        if facts.cert_guard:
            effects.cert.append(f"{label} checks {', '.join(facts.cert_keys)}")

    # --- function views ------------------------------------------------------------------

    def _function_view(self, route: RouteModel, func: FunctionModel) -> RouteAnalysis:
        effects = self._effects(route.wrappers + func.decorators)
        facts = func.facts
        cert_notes = list(effects.cert)
        if facts.cert_guard:
            cert_notes.append(f"inline check of {', '.join(facts.cert_keys)}")
        name = short_of(func.qualname)
        public = name in PUBLIC_VIEWS or "login" in name.lower() or func.facts.authenticates
        if effects.api_view is not None:
            return self._drf_function(route, func, effects, cert_notes, public)
        methods = effects.methods or ("*",)
        protections: list[Protection] = []
        cert_gate = False
        for method in methods:
            if effects.auth:
                protections.append(Protection(method, True, "decorator", ", ".join(effects.auth)))
            elif facts.auth_guard:
                protections.append(Protection(method, True, "inline", "request.user check in body"))
            else:
                protections.append(
                    self._fallback(method, effects.exempt, django=True, extra=effects.trivial)
                )
        if cert_notes or self.cert_middleware:
            cert_gate = any(p.authenticated is False for p in protections)
        return RouteAnalysis(
            route,
            func.qualname,
            "function",
            func.location,
            func,
            None,
            "django",
            tuple(protections),
            self._confidence(protections),
            cert_gate,
            "; ".join(cert_notes) or self._cert_mw_note(),
            public,
        )

    def _fallback(self, method: str, exempt: bool, *, django: bool, extra: list[str]) -> Protection:
        """No protection in the view itself: middleware or nothing."""
        if not exempt and django and self.login_middleware:
            return Protection(method, True, "middleware", self.login_middleware)
        if not exempt and self.local_auth_middleware:
            if self.local_auth_partial:
                # It checks the user only for some URLs; which ones is decided at run time.
                return Protection(
                    method,
                    None,
                    "middleware",
                    f"{self.local_auth_middleware} (only for some paths)",
                )
            return Protection(method, True, "middleware", self.local_auth_middleware)
        detail = "no authentication check"
        if exempt:
            detail = "exempt from login-required middleware (@login_not_required or public view)"
        if extra:
            detail = ", ".join(extra)
        if self.cert_middleware:
            detail += f"; only {self.cert_middleware[0]} checks a certificate header"
        return Protection(method, False, "none", detail)

    def _cert_mw_note(self) -> str:
        if self.cert_middleware is None:
            return ""
        return f"middleware {self.cert_middleware[0]} checks {self.cert_middleware[1]}"

    def _drf_function(
        self,
        route: RouteModel,
        func: FunctionModel,
        effects: _Effects,
        cert_notes: list[str],
        public: bool,
    ) -> RouteAnalysis:
        perms = effects.permissions
        decided = "decorator"
        source = "@permission_classes"
        if perms is None:
            perms, decided, source = (
                self.default_permissions,
                "default",
                self.default_permission_source,
            )
        protections: list[Protection] = []
        certain = True
        cert = False
        for method in effects.api_view or ("GET",):
            if effects.auth:
                protections.append(Protection(method, True, "decorator", ", ".join(effects.auth)))
                continue
            if func.facts.auth_guard:
                protections.append(Protection(method, True, "inline", "request.user check in body"))
                continue
            verdict = self._permissions(perms, method)
            certain = certain and verdict.certain
            cert = cert or verdict.cert
            protections.append(_protection(method, verdict, decided, source))
        if cert:
            cert_notes.append("permission class checks only a certificate header")
        confidence = self._confidence(protections)
        if not certain or (decided == "default" and self.default_conditional):
            confidence = min(confidence, Confidence.LOW)
        auth_disabled = _is_empty(effects.authentication) or (
            effects.authentication is None and self.default_auth_disabled
        )
        return RouteAnalysis(
            route,
            func.qualname,
            "function",
            func.location,
            func,
            None,
            "drf",
            tuple(protections),
            confidence,
            bool(cert_notes) and any(p.authenticated is False for p in protections),
            "; ".join(cert_notes),
            public,
            auth_disabled,
        )

    # --- Django class-based views --------------------------------------------------------

    def _django_class(self, route: RouteModel, cls: ClassModel) -> RouteAnalysis:
        wrap = self._effects(route.wrappers)
        auth: list[str] = list(wrap.auth)
        per_method: dict[str, str] = dict(wrap.per_method_auth)
        cert_notes: list[str] = list(wrap.cert)
        trivial: list[str] = list(wrap.trivial)
        exempt = wrap.exempt
        handlers: set[str] = set()
        public = False
        for entry in cls.mro:
            local = self.project.class_named(entry)
            if local is None:
                continue
            deco = self._effects(local.decorators)
            as_view = local.methods.get("as_view")
            if as_view is not None:
                # as_view() overridden to return the view wrapped in a decorator (pretix's
                # AdministratorPermissionRequiredMixin: administrator_permission_required()(view)).
                wrapped = self._effects(as_view.facts.returns)
                deco.auth.extend(
                    f"{a} in {short_of(local.qualname)}.as_view()" for a in wrapped.auth
                )
                deco.trivial.extend(wrapped.trivial)
            auth.extend(deco.auth)
            per_method.update(deco.per_method_auth)
            exempt = exempt or deco.exempt
            trivial.extend(deco.trivial)
            handlers.update(name.upper() for name in local.methods if name in HTTP_METHODS)
        chain_auth, chain_cert, chain_trivial, public, terminal_methods = self._dispatch_chain(cls)
        public = public or self._login_class(cls)
        auth.extend(chain_auth)
        cert_notes.extend(chain_cert)
        trivial.extend(chain_trivial)
        handlers.update(terminal_methods)
        for method in list(handlers):
            found = self.project.method(cls, method.lower())
            if found is None:
                continue
            meth = found[1]
            sub = self._effects(meth.decorators)
            if sub.auth:
                per_method.setdefault(method, sub.auth[0])
            if meth.facts.auth_guard:
                per_method.setdefault(method, f"request.user check in {short_of(meth.qualname)}()")
            if meth.facts.cert_guard:
                cert_notes.append(
                    f"{short_of(meth.qualname)}() checks {', '.join(meth.facts.cert_keys)}"
                )
        methods = tuple(sorted(handlers)) or ("*",)
        protections: list[Protection] = []
        for method in methods:
            if auth:
                protections.append(
                    Protection(method, True, "class", ", ".join(dict.fromkeys(auth)))
                )
            elif method in per_method:
                protections.append(Protection(method, True, "decorator", per_method[method]))
            else:
                protections.append(
                    self._fallback(method, exempt or public, django=True, extra=trivial)
                )
        cert_gate = bool(cert_notes or self.cert_middleware) and any(
            p.authenticated is False for p in protections
        )
        return RouteAnalysis(
            route,
            cls.qualname,
            "type",
            cls.location,
            None,
            cls,
            "django",
            tuple(protections),
            self._confidence(protections),
            cert_gate,
            "; ".join(cert_notes) or self._cert_mw_note(),
            public,
        )

    def _login_class(self, cls: ClassModel) -> bool:
        """Login/token endpoints are public by design (MG106 looks at their throttling)."""
        if any(short_of(e) in PUBLIC_VIEWS for e in cls.mro):
            return True
        for name in ("post", "create", "form_valid"):
            found = self.project.method(cls, name)
            if found is not None and found[1].facts.authenticates:
                return True
        return False

    def _dispatch_chain(
        self, cls: ClassModel
    ) -> tuple[list[str], list[str], list[str], bool, set[str]]:
        """Walk the MRO as ``dispatch`` would: stop at the first dispatch not calling super()."""
        auth: list[str] = []
        cert: list[str] = []
        trivial: list[str] = []
        public = False
        methods: set[str] = set()
        reached = True
        for entry in cls.mro:
            local = self.project.class_named(entry)
            if local is not None:
                dispatch = local.methods.get("dispatch")
                if dispatch is None or not reached:
                    continue
                sub = self._effects(dispatch.decorators)
                auth.extend(sub.auth)
                if dispatch.facts.auth_guard:
                    auth.append(f"request.user check in {short_of(local.qualname)}.dispatch()")
                if dispatch.facts.cert_guard:
                    keys = ", ".join(dispatch.facts.cert_keys)
                    cert.append(f"{short_of(local.qualname)}.dispatch() checks {keys}")
                if "dispatch" not in dispatch.facts.super_calls:
                    reached = False
                continue
            short = short_of(entry)
            if short in DJANGO_VIEW_METHODS:
                methods.update(DJANGO_VIEW_METHODS[short])
                public = public or short in PUBLIC_VIEWS
                reached = False  # View.dispatch never calls super(): later mixins never run
                continue
            if not reached:
                continue
            if short in AUTH_MIXINS:
                if short == "UserPassesTestMixin":
                    verdict = self._test_func(cls)
                    if verdict is None:
                        auth.append("UserPassesTestMixin")
                    else:
                        trivial.append(verdict)
                else:
                    auth.append(short)
        return auth, cert, trivial, public, methods

    def _test_func(self, cls: ClassModel) -> str | None:
        """None if ``test_func`` checks the user; otherwise why it does not."""
        found = self.project.method(cls, "test_func")
        if found is None:
            return None  # Django raises NotImplementedError: nobody gets in
        facts = found[1].facts
        if facts.returns and all(isinstance(r, Const) and r.value for r in facts.returns):
            return "UserPassesTestMixin.test_func always returns True"
        if not facts.mentions_user:
            return "UserPassesTestMixin.test_func does not look at the user"
        return None

    # --- DRF class-based views -----------------------------------------------------------

    def _is_drf(self, cls: ClassModel) -> bool:
        return any(e.startswith("rest_framework.") for e in cls.mro)

    def _drf_class(self, route: RouteModel, cls: ClassModel) -> RouteAnalysis:
        wrap = self._effects(route.wrappers)
        deco_auth = list(wrap.auth)
        for entry in cls.mro:
            local = self.project.class_named(entry)
            if local is not None:
                deco_auth.extend(self._effects(local.decorators).auth)
        chain_auth, chain_cert, _trivial, _public, _methods = self._dispatch_chain(cls)
        deco_auth.extend(chain_auth)
        pairs = self._drf_methods(route, cls)
        public = self._login_class(cls)
        protections: list[Protection] = []
        cert_notes = list(chain_cert)
        certain = True
        from_default = False
        for method, action in pairs:
            handler = self.project.method(cls, action or method.lower())
            if deco_auth:
                protections.append(Protection(method, True, "decorator", ", ".join(deco_auth)))
                continue
            if handler is not None and handler[1].facts.auth_guard:
                protections.append(
                    Protection(
                        method,
                        True,
                        "inline",
                        f"request.user check in {action or method.lower()}()",
                    )
                )
                continue
            perms, decided, source = self._drf_permissions(route, cls, method, action, handler)
            from_default = from_default or decided == "default"
            verdict = self._permissions(perms, method)
            certain = certain and verdict.certain
            if verdict.cert:
                cert_notes.append(f"{source} checks only a certificate header")
            if handler is not None and handler[1].facts.cert_guard:
                keys = ", ".join(handler[1].facts.cert_keys)
                cert_notes.append(f"{short_of(handler[1].qualname)}() checks {keys}")
            protections.append(_protection(method, verdict, decided, source))
        auth_attr = route_initkwarg(route, "authentication_classes")
        if auth_attr is None:
            found = self.project.attribute(cls, "authentication_classes")
            auth_attr = found[1] if found else None
        auth_disabled = _is_empty(auth_attr) or (auth_attr is None and self.default_auth_disabled)
        confidence = self._confidence(protections)
        if not certain or (from_default and self.default_conditional):
            confidence = min(confidence, Confidence.LOW)
        cert_gate = bool(cert_notes) and any(p.authenticated is False for p in protections)
        return RouteAnalysis(
            route,
            cls.qualname,
            "type",
            cls.location,
            None,
            cls,
            "drf",
            tuple(protections),
            confidence,
            cert_gate,
            "; ".join(dict.fromkeys(cert_notes)),
            public,
            auth_disabled,
            tuple((m, a) for m, a in pairs if a),
        )

    def _drf_methods(self, route: RouteModel, cls: ClassModel) -> list[tuple[str, str | None]]:
        if route.actions:
            return [(m.upper(), a) for m, a in route.actions]
        methods: set[str] = set()
        for entry in cls.mro:
            local = self.project.class_named(entry)
            if local is not None:
                methods.update(n.upper() for n in local.methods if n in HTTP_METHODS)
            else:
                methods.update(DRF_GENERIC_METHODS.get(short_of(entry), ()))
        return [(m, None) for m in sorted(methods)] or [("*", None)]

    def _drf_permissions(
        self,
        route: RouteModel,
        cls: ClassModel,
        method: str,
        action: str | None,
        handler: tuple[ClassModel, FunctionModel] | None,
    ) -> tuple[Expr, str, str]:
        if handler is not None:
            for deco in handler[1].decorators:
                if (
                    isinstance(deco, Call)
                    and isinstance(deco.func, Ref)
                    and deco.func.short == "action"
                ):
                    perms = deco.kwarg("permission_classes")
                    if perms is not None:
                        return perms, "decorator", f"@action(permission_classes=...) on {action}"
        class_perms = route_initkwarg(route, "permission_classes")
        decided, source = "class", "as_view(permission_classes=...)"
        if class_perms is None:
            found = self.project.attribute(cls, "permission_classes")
            if found is not None:
                class_perms = found[1]
                source = f"{short_of(found[0].qualname)}.permission_classes"
        if class_perms is None:
            class_perms, decided, source = (
                self.default_permissions,
                "default",
                self.default_permission_source,
            )
        override = self.project.method(cls, "get_permissions")
        if override is not None and override[1].facts.permission_branches:
            for branch in override[1].facts.permission_branches:
                matches = (
                    (branch.actions is None and branch.methods is None)
                    or (
                        branch.actions is not None
                        and action is not None
                        and action in branch.actions
                    )
                    or (branch.methods is not None and method in branch.methods)
                    or (branch.actions == ("?",))
                )
                if not matches:
                    continue
                perms = branch.permissions
                if isinstance(perms, Ref) and perms.name == "self.permission_classes":
                    return class_perms, decided, source
                where = action or method
                return perms, "class", f"get_permissions() for {where}"
        return class_perms, decided, source

    # --- permission expressions ----------------------------------------------------------

    def _permissions(self, expr: Expr, method: str, depth: int = 0) -> _Verdict:
        if depth > 8:
            return _Verdict(None, "too deep", certain=False)
        if isinstance(expr, Seq):
            if not expr.items:
                return _Verdict(True, "empty permission_classes")
            verdicts = [self._permissions(i, method, depth + 1) for i in expr.items]
            return _and(verdicts)
        if isinstance(expr, Call):
            return self._permissions(expr.func, method, depth + 1)
        if isinstance(expr, Const) and isinstance(expr.value, str):
            return self._permissions(Ref(expr.value), method, depth + 1)
        if isinstance(expr, BinOp) and expr.op in ("&", "|"):
            left = self._permissions(expr.left, method, depth + 1)
            right = self._permissions(expr.right, method, depth + 1)
            return _and([left, right]) if expr.op == "&" else _or([left, right])
        if isinstance(expr, Unary) and expr.op == "~":
            inner = self._permissions(expr.operand, method, depth + 1)
            allows = None if inner.allows_anon is None else not inner.allows_anon
            return _Verdict(allows, f"~{inner.detail}", inner.cert, inner.certain)
        if isinstance(expr, IfExpr):
            a = self._permissions(expr.body, method, depth + 1)
            b = self._permissions(expr.orelse, method, depth + 1)
            detail = f"{a.detail} or {b.detail} (decided at run time)"
            if a.allows_anon or b.allows_anon:
                # Open in at least one configuration: report it, with low confidence.
                return _Verdict(True, detail, a.cert or b.cert, False)
            if a.allows_anon is False and b.allows_anon is False:
                return _Verdict(False, detail, False, False)
            return _Verdict(None, detail, False, False)
        if isinstance(expr, Ref):
            return self._permission_class(expr.name, method, depth)
        if isinstance(expr, Unknown) and expr.text == "REST_FRAMEWORK":
            return _Verdict(None, "REST_FRAMEWORK default not statically known", certain=False)
        return _Verdict(None, "unknown permission value", certain=False)

    def _permission_class(self, name: str, method: str, depth: int) -> _Verdict:
        short = short_of(name)
        cls = self.project.class_named(name)
        if cls is None:
            if short in _ALLOW:
                return _Verdict(True, short)
            if short in _REQUIRE:
                return _Verdict(False, short)
            if short in _READ_ONLY:
                return _Verdict(method in SAFE_METHODS, short)
            if short in ("BasePermission", "object"):
                return _Verdict(True, "BasePermission.has_permission returns True")
            return _Verdict(None, short, certain=False)
        for entry in cls.mro:
            local = self.project.class_named(entry)
            if local is None:
                if short_of(entry) in ("BasePermission", "object"):
                    return _Verdict(True, f"{short} does not override has_permission (allows all)")
                inherited = self._permission_class(entry, method, depth + 1)
                return _Verdict(
                    inherited.allows_anon,
                    f"{short}({inherited.detail})",
                    inherited.cert,
                    inherited.certain,
                )
            meth = local.methods.get("has_permission")
            if meth is None:
                continue
            facts = meth.facts
            if facts.returns and all(isinstance(r, Const) and r.value for r in facts.returns):
                return _Verdict(True, f"{short}.has_permission always returns True")
            if facts.safe_methods_shortcut and method in SAFE_METHODS:
                return _Verdict(True, f"{short} allows safe methods to anyone")
            if facts.auth_guard or facts.mentions_user:
                return _Verdict(False, short)
            if facts.cert_keys:
                return _Verdict(
                    True, f"{short} checks only {', '.join(facts.cert_keys)}", cert=True
                )
            return _Verdict(False, f"{short} (custom check)", certain=False)
        return _Verdict(True, f"{short} does not override has_permission (allows all)")

    # --- helpers -------------------------------------------------------------------------

    @staticmethod
    def _confidence(protections: list[Protection]) -> Confidence:
        if any(p.authenticated is None for p in protections):
            return Confidence.LOW
        return Confidence.HIGH

    def _external_view(self, route: RouteModel, target: str) -> RouteAnalysis:
        short = short_of(target)
        effects = self._effects(route.wrappers)
        public = short in PUBLIC_VIEWS
        if effects.auth:
            protection = Protection("*", True, "decorator", ", ".join(effects.auth))
        elif public:
            protection = Protection("*", False, "none", f"{short} is public by design")
        else:
            protection = Protection("*", None, "none", f"external view {target}")
        return RouteAnalysis(
            route,
            target,
            route.kind,
            route.declared_at,
            None,
            None,
            "unknown",
            (protection,),
            Confidence.LOW,
            public_by_design=public,
        )


def route_initkwarg(route: RouteModel, name: str) -> Expr | None:
    """``as_view(name=...)`` from the route, if given."""
    for key, value in route.initkwargs:
        if key == name:
            return value
    return None


def _protection(method: str, verdict: _Verdict, decided: str, source: str) -> Protection:
    authenticated = None if verdict.allows_anon is None else not verdict.allows_anon
    return Protection(method, authenticated, decided, f"{verdict.detail} ({source})")


def _and(verdicts: list[_Verdict]) -> _Verdict:
    detail = " & ".join(v.detail for v in verdicts)
    certain = all(v.certain for v in verdicts)
    if any(v.allows_anon is False for v in verdicts):
        return _Verdict(False, detail, False, certain)
    if all(v.allows_anon for v in verdicts):
        return _Verdict(True, detail, any(v.cert for v in verdicts), certain)
    return _Verdict(None, detail, False, False)


def _or(verdicts: list[_Verdict]) -> _Verdict:
    detail = " | ".join(v.detail for v in verdicts)
    certain = all(v.certain for v in verdicts)
    if any(v.allows_anon for v in verdicts):
        return _Verdict(True, detail, any(v.cert for v in verdicts if v.allows_anon), certain)
    if all(v.allows_anon is False for v in verdicts):
        return _Verdict(False, detail, False, certain)
    return _Verdict(None, detail, False, False)


def _strings_to_refs(value: Expr) -> Expr:
    if isinstance(value, Const) and isinstance(value.value, str):
        return Ref(value.value)
    if isinstance(value, Seq):
        return Seq(tuple(_strings_to_refs(v) for v in value.items))
    if isinstance(value, IfExpr):
        return IfExpr(_strings_to_refs(value.body), _strings_to_refs(value.orelse))
    if isinstance(value, BinOp):
        return BinOp(value.op, _strings_to_refs(value.left), _strings_to_refs(value.right))
    return value


def _has_ifexpr(value: Expr) -> bool:
    if isinstance(value, IfExpr):
        return True
    if isinstance(value, Seq):
        return any(_has_ifexpr(v) for v in value.items)
    if isinstance(value, BinOp):
        return _has_ifexpr(value.left) or _has_ifexpr(value.right)
    return False


def _is_empty(value: Expr | None) -> bool:
    return isinstance(value, Seq) and not value.items
