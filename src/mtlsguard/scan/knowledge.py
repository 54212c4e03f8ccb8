"""What the scanner knows about Django, DRF and common third-party packages, by name.

Names are matched on their last component within a known package (``django.``,
``rest_framework.``, ...) so re-exports (``django.views.generic.DetailView`` and
``django.views.generic.detail.DetailView``) and import aliases mean the same thing.
"""

from __future__ import annotations

import re

__all__ = [
    "AUTH_DECORATORS",
    "AUTH_MIXINS",
    "DJANGO_VIEW_METHODS",
    "DRF_GENERIC_METHODS",
    "DRF_VIEWSET_ACTIONS",
    "DRF_VIEW_PACKAGES",
    "EXEMPT_DECORATORS",
    "GATE_WORDS",
    "HTTP_METHODS",
    "LOGIN_REQUIRED_MIDDLEWARE",
    "MIDDLEWARE_HOOKS",
    "OPEN_DRF_VIEWS",
    "ORM_WRITES",
    "PUBLIC_VIEWS",
    "SAFE_METHODS",
    "SYNDICATION_FEED",
    "USER_SCOPING_MIXINS",
    "VIEWSET_ROUTES",
    "external_short",
    "is_cert_key",
    "settings_secret",
    "short_of",
]

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
"""Handler method names of class-based views."""

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods DRF's ``SAFE_METHODS`` and ``*OrReadOnly`` permissions treat as reads."""

ORM_WRITES = frozenset(
    {
        "save",
        "delete",
        "create",
        "update",
        "get_or_create",
        "update_or_create",
        "bulk_create",
        "bulk_update",
        "add",
        "remove",
        "clear",
        "set",
        "raw",
        "execute",
    }
)
"""Call names (the last attribute) that may change data: model and queryset writes, a form's
``save()``, many-to-many ``add``/``remove``/``clear``/``set``, raw SQL. A ``dict.update()`` or a
``set.add()`` reads the same: a body making one is not counted as read-only (the safe side)."""

INDIRECT_CALL = "<indirect call>"
"""Recorded among a body's calls for a method called by a name the scan cannot see, or one that
may write: ``getattr(a, "delete")()``, ``getattr(a, name)()``, ``map(Article.delete, qs)``,
``methodcaller("delete")`` (:func:`mtlsguard.scan.facts.collectors.indirect_call`). Not for
``getattr(user, field)`` read as a value or ``map(self.row, items)``."""

SYNDICATION_FEED = "django.contrib.syndication.views.Feed"
"""Django's feed view: an instance is the view, ``items()``/``get_object()`` serve it."""

KNOWN_PACKAGES = (
    "django.",
    "rest_framework.",
    "braces.",
    "guardian.",
    "rules.",
    "stronghold.",
    "login_required.",
    "django_otp.",
    "oauth2_provider.",
    "rest_framework_simplejwt.",
    "knox.",
)

DRF_VIEW_PACKAGES = (
    "rest_framework.",
    "rest_framework_simplejwt.views.",
    "rest_framework_json_api.views.",
)
"""Prefixes of view classes built on DRF: DRF's own, djangorestframework-simplejwt's views
(documented subclasses of ``rest_framework.generics.GenericAPIView``) and
django-rest-framework-json-api's (``ModelViewSet``, ``ReadOnlyModelViewSet``,
``RelationshipView``: DRF viewsets and generic views that keep DRF's permission handling)."""

OPEN_DRF_VIEWS = ("rest_framework_simplejwt.views.",)
"""External DRF views whose ``permission_classes`` and ``authentication_classes`` are ``()``:
djangorestframework-simplejwt's ``TokenViewBase`` sets both, and every view of
``rest_framework_simplejwt.views`` derives from it (its token endpoints are public)."""

AUTH_DECORATORS = frozenset(
    {
        "login_required",
        "permission_required",
        "user_passes_test",
        "staff_member_required",
        "superuser_required",
        "otp_required",
        "permission_required_or_403",  # django-guardian
        "user_login_required",
        "active_login_required",
        "login_and_certificate_required",  # mtlsguard: certificate and a session login
    }
)
"""Function decorators that refuse anonymous users (``user_passes_test`` needs a real test)."""

