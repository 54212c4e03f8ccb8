"""What the settings decide for every route: gates in ``MIDDLEWARE`` and DRF's defaults.

Read once per project. A login-required middleware (Django's ``LoginRequiredMiddleware`` and its
third-party predecessors) or a project middleware that refuses anonymous users (in a request hook,
in a method of its own the hook calls, or by wrapping the view in ``login_required``) protects
every Django view that does not opt out — only some paths when it looks at the URL; one that only
reads ``request.user`` and hands the request on protects nothing; a project middleware that only
checks a certificate header is an mTLS-only gate. ``REST_FRAMEWORK`` gives the permission classes
of every DRF view that sets none (DRF's implicit default is ``AllowAny``) and may switch
authentication off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from mtlsguard.scan.analysis.url_name_checks import UrlNameChecks, find_url_name_checks
from mtlsguard.scan.body_records import PathCond
from mtlsguard.scan.knowledge import (
    AUTH_DECORATORS,
    LOGIN_REQUIRED_MIDDLEWARE,
    MIDDLEWARE_HOOKS,
    short_of,
)
from mtlsguard.scan.project_model import (
    BinOp,
    ClassModel,
    Const,
    Expr,
    FunctionFacts,
    IfExpr,
    Mapping,
    ProjectModel,
    Ref,
    Seq,
    SettingValue,
    Unknown,
    string_constants,
)

__all__ = ["ProjectConfiguration"]

_NEVER_REFUSES = PathCond("const", value=False)
_ALLOW_ANY: Expr = Ref("rest_framework.permissions.AllowAny")
API_SETTINGS = "rest_framework.settings.api_settings."
"""DRF's public ``api_settings`` object: its ``DEFAULT_*`` attributes are ``REST_FRAMEWORK``'s."""


@dataclass(frozen=True, slots=True)
class ProjectConfiguration:
    """Project-wide protection decided by the settings."""

    login_middleware: str | None = None
    """A known login-required middleware in ``MIDDLEWARE`` (covers Django views, not DRF)."""
    guard_middleware: str | None = None
    """A middleware the project declares a guard (``[tool.mtlsguard] guards``): every view,
    DRF's too, counts as authenticated behind it."""
    local_auth_middleware: str | None = None
    """A project middleware whose request hook refuses anonymous users."""
    local_auth_exemptions: frozenset[str] = frozenset()
    """Marks its methods test to let a view through (a registry a decorator fills, or an
    attribute it sets: :mod:`mtlsguard.scan.facts.exemption_marks`)."""
    local_auth_partial: bool = False
    """:attr:`local_auth_middleware` only guards some paths (it looks at the URL)."""
    local_auth_paths: PathCond | None = None
    """Which paths :attr:`local_auth_middleware` refuses to anonymous users, when its hook
    decides that from the path alone (an allow-list, a prefix)."""
    conditional_middleware: tuple[str, str] | None = None
    """(middleware, helper) of a project middleware whose hook refuses when a project helper
    that checks the user says no, but only under a condition decided at run time (an
    attribute it computes from the request): which routes it covers is undecided."""
    cert_middleware: tuple[str, str] | None = None
    """(middleware, certificate keys) of a project middleware that only checks a certificate."""
    default_permissions: Expr = _ALLOW_ANY
    """DRF's ``DEFAULT_PERMISSION_CLASSES`` (as class references)."""
    default_permission_source: str = "DRF implicit default AllowAny"
    """Where :attr:`default_permissions` comes from, for evidence."""
    default_conditional: bool = False
    """The DRF default is decided at run time (an ``if``, an environment lookup)."""
    default_auth_disabled: bool = False
    """``DEFAULT_AUTHENTICATION_CLASSES = []``."""
    request_principals: tuple[tuple[str, str], ...] = ()
    """(attribute, middleware): request attributes a project middleware sets for signed-in
    callers only (``request.current_organization``): a gate refusing without one refuses
    anonymous callers (:mod:`mtlsguard.scan.facts.request_principals`)."""

    url_name_checks: UrlNameChecks | None = None
    """A middleware enforcing a permission table keyed by URL name (DefectDojo's
    ``URL_PERMISSIONS``): the URL keywords whose objects it checks, per route name."""

    @classmethod
    def of(cls, project: ProjectModel) -> ProjectConfiguration:
        """Read the configuration from ``project``'s settings (defaults without settings)."""
        settings = project.settings
        if settings is None:
            return cls()
        gates = _MiddlewareGates()
        middleware: list[str] = []
        for key in ("MIDDLEWARE", "MIDDLEWARE_CLASSES"):
            entry = settings.get(key)
            if entry is not None:
                middleware.extend(string_constants(entry.value))
        gates.read(project, middleware)
        drf = _DrfDefaults.of(settings.get("REST_FRAMEWORK"))
        return cls(
            login_middleware=gates.login or gates.declared,
            guard_middleware=gates.declared,
            local_auth_middleware=gates.local,
            local_auth_exemptions=gates.exemptions,
            local_auth_partial=gates.partial,
            local_auth_paths=gates.paths,
            conditional_middleware=gates.conditional,
            cert_middleware=gates.cert,
            default_permissions=drf.permissions,
            default_permission_source=drf.source,
            default_conditional=drf.conditional,
            default_auth_disabled=drf.auth_disabled,
            request_principals=tuple(gates.principals.items()),
            url_name_checks=find_url_name_checks(project, middleware),
        )

    def with_defaults(self, expr: Expr) -> Expr:
        """``expr`` with ``api_settings.DEFAULT_PERMISSION_CLASSES`` replaced by the default.

        ``permission_classes = api_settings.DEFAULT_PERMISSION_CLASSES`` (label-studio's token
        rotation view) or ``[*api_settings.DEFAULT_PERMISSION_CLASSES, Extra]`` name the
        project's ``REST_FRAMEWORK`` setting through DRF's public settings object.
        """
        if isinstance(expr, Ref) and expr.name == f"{API_SETTINGS}DEFAULT_PERMISSION_CLASSES":
            return self.default_permissions
        if isinstance(expr, Seq):
            return Seq(tuple(self.with_defaults(item) for item in expr.items))
        if isinstance(expr, BinOp):
            return BinOp(expr.op, self.with_defaults(expr.left), self.with_defaults(expr.right))
        return expr

    def auth_default(self, expr: Expr) -> bool:
        """``expr`` is ``api_settings.DEFAULT_AUTHENTICATION_CLASSES`` (the project's)."""
        return (
            isinstance(expr, Ref) and expr.name == f"{API_SETTINGS}DEFAULT_AUTHENTICATION_CLASSES"
        )

    def cert_middleware_note(self) -> str:
        """Evidence for a certificate-only middleware, or ``""``."""
        if self.cert_middleware is None:
            return ""
        return f"middleware {self.cert_middleware[0]} checks {self.cert_middleware[1]}"


