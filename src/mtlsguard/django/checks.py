"""System checks (``manage.py check``; W002-W004 with ``--deploy``).

The checks for valid but dangerous settings (E006-E008, W005-W008) are in
:mod:`mtlsguard.django.dangerous_settings`, and the owner-field check (E009) in
:mod:`mtlsguard.django.ownership`; both are registered when this module is imported.

=================  ==========================================================================
``E001``           middleware missing its prerequisites or in the wrong order
``E002``           a forwarded-header source with no ``TRUSTED_PROXIES`` (nobody is believed)
``E003``           CA bundle or CRL unreadable / unusable
``E004``           ``MTLSGUARD`` invalid
``E005``           ``AUTHENTICATE`` on but ``ClientCertificateBackend`` not installed
``W001``           DRF's default permission is effectively ``AllowAny``
``W002``           ``AUTH_PASSWORD_VALIDATORS`` empty (CWE-521)
``W003``           sessions live over two weeks and survive closing the browser (CWE-613)
``W004``           ``PASSWORD_RESET_TIMEOUT`` over one day (CWE-640)
=================  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from mtlsguard.certs.sources import get_source
from mtlsguard.django import dangerous_settings, ownership  # noqa: F401  (register checks)
from mtlsguard.django.conf import build_settings

__all__ = [
    "check_authentication_backend",
    "check_ca_bundle",
    "check_drf_default_permission",
    "check_middleware",
    "check_password_reset_timeout",
    "check_password_validators",
    "check_session_lifetime",
    "check_settings",
    "check_trusted_proxies",
]

MIDDLEWARE_PATHS = (
    "mtlsguard.django.middleware.ClientCertificateMiddleware",
    "mtlsguard.django.middleware.PersistentClientCertificateMiddleware",
)
SESSION_MW = "django.contrib.sessions.middleware.SessionMiddleware"
AUTH_MW = "django.contrib.auth.middleware.AuthenticationMiddleware"
BACKEND = "mtlsguard.django.backends.ClientCertificateBackend"
TWO_WEEKS = 14 * 24 * 3600
ONE_DAY = 24 * 3600


def _installed_middleware() -> tuple[int, str] | None:
    for index, entry in enumerate(settings.MIDDLEWARE):
        if entry in MIDDLEWARE_PATHS:
            return index, entry
    return None


def _settings_or_none() -> Any:
    try:
        return build_settings(getattr(settings, "MTLSGUARD", None))
    except ImproperlyConfigured:
        return None


@register(Tags.security)
def check_middleware(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """E001: the middleware comes after SessionMiddleware and AuthenticationMiddleware."""
    found = _installed_middleware()
    if found is None:
        return []
    index, entry = found
    middleware = list(settings.MIDDLEWARE)
    errors: list[CheckMessage] = []
    persistent = entry.endswith("PersistentClientCertificateMiddleware")
    for required in (SESSION_MW, AUTH_MW):
        if required in middleware:
            if middleware.index(required) > index:
                errors.append(
                    Error(
                        f"{entry} runs before {required}, which then replaces request.user.",
                        hint=f"Move {entry!r} after {required!r} in MIDDLEWARE.",
                        obj="MIDDLEWARE",
                        id="mtlsguard.E001",
                    )
                )
        elif persistent:
            errors.append(
                Error(
                    f"{entry} needs {required} to keep the login in the session.",
                    hint=f"Add {required!r} to MIDDLEWARE before {entry!r}.",
                    obj="MIDDLEWARE",
                    id="mtlsguard.E001",
                )
            )
    return errors


@register(Tags.security)
def check_settings(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """E004: ``MTLSGUARD`` is valid (only when the middleware is installed)."""
    if _installed_middleware() is None and not hasattr(settings, "MTLSGUARD"):
        return []
    try:
        build_settings(getattr(settings, "MTLSGUARD", None))
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint="See docs/django.md.", obj="MTLSGUARD", id="mtlsguard.E004")]
    return []


@register(Tags.security)
def check_trusted_proxies(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E002: a forwarded-header source needs ``TRUSTED_PROXIES``."""
    conf = _settings_or_none()
    if conf is None or conf.trusted_proxies:
        return []
    if not get_source(conf.source).forwarded:
        return []
    return [
        Error(
            f"MTLSGUARD['SOURCE'] is {conf.source!r}, which forwards the certificate in request "
            "headers, but TRUSTED_PROXIES is empty: no certificate will ever be believed.",
            hint="Set MTLSGUARD['TRUSTED_PROXIES'] to the addresses of your proxies "
            "(e.g. ['10.0.0.0/8']); never to 0.0.0.0/0.",
            obj="MTLSGUARD",
            id="mtlsguard.E002",
        )
    ]