EXEMPT_DECORATORS = frozenset({"login_not_required", "public"})
"""Decorators that exempt a view from a login-required middleware (``stronghold`` uses
``public``)."""

AUTH_MIXINS = frozenset(
    {
        "LoginRequiredMixin",
        "LoginAndCertificateRequiredMixin",  # mtlsguard
        "PermissionRequiredMixin",
        "UserPassesTestMixin",
        "StaffuserRequiredMixin",
        "SuperuserRequiredMixin",
        "GroupRequiredMixin",
        "MultiplePermissionsRequiredMixin",
        "OTPRequiredMixin",
    }
)
"""Class-based view mixins whose ``dispatch`` refuses anonymous users."""

USER_SCOPING_MIXINS = frozenset({"mtlsguard.drf.mixins.OwnerScopedQuerysetMixin"})
"""Mixins (full dotted names) whose ``get_queryset()`` filters by ``request.user``; they live
outside the scanned tree, so their code is never parsed."""

MIDDLEWARE_HOOKS = ("__call__", "process_request", "process_view")
"""The methods of a middleware class that see a request before its view runs."""

LOGIN_REQUIRED_MIDDLEWARE = frozenset(
    {
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
        "login_required.middleware.LoginRequiredMiddleware",
        "stronghold.middleware.LoginRequiredMiddleware",
        "django_glrm.middleware.GlobalLoginRequiredMiddleware",
        "global_login_required.GlobalLoginRequiredMiddleware",
    }
)
"""Middleware that makes every Django (non-DRF) view require a login."""

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

DJANGO_VIEW_METHODS: dict[str, tuple[str, ...]] = {
    "View": (),
    "TemplateView": ("GET",),
    "RedirectView": ("GET", "POST", "PUT", "PATCH", "DELETE"),
    "DetailView": ("GET",),
    "ListView": ("GET",),
    "ArchiveIndexView": ("GET",),
    "YearArchiveView": ("GET",),
    "MonthArchiveView": ("GET",),
    "DayArchiveView": ("GET",),
    "DateDetailView": ("GET",),
    "FormView": ("GET", "POST", "PUT"),
    "CreateView": ("GET", "POST", "PUT"),
    "UpdateView": ("GET", "POST", "PUT"),
    "DeleteView": ("GET", "POST", "DELETE"),
    "LoginView": ("GET", "POST"),
    "LogoutView": ("POST",),
    "PasswordChangeView": ("GET", "POST"),
    "PasswordResetView": ("GET", "POST"),
    "PasswordResetConfirmView": ("GET", "POST"),
}
"""HTTP methods answered by Django's generic views (besides OPTIONS)."""

DRF_GENERIC_METHODS: dict[str, tuple[str, ...]] = {
    "APIView": (),
    "GenericAPIView": (),
    "CreateAPIView": ("POST",),
    "ListAPIView": ("GET",),
    "RetrieveAPIView": ("GET",),
    "DestroyAPIView": ("DELETE",),
    "UpdateAPIView": ("PUT", "PATCH"),
    "ListCreateAPIView": ("GET", "POST"),
    "RetrieveUpdateAPIView": ("GET", "PUT", "PATCH"),
    "RetrieveDestroyAPIView": ("GET", "DELETE"),
    "RetrieveUpdateDestroyAPIView": ("GET", "PUT", "PATCH", "DELETE"),
    "ObtainAuthToken": ("POST",),
    "TokenObtainPairView": ("POST",),
    "TokenRefreshView": ("POST",),
}
"""HTTP methods answered by DRF's generic API views."""