@dataclass(slots=True)
class _MiddlewareGates:
    """Gates found in ``MIDDLEWARE`` so far (a later entry of a kind replaces an earlier one)."""

    login: str | None = None
    declared: str | None = None
    local: str | None = None
    exemptions: frozenset[str] = frozenset()
    partial: bool = False
    paths: PathCond | None = None
    cert: tuple[str, str] | None = None
    conditional: tuple[str, str] | None = None
    principals: dict[str, str] = field(default_factory=dict)

    def read(self, project: ProjectModel, names: Iterable[str]) -> None:
        for name in names:
            if name in LOGIN_REQUIRED_MIDDLEWARE:
                self.login = name
                continue
            cls = project.class_named(name)
            if cls is None or not self._read_hooks(project, name, cls):
                # Nothing the scan could read decides: a declaration (exact name) may.
                declared = project.declared.guard(name, exact=True)
                if declared:
                    self.declared = f"{name} (declared guard {declared!r})"
                continue

    def _read_hooks(self, project: ProjectModel, name: str, cls: ClassModel) -> bool:
        """Read one project middleware's request hooks; True if they decided anything."""
        guard = cert = partial = False
        paths: PathCond | None = None
        keys: list[str] = []
        checker = ""
        for hook in MIDDLEWARE_HOOKS:
            method = project.method(cls, hook)
            if method is None:
                continue
            facts = method[1].facts
            for attribute in facts.capabilities.principal_writes:
                self.principals.setdefault(attribute, name)
            # ``return login_required(view_func)(request, ...)``: the middleware applies an
            # authenticating decorator itself (weblate's RequireLoginMiddleware).
            wraps = any(short_of(c) in AUTH_DECORATORS for c in facts.calls)
            # Read as anonymous, every exit of the hook lets the caller through: its user
            # check refuses signed-in users only (an email-consent redirect).
            passes = facts.login_paths == _NEVER_REFUSES
            # ``if email is None: return 401`` then ``request.user = ...``: the caller is signed
            # in from a header the proxy sets (MG301 says whether a client could send it too).
            # A certificate header stays a certificate gate (MG102): the certificate is no login.
            header = bool(facts.capabilities.header_sign_in[0]) and not facts.cert_keys
            own = (facts.auth_guard or wraps or header) and not passes
            guard = guard or own or _helper_guard(project, cls, facts)
            partial = partial or (facts.path_dependent and not passes)
            # ``if not user.is_authenticated and path not in EXEMPT: return redirect(...)``:
            # refuses by path (even when the refusal sits in a nested ``if``).
            paths = paths or (None if passes else facts.login_paths)
            checker = checker or _user_checker(project, cls, facts)
            if facts.cert_guard:
                cert = True
                keys.extend(facts.cert_keys)
        if guard or paths is not None:
            self.local = name
            self.exemptions = frozenset(
                mark
                for method in cls.methods.values()
                for mark in method.facts.exemption_marks.tests
            )
            self.partial = partial or paths is not None
            self.paths = paths
        elif checker:
            self.conditional = (name, checker)
        elif cert:
            self.cert = (name, ", ".join(dict.fromkeys(keys)))
        return bool(guard or paths is not None or checker or cert)


