"""MG106 — Login endpoint without throttling or lockout (CWE-307).

**What.** A view that checks passwords — Django's ``LoginView``, DRF's ``ObtainAuthToken``,
SimpleJWT's ``TokenObtainPairView``, or any view calling ``authenticate()`` — with no rate limit
(``@ratelimit``, DRF ``throttle_classes`` or ``DEFAULT_THROTTLE_CLASSES``, or a rate-limit call
such as ``check_rate_limit(...)`` in the view's methods or in its ``form_class``) and no lockout
app (django-axes, django-defender) installed. django-allauth's ``LoginView`` (and subclasses)
limits failed logins itself unless the settings switch it off (``ACCOUNT_RATE_LIMITS = False``,
``"login_failed": None``, ``ACCOUNT_LOGIN_ATTEMPTS_LIMIT = None``,
``ACCOUNT_LOGIN_ATTEMPTS_TIMEOUT = 0``, or a value decided at run time) or a subclass, or its
``form_class``, calls Django's ``authenticate()`` itself. A view that creates the account
(``create_user``/``set_password``) before authenticating with the password it was just given is a
registration, not a login. Nothing is reported when ``AUTHENTICATION_BACKENDS`` names only
backends that take no password (single sign-on, a project backend without ``password``):
``authenticate()`` then checks no password an attacker could guess. A project view named like a
login view that answers no POST (a ``TemplateView`` listing identity providers) checks none either.

**Why.** Improper restriction of excessive authentication attempts (CWE-307): passwords can be
guessed online at full speed; an mTLS certificate does not limit how often its holder tries
another user's password.

**Vulnerable**::

    urlpatterns = [path("api/token/", obtain_auth_token)]   # no throttling configured

**Fix**::

    class LoginThrottle(AnonRateThrottle):
        rate = "5/min"

    class TokenView(ObtainAuthToken):
        throttle_classes = [LoginThrottle]

or install ``django-axes`` (``axes`` in ``INSTALLED_APPS``, ``AxesMiddleware``, ``AxesBackend``).
"""

from __future__ import annotations

from collections.abc import Iterator

from mtlsguard.findings.model import Confidence, Finding, Severity
from mtlsguard.findings.registry import Rule, rule
from mtlsguard.scan.analysis.password_backends import (
    checks_password_itself,
    passwordless_backends,
)
from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.context import RuleContext
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import (
    ClassModel,
    Const,
    FunctionModel,
    IfExpr,
    Mapping,
    ProjectModel,
    Ref,
    Seq,
)
from mtlsguard.scan.rules._common import where

RULE_ID = "MG106"
_LOGIN_VIEWS = frozenset(
    {
        "LoginView",
        "ObtainAuthToken",
        "obtain_auth_token",
        "TokenObtainPairView",
        "TokenObtainSlidingView",
        "KnoxLoginView",
        "LoginAPIView",
    }
)
_REMOTE_LOGIN_PACKAGES = ("django_cas_ng.", "mozilla_django_oidc.")
"""CAS (django-cas-ng) and OpenID Connect (mozilla-django-oidc) login views: documented public
views of these packages that redirect to the identity provider, which checks the password."""
_DRF_LOGIN_VIEWS = ("rest_framework.", "rest_framework_simplejwt.", "knox.", "dj_rest_auth.")
"""Packages whose login views are DRF views (so ``DEFAULT_THROTTLE_CLASSES`` applies)."""
_LOCKOUT_APPS = ("axes", "defender", "brutebuster", "django_brute_force")
_RATELIMIT = frozenset({"ratelimit", "throttle", "rate_limit", "limits"})
_SIGN_UP_CALLS = frozenset({"create_user", "create_superuser", "set_password"})


_CREDENTIAL_CALLS = frozenset(
    {"authenticate", "aauthenticate", "check_password", "acheck_password"}
)
_MAX_DEPTH = 2