@register(Tags.security)
def check_ca_bundle(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """E003: the CA bundle and CRLs load and compile into a verification policy."""
    conf = _settings_or_none()
    if conf is None:
        return []
    from mtlsguard.django.runtime import build_policy

    try:
        build_policy(conf)
    except ImproperlyConfigured as exc:
        return [
            Error(
                str(exc),
                hint="Check MTLSGUARD['CA_BUNDLE'] and ['CRL_FILES']: paths, permissions and "
                "that they hold PEM certificates / CRLs.",
                obj="MTLSGUARD",
                id="mtlsguard.E003",
            )
        ]
    return []


def _is_certificate_backend(path: str) -> bool:
    """Whether ``path`` is ClientCertificateBackend or a subclass (e.g. auto-binding).

    Imported and checked, never judged by its name: a look-alike
    (``myapp.ClientCertificateBackend``) is no certificate backend (and ``mtlsguard.E008``).
    """
    if path == BACKEND:
        return True
    from django.utils.module_loading import import_string

    from mtlsguard.django.backends import ClientCertificateBackend

    try:
        backend = import_string(path)
    except ImportError:
        return False
    return isinstance(backend, type) and issubclass(backend, ClientCertificateBackend)


@register(Tags.security)
def check_authentication_backend(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E005: certificates are mapped to users, so the backend must be installed."""
    conf = _settings_or_none()
    if conf is None or not conf.authenticate or _installed_middleware() is None:
        return []
    backends = list(getattr(settings, "AUTHENTICATION_BACKENDS", ()))
    if any(_is_certificate_backend(b) for b in backends):
        return []
    return [
        Error(
            "MTLSGUARD['AUTHENTICATE'] is on but no ClientCertificateBackend is in "
            "AUTHENTICATION_BACKENDS, so no certificate will ever map to a user.",
            hint=f"Add {BACKEND!r} to AUTHENTICATION_BACKENDS, or set AUTHENTICATE to False.",
            obj="AUTHENTICATION_BACKENDS",
            id="mtlsguard.E005",
        )
    ]


@register(Tags.security)
def check_drf_default_permission(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W001: with DRF installed, the default permission must not be ``AllowAny``."""
    if "rest_framework" not in settings.INSTALLED_APPS:
        return []
    conf = getattr(settings, "REST_FRAMEWORK", {}) or {}
    classes = conf.get("DEFAULT_PERMISSION_CLASSES")
    if (
        classes is None
        or len(classes) == 0
        or any(str(c).rsplit(".", 1)[-1] == "AllowAny" for c in classes)
    ):
        return [
            Warning(
                "REST_FRAMEWORK['DEFAULT_PERMISSION_CLASSES'] is effectively AllowAny: every "
                "view that does not set permission_classes is open to anyone holding a "
                "certificate (or to anyone, behind a misconfigured proxy).",
                hint="Set it to ['rest_framework.permissions.IsAuthenticated'] (or stricter) and "
                "open individual views explicitly.",
                obj="REST_FRAMEWORK",
                id="mtlsguard.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_password_validators(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W002: ``AUTH_PASSWORD_VALIDATORS`` must not be empty (CWE-521)."""
    if getattr(settings, "AUTH_PASSWORD_VALIDATORS", None):
        return []
    return [
        Warning(
            "AUTH_PASSWORD_VALIDATORS is empty: any password is accepted (CWE-521).",
            hint="Use the validators Django's startproject template configures.",
            obj="AUTH_PASSWORD_VALIDATORS",
            id="mtlsguard.W002",
        )
    ]


@register(Tags.security, deploy=True)
def check_session_lifetime(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W003: sessions over two weeks that survive closing the browser (CWE-613)."""
    age = getattr(settings, "SESSION_COOKIE_AGE", TWO_WEEKS)
    if age <= TWO_WEEKS or getattr(settings, "SESSION_EXPIRE_AT_BROWSER_CLOSE", False):
        return []
    return [
        Warning(
            f"SESSION_COOKIE_AGE is {age} s (over two weeks) and sessions survive closing the "
            "browser (CWE-613).",
            hint="Lower SESSION_COOKIE_AGE to at most 1209600 or set "
            "SESSION_EXPIRE_AT_BROWSER_CLOSE = True.",
            obj="SESSION_COOKIE_AGE",
            id="mtlsguard.W003",
        )
    ]


@register(Tags.security, deploy=True)
def check_password_reset_timeout(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W004: password-reset links valid for over one day (CWE-640)."""
    timeout = getattr(settings, "PASSWORD_RESET_TIMEOUT", 3 * ONE_DAY)
    if timeout <= ONE_DAY:
        return []
    return [
        Warning(
            f"PASSWORD_RESET_TIMEOUT is {timeout} s: reset links stay usable over a day (CWE-640).",
            hint="Set PASSWORD_RESET_TIMEOUT to at most 86400 (e.g. 3600).",
            obj="PASSWORD_RESET_TIMEOUT",
            id="mtlsguard.W004",
        )
    ]
