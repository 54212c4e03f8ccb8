"""Settings of the hardened example: the same bank, with mtlsguard behind the mutual TLS.

What changed from ``examples/vulnerable``:

* ``ClientCertificateMiddleware`` believes certificate headers only from ``TRUSTED_PROXIES``,
  verifies chain, expiry, key usage and revocation, and maps the certificate to a user through
  a ``CertificateBinding`` (``manage.py seed_demo`` / ``manage.py mtlscert bind``);
* DRF authenticates with ``ClientCertificateAuthentication`` and defaults to
  ``IsAuthenticated``; account endpoints add ``IsOwner`` and ``OwnerScopedQuerysetMixin``;
* every certificate decision is audited on the ``mtlsguard.audit`` logger.

Deployment knobs are environment variables, so the demo can run this project under the
embedded mTLS dev server (``MTLSGUARD_SOURCE=wsgi-ssl``, the default) or behind nginx
(``MTLSGUARD_SOURCE=nginx`` and ``MTLSGUARD_TRUSTED_PROXIES``).
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEMO_PKI = Path(os.environ.get("MTLSGUARD_DEMO_PKI", BASE_DIR.parent / "pki"))


def _list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-hardened-example")
DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"
ALLOWED_HOSTS = _list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "mtlsguard.django",
    "bank",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mtlsguard.django.middleware.ClientCertificateMiddleware",
]

# The certificate names the user; a password (ModelBackend, /api/login/) is the second factor.
AUTHENTICATION_BACKENDS = [
    "mtlsguard.django.backends.ClientCertificateBackend",
    "django.contrib.auth.backends.ModelBackend",
]

MTLSGUARD = {
    # "wsgi-ssl": the embedded dev server / mod_wsgi put the certificate in the WSGI environ;
    # "nginx" (or another proxy) forwards it in headers, believed from TRUSTED_PROXIES only.
    "SOURCE": os.environ.get("MTLSGUARD_SOURCE", "wsgi-ssl"),
    "TRUSTED_PROXIES": _list("MTLSGUARD_TRUSTED_PROXIES", "127.0.0.1,::1"),
    # Root and intermediate(s) of the client CA (proxies forward only the leaf), and its CRL.
    # The defaults are the files of `mtlsguard pki init examples/pki` (see examples/README.md).
    "CA_BUNDLE": os.environ.get("MTLSGUARD_CA_BUNDLE", str(DEMO_PKI / "ca-bundle.pem")),
    "CRL_FILES": _list("MTLSGUARD_CRL_FILES", str(DEMO_PKI / "crl.pem")),
    "REQUIRED": "all",
    "API_PREFIXES": ["/api/", "/billing/"],
    "UNTRUSTED_HEADERS": "reject",
    "AUDIT": {"ENABLED": True, "LOG_ALLOWED": True},
    "THROTTLE": {"ENABLED": True, "FAILURES": 20, "WINDOW": 300},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mtlsguard.drf.authentication.ClientCertificateAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # bank.auth_views.LoginView: 5 sign-in attempts a minute per address, then 429.
    "DEFAULT_THROTTLE_RATES": {"login": "5/min"},
}

ROOT_URLCONF = "hardened_site.urls"
WSGI_APPLICATION = "hardened_site.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_DB_PATH", str(BASE_DIR / "db.sqlite3")),
    }
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
PASSWORD_RESET_TIMEOUT = 3600

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"audit": {"format": "%(asctime)s %(levelname)s %(message)s"}},
    "handlers": {"audit": {"class": "logging.StreamHandler", "formatter": "audit"}},
    "loggers": {"mtlsguard.audit": {"handlers": ["audit"], "level": "INFO", "propagate": False}},
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