def _token_backends_only(ctx: RuleContext, func: FunctionModel) -> bool:
    """Every ``authenticate(...)`` of ``func`` reaches a configured backend without a password.

    ``authenticate(username=username, token=token)`` with ``AUTHENTICATION_BACKENDS`` naming a
    project backend whose ``authenticate(self, request, username=None, token=None)`` checks a
    signed login-link token: Django tries only the backends whose signature accepts the
    keywords, and none of them takes a password.
    """
    calls = func.facts.capabilities.authenticate_keywords
    if not calls or any("password" in names or not names for names in calls):
        return False
    setting = ctx.setting("AUTHENTICATION_BACKENDS")
    if setting is None:
        return False
    backends = [ctx.project.class_named(name) for name in _names(setting.value)]
    if setting.conditional:
        # Only the last assignment is kept (``if REMOTE_USER_HEADER: AUTHENTICATION_BACKENDS =
        # [...]``): the other value may name any backend class of the project.
        backends.extend(ctx.project.classes.values())
    for names in calls:
        matching = []
        for backend in backends:
            found = ctx.project.method(backend, "authenticate") if backend is not None else None
            params = set(found[1].params) if found is not None else set()
            if found is not None and "request" in params and set(names) <= params:
                matching.append(found[1])
        if not matching or any("password" in meth.params for meth in matching):
            return False
    return True


def _names(value: object) -> list[str]:
    """Dotted paths in a setting value (a list, or both branches of a conditional)."""
    if isinstance(value, Seq):
        return [n for item in value.items for n in _names(item)]
    if isinstance(value, IfExpr):
        return _names(value.body) + _names(value.orelse)
    if isinstance(value, Const) and isinstance(value.value, str):
        return [value.value]
    return []


def _checks_password(project: ProjectModel, func: FunctionModel) -> bool:
    """Calls ``authenticate()`` on a password that belongs to an existing account.

    A registration or invitation view creates the account (``create_user``/``set_password``)
    with the submitted password and then authenticates with it to sign the new user in:
    nothing there can be guessed.
    """
    if not func.may_authenticate():
        return False  # no credential call: its facts are not computed for this
    facts = func.facts
    if not facts.authenticates or any(short_of(c) in _SIGN_UP_CALLS for c in facts.calls):
        return False
    return _password_call(project, func, 0)


def _password_call(project: ProjectModel, func: FunctionModel, depth: int) -> bool:
    """One of ``func``'s credential calls checks a password.

    ``django.contrib.auth.authenticate``, a backend's ``authenticate`` or ``check_password``
    (outside the project, or unresolved: ``self.backend.authenticate``) does. A project
    function that is only *named* ``authenticate`` does if its own body checks a password:
    Weblate's git export ``authenticate()`` looks the HTTP Basic secret up as an API token
    (``User.objects.get(username=..., auth_token__key=code)``), nothing to guess online.
    """
    for name in func.facts.calls:
        if short_of(name) not in _CREDENTIAL_CALLS:
            continue
        local = project.function_named(name) if not name.startswith(".") else None
        if local is None or local is func:
            return True
        if (
            depth < _MAX_DEPTH
            and local.facts.authenticates
            and _password_call(project, local, depth + 1)
        ):
            return True
    return False


def _remote_login(name: str) -> bool:
    """A view of a single-sign-on package: the identity provider checks the password."""
    return name.startswith(_REMOTE_LOGIN_PACKAGES)


_NO_POST_BASES = frozenset(
    {"View", "TemplateView", "RedirectView", "TemplateResponseMixin", "ContextMixin", "object"}
)
"""Django views that answer no POST: a class built only on them reads no submitted password."""


def _answers_posts(ctx: RuleContext, cls: ClassModel) -> bool:
    """``cls`` has a POST path: a project ``post()``/``form_valid()``, or a base that has one."""
    if any(ctx.project.method(cls, name) for name in ("post", "put", "form_valid", "create")):
        return True
    return any(
        ctx.project.class_named(e) is None and short_of(e) not in _NO_POST_BASES
        for e in cls.mro[1:]
    )


