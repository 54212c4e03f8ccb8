"""Django settings for mtlsguard's own tests (configured by tests/django/conftest.py).

MTLSGUARD is filled in per test by the ``mtls_settings`` fixture, because the CA bundle is
generated at session start.
"""

from __future__ import annotations

from typing import Any

SETTINGS: dict[str, Any] = {
    "DEBUG": False,
    "SECRET_KEY": "tests-only-not-secret",
    "ALLOWED_HOSTS": ["testserver", "localhost", "127.0.0.1"],
    "INSTALLED_APPS": [
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django.contrib.admin",
        "mtlsguard.django",
        "tests.drf",  # models for the DRF tests (tests/drf/models.py); shares this config
    ],
    "MIDDLEWARE": [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "mtlsguard.django.middleware.ClientCertificateMiddleware",
    ],
    "AUTHENTICATION_BACKENDS": [
        "mtlsguard.django.backends.ClientCertificateBackend",
        "django.contrib.auth.backends.ModelBackend",
    ],
    "ROOT_URLCONF": "tests.django.urls",
    "DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    "TEMPLATES": [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "APP_DIRS": True,
            "OPTIONS": {
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                    "django.contrib.messages.context_processors.messages",
                ]
            },
        }
    ],
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    "USE_TZ": True,
    "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
    "LOGGING_CONFIG": None,
}
