"""Django settings for mtlsguard's own tests (configured by tests/django/conftest.py).

MTLSGUARD is filled in per test by the ``mtls_settings`` fixture, because the CA bundle is
generated at session start.
"""

from __future__ import annotations

import os
import urllib.parse
from typing import Any


def postgres_database(url: str) -> dict[str, Any]:
    """A ``DATABASES`` entry for a ``postgresql://user:password@host:port/name`` URL."""
    parts = urllib.parse.urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": urllib.parse.unquote(parts.username or ""),
        "PASSWORD": urllib.parse.unquote(parts.password or ""),
        "HOST": parts.hostname or "127.0.0.1",
        "PORT": str(parts.port or 5432),
        "OPTIONS": {"connect_timeout": 10},
        "TEST": {"NAME": f"test_{parts.path.lstrip('/')}_{os.getpid()}"},
    }


def _database() -> dict[str, Any]:
    # MTLSGUARD_TEST_DB=postgres (set by .ci/run for the model-touching modules) runs the same
    # tests on PostgreSQL; pytest-django creates and drops the test database.
    if os.environ.get("MTLSGUARD_TEST_DB", "sqlite") != "postgres":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    url = os.environ.get("MTLSGUARD_TEST_POSTGRES")
    if not url:
        raise RuntimeError(
            "MTLSGUARD_TEST_DB=postgres needs MTLSGUARD_TEST_POSTGRES (.ci/services)"
        )
    return postgres_database(url)


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
    "DATABASES": {"default": _database()},
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

if SETTINGS["DATABASES"]["default"]["ENGINE"].endswith("postgresql"):
    # tests.drf has no migrations, and PostgreSQL cannot create its foreign keys to auth_user
    # before auth's migrations ran; the PostgreSQL run covers tests/django only.
    SETTINGS["INSTALLED_APPS"].remove("tests.drf")