def _is_login(ctx: RuleContext, analysis: RouteAnalysis) -> bool:
    if analysis.view and short_of(analysis.view) in _LOGIN_VIEWS:
        # tunnistamo's LoginView is a TemplateView listing identity providers: no POST at all
        cls = analysis.klass
        return not _remote_login(analysis.view) and (cls is None or _answers_posts(ctx, cls))
    if analysis.klass is not None:
        bases = [e for e in analysis.klass.mro if short_of(e) in _LOGIN_VIEWS]
        if bases:
            return not any(_remote_login(e) for e in bases)
        for name in ("post", "form_valid", "create"):
            found = ctx.project.method(analysis.klass, name)
            if found is not None and _password_login(ctx, found[1]):
                return True
    return analysis.function is not None and _password_login(ctx, analysis.function)


def _password_login(ctx: RuleContext, func: FunctionModel) -> bool:
    return _checks_password(ctx.project, func) and not _token_backends_only(ctx, func)


def _limits_in_code(ctx: RuleContext, analysis: RouteAnalysis) -> bool:
    """A rate-limit call in the view's methods or in its ``form_class``.

    Weblate's ``LoginForm.clean`` calls ``check_rate_limit("login", request)``.
    """
    classes: list[ClassModel] = []
    functions: list[FunctionModel] = []
    if analysis.function is not None:
        functions.append(analysis.function)
    if analysis.klass is not None:
        classes.append(analysis.klass)
        found = ctx.project.attribute(analysis.klass, "form_class")
        if found is not None and isinstance(found[1], Ref):
            form = ctx.project.class_named(found[1].name)
            if form is not None:
                classes.append(form)
    for cls in classes:
        for entry in cls.mro:
            local = ctx.project.class_named(entry)
            if local is not None:
                functions.extend(local.methods.values())
    return any(
        any(word in short_of(call).lower() for word in _RATELIMIT)
        for func in functions
        for call in func.facts.calls
    )


def _locks_out(project: ProjectModel, analysis: RouteAnalysis) -> bool:
    """The view, or a project function or class it calls, refuses after repeated failures.

    ``ArcheryAuth(request).authenticate()`` returning "locked" when ``failed_login_count``
    reached the threshold, before it checks the password.
    """
    functions: list[FunctionModel] = []
    if analysis.function is not None:
        functions.append(analysis.function)
    if analysis.klass is not None:
        functions.extend(_methods(project, analysis.klass))
    for func in list(functions):
        for name in func.facts.calls:
            if name.startswith("."):
                continue
            callee = project.function_named(name, parse=False)
            if callee is not None:
                functions.append(callee)
            cls = project.class_named(name)
            if cls is not None:
                functions.extend(_methods(project, cls))
    return any(func.facts.capabilities.lockout for func in functions)


_ALLAUTH_LOGIN = "allauth.account.views.LoginView"
_DIRECT_AUTHENTICATE = frozenset({"django.contrib.auth.authenticate", "authenticate"})


def _allauth_limited(ctx: RuleContext, analysis: RouteAnalysis) -> bool:
    """django-allauth's ``LoginView`` (or a subclass), whose rate limits the settings keep.

    allauth limits failed logins by default: ``ACCOUNT_RATE_LIMITS`` (``"login_failed"``,
    enforced by the account adapter before it authenticates) since 0.54, and
    ``ACCOUNT_LOGIN_ATTEMPTS_LIMIT`` (5 failures) before. ``ACCOUNT_RATE_LIMITS = False``, a
    ``"login_failed": None`` entry, ``ACCOUNT_LOGIN_ATTEMPTS_LIMIT = None`` or
    ``ACCOUNT_LOGIN_ATTEMPTS_TIMEOUT = 0`` switch it off, and a value the scan cannot read may;
    a subclass (or its ``form_class``) calling Django's ``authenticate()`` itself skips the
    adapter.
    """
    cls = analysis.klass
    if analysis.view != _ALLAUTH_LOGIN and (cls is None or _ALLAUTH_LOGIN not in cls.mro):
        return False
    limits = ctx.setting("ACCOUNT_RATE_LIMITS")
    value = limits.value if limits is not None else Mapping(())
    if isinstance(value, Const):
        if not value.value:
            return False
    elif not isinstance(value, Mapping):
        return False  # decided at run time
    else:
        failed = value.get("login_failed")
        if failed is not None and not (isinstance(failed, Const) and failed.value):
            return False
    for name in ("ACCOUNT_LOGIN_ATTEMPTS_LIMIT", "ACCOUNT_LOGIN_ATTEMPTS_TIMEOUT"):
        setting = ctx.setting(name)
        if setting is not None and not (isinstance(setting.value, Const) and setting.value.value):
            return False
    return not _authenticates_itself(ctx.project, cls)