def _helper_guard(project: ProjectModel, cls: ClassModel, facts: FunctionFacts) -> bool:
    """A method of the middleware the hook calls refuses anonymous users.

    pretalx's ``EventPermissionMiddleware.__call__`` hands ``/orga/`` URLs to
    ``self._handle_orga_url()``, which redirects anonymous users to the login page. Not a
    method called only for a caller who sent a credential (``if key: self.authenticate(request,
    key)``): one who sends none passes.
    """
    spared = facts.capabilities.credential_calls
    for name in facts.calls:
        if name.startswith(("self.", ".")) and short_of(name) not in spared:
            hit = project.method(cls, short_of(name))
            if hit is not None and hit[1].facts.auth_guard:
                return True
    return False


def _user_checker(project: ProjectModel, cls: ClassModel, facts: FunctionFacts) -> str:
    """A project helper that checks the user, whose ``False`` makes the hook refuse.

    ``if request.admin_namespace: return self.check_admin_authorization(request)`` where that
    method reads ``if not is_admin_authorized(request): return redirect(...)`` and the helper
    looks at ``request.user.is_staff``: a gate, but under a condition the hook computes at run
    time, so whether it covers a given route is not known (``""`` when there is none).
    """
    methods = [facts]
    for name in facts.calls:
        if name.startswith(("self.", ".")):
            hit = project.method(cls, short_of(name))
            if hit is not None:
                methods.append(hit[1].facts)
    for found in methods:
        for name in found.capabilities.guard_calls:
            helper = project.function_named(name)
            if helper is not None and (
                helper.facts.auth_guard or helper.facts.capabilities.reads_user_state
            ):
                return short_of(name)
    return ""


@dataclass(frozen=True, slots=True)
class _DrfDefaults:
    permissions: Expr = _ALLOW_ANY
    source: str = "DRF implicit default AllowAny"
    conditional: bool = False
    auth_disabled: bool = False

    @classmethod
    def of(cls, setting: SettingValue | None) -> _DrfDefaults:
        if setting is None:
            return cls()
        if not isinstance(setting.value, Mapping):
            # REST_FRAMEWORK = get_drf_settings(...): the default is decided at run time.
            return cls(Unknown("REST_FRAMEWORK"), "REST_FRAMEWORK computed at run time", True)
        defaults = cls()
        perms = setting.value.get("DEFAULT_PERMISSION_CLASSES")
        if perms is not None:
            defaults = cls(
                _strings_to_refs(perms),
                "REST_FRAMEWORK DEFAULT_PERMISSION_CLASSES",
                setting.conditional or _has_ifexpr(perms),
            )
        auth = setting.value.get("DEFAULT_AUTHENTICATION_CLASSES")
        if isinstance(auth, Seq) and not auth.items:
            defaults = replace(defaults, auth_disabled=True)
        return defaults


def _strings_to_refs(value: Expr) -> Expr:
    """Settings name classes by dotted string; the permission algebra wants references."""
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