DRF_VIEWSET_ACTIONS: dict[str, tuple[str, ...]] = {
    "ViewSet": (),
    "GenericViewSet": (),
    "ModelViewSet": ("list", "create", "retrieve", "update", "partial_update", "destroy"),
    "ReadOnlyModelViewSet": ("list", "retrieve"),
    "ListModelMixin": ("list",),
    "CreateModelMixin": ("create",),
    "RetrieveModelMixin": ("retrieve",),
    "UpdateModelMixin": ("update", "partial_update"),
    "DestroyModelMixin": ("destroy",),
}
"""Standard actions provided by DRF viewsets and mixins."""

VIEWSET_ROUTES: tuple[tuple[bool, tuple[tuple[str, str], ...]], ...] = (
    (False, (("get", "list"), ("post", "create"))),
    (
        True,
        (
            ("get", "retrieve"),
            ("put", "update"),
            ("patch", "partial_update"),
            ("delete", "destroy"),
        ),
    ),
)
"""DRF ``SimpleRouter`` routes: (detail, method -> action)."""

_CERT_PREFIXES = (
    "SSL_CLIENT",
    "X_SSL_CLIENT",
    "X_SSL_CERT",
    "X_SSL_VERIFY",
    "X_SSL_SUBJECT",
    "X_SSL_ISSUER",
    "X_SSL_USER",
    "SSL_CLIENT_CERT",
    "X_CLIENT_CERT",
    "X_CLIENT_VERIFY",
    "X_CLIENT_DN",
    "X_CLIENT_S_DN",
    "X_FORWARDED_CLIENT_CERT",
    "X_FORWARDED_TLS_CLIENT_CERT",
    "X_AMZN_MTLS",
    "CLIENT_CERT",
    "X_ARR_CLIENTCERT",
    "CF_CLIENT_CERT",
    "X_MTLS",
)


def is_cert_key(text: str) -> bool:
    """True if ``text`` names a client-certificate header or environ key.

    Accepts ``META`` spellings (``HTTP_X_SSL_CLIENT_VERIFY``), header spellings
    (``X-SSL-Client-Verify``) and mod_ssl environ keys (``SSL_CLIENT_S_DN``).
    """
    if not text or len(text) > 64:
        return False
    key = text.upper().replace("-", "_")
    if key.startswith("HTTP_"):
        key = key[5:]
    return key.startswith(_CERT_PREFIXES)


GATE_WORDS = re.compile(
    r"auth|login|perm|admin|staff|superuser|required|member|access|owner|group|role|allow"
    r"|can_|check|secur|protect|restrict|private|token|key",
    re.IGNORECASE,
)
"""Words of a function's name that read like a gate (``superuser_required``, ``ensure_login``).

Only ever a hint: which unread code to name first, or to read at all; never a credit.
"""


def short_of(name: str) -> str:
    """Last component of a dotted path (``login_required``)."""
    return name.rsplit(".", 1)[-1]


def external_short(name: str) -> str | None:
    """The last component of ``name`` if it lives in a known framework package, else None."""
    if name.startswith(KNOWN_PACKAGES):
        return name.rsplit(".", 1)[-1]
    return None


SECRET_CHECKS = (
    "check_token",
    "compare_digest",
    "constant_time_compare",
    "check_signature",
    "verify_token",
)
"""Calls that check a value against a secret the caller must hold (a reset or invitation token)."""

SECRET_FIELDS = ("token", "secret", "signature", "passphrase")
"""Attribute names of a stored secret (``invite.token``)."""
_SETTING_SECRET_WORDS = frozenset({"KEY", "TOKEN", "SECRET", "PASSWORD", "PASSPHRASE"})


def settings_secret(attr: str) -> bool:
    """``METRICS_KEY``, ``WEBHOOK_TOKEN``: an upper-case setting named like a secret."""
    return attr.isupper() and bool(_SETTING_SECRET_WORDS.intersection(attr.split("_")))


LOGIN_FLOW_CALLS = frozenset(
    {
        "social_core.actions.do_auth",
        "social_core.actions.do_complete",
        "social_django.views.auth",
        "social_django.views.complete",
    }
)
"""python-social-auth's documented entry points (``social_core.actions``, ``social_django``
views): a view calling them starts or completes a third-party sign-in (the OAuth callback),
so it is the login itself, public by design."""