def _authenticates_itself(project: ProjectModel, cls: ClassModel | None) -> bool:
    """The view's project classes, or its project ``form_class``, call ``authenticate()``."""
    if cls is None:
        return False
    classes = [cls]
    found = project.attribute(cls, "form_class")
    form = project.class_named(found[1].name) if found and isinstance(found[1], Ref) else None
    classes += [form] if form is not None else []
    return any(
        call in _DIRECT_AUTHENTICATE
        for owner in classes
        for method in _methods(project, owner)
        for call in method.facts.calls
    )


def _methods(project: ProjectModel, cls: ClassModel) -> list[FunctionModel]:
    found: list[FunctionModel] = []
    for entry in cls.mro:
        local = project.class_named(entry)
        if local is not None:
            found.extend(local.methods.values())
    return found


def _throttled(ctx: RuleContext, analysis: RouteAnalysis) -> bool:
    decorators = list(analysis.route.wrappers)
    if analysis.function is not None:
        decorators.extend(analysis.function.decorators)
    if analysis.klass is not None:
        for entry in analysis.klass.mro:
            local = ctx.project.class_named(entry)
            if local is not None:
                decorators.extend(local.decorators)
                for meth in local.methods.values():
                    decorators.extend(meth.decorators)
        found = ctx.project.attribute(analysis.klass, "throttle_classes")
        if found is not None and not (isinstance(found[1], Seq) and not found[1].items):
            return True
    text = repr(decorators)
    if any(word in text for word in _RATELIMIT):
        return True
    if _limits_in_code(ctx, analysis) or _locks_out(ctx.project, analysis):
        return True
    if _allauth_limited(ctx, analysis):
        return True
    if (
        analysis.framework == "drf"
        or (analysis.view or "").startswith(_DRF_LOGIN_VIEWS)
        or (analysis.klass and any(e.startswith(_DRF_LOGIN_VIEWS) for e in analysis.klass.mro))
    ):
        drf = ctx.setting("REST_FRAMEWORK")
        if drf is not None and isinstance(drf.value, Mapping):
            default = drf.value.get("DEFAULT_THROTTLE_CLASSES")
            if isinstance(default, Seq) and default.items:
                return True
    return False


@rule(
    RULE_ID,
    title="Login endpoint without throttling or lockout",
    cwe="CWE-307",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
)
def check(ctx: RuleContext, meta: Rule) -> Iterator[Finding]:
    """Report password-checking endpoints with no rate limit and no lockout app."""
    if any(ctx.installed(app) for app in _LOCKOUT_APPS):
        return
    passwordless = passwordless_backends(
        ctx.project, ctx.setting("AUTHENTICATION_BACKENDS"), ctx.sources()
    )
    for analysis in ctx.routes:
        if not _is_login(ctx, analysis) or _throttled(ctx, analysis):
            continue
        if passwordless and not checks_password_itself(ctx.project, analysis):
            continue  # authenticate() reaches no backend that checks a password
        yield meta.finding(
            location=analysis.location,
            route=analysis.route.pattern,
            view=analysis.view,
            view_kind=analysis.view_kind,
            evidence=f"{where(analysis)}: checks passwords; no throttle, rate limit or lockout",
            remediation=(
                "Throttle the login endpoint (DRF throttle_classes such as a 5/min "
                "AnonRateThrottle, or django-ratelimit's @ratelimit) and add a lockout "
                "(django-axes: 'axes' in INSTALLED_APPS, AxesMiddleware, AxesBackend)."
            ),
        )
