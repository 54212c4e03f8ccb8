"""System checks: each id fires on the misconfiguration it names, and only then."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.checks import run_checks
from django.test import override_settings

from mtlsguard.django import checks

GOOD_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mtlsguard.django.middleware.ClientCertificateMiddleware",
]


def ids(messages: list[Any]) -> list[str]:
    return sorted(m.id for m in messages)


def test_e001_middleware_order(mtls_settings: Any) -> None:
    assert checks.check_middleware() == []
    mtls_settings.MIDDLEWARE = list(reversed(GOOD_MIDDLEWARE))
    errors = checks.check_middleware()
    assert ids(errors) == ["mtlsguard.E001", "mtlsguard.E001"]
    assert "Move" in errors[0].hint
    mtls_settings.MIDDLEWARE = ["mtlsguard.django.middleware.PersistentClientCertificateMiddleware"]
    assert ids(checks.check_middleware()) == ["mtlsguard.E001", "mtlsguard.E001"]
    mtls_settings.MIDDLEWARE = ["mtlsguard.django.middleware.ClientCertificateMiddleware"]
    assert checks.check_middleware() == []  # stateless works without sessions


def test_e002_forwarded_source_without_trusted_proxies(mtls_settings: Any) -> None:
    assert checks.check_trusted_proxies() == []
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "TRUSTED_PROXIES": []}
    assert ids(checks.check_trusted_proxies()) == ["mtlsguard.E002"]
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "SOURCE": "wsgi-ssl"}
    assert checks.check_trusted_proxies() == []  # direct TLS: nothing is forwarded


def test_e003_ca_bundle_unreadable(mtls_settings: Any, tmp_path: Path) -> None:
    assert checks.check_ca_bundle() == []
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "CA_BUNDLE": str(tmp_path / "nope.pem")}
    assert ids(checks.check_ca_bundle()) == ["mtlsguard.E003"]
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "CA_BUNDLE": str(garbage)}
    assert ids(checks.check_ca_bundle()) == ["mtlsguard.E003"]


def test_e004_invalid_settings(mtls_settings: Any) -> None:
    assert checks.check_settings() == []
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "REQUIRED": "sometimes"}
    assert ids(checks.check_settings()) == ["mtlsguard.E004"]


def test_e005_backend_missing(mtls_settings: Any) -> None:
    assert checks.check_authentication_backend() == []
    mtls_settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    assert ids(checks.check_authentication_backend()) == ["mtlsguard.E005"]
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "AUTHENTICATE": False}
    assert checks.check_authentication_backend() == []


def test_w001_drf_allow_any(mtls_settings: Any) -> None:
    assert checks.check_drf_default_permission() == []  # DRF not installed
    mtls_settings.INSTALLED_APPS = [*mtls_settings.INSTALLED_APPS, "rest_framework"]
    assert ids(checks.check_drf_default_permission()) == ["mtlsguard.W001"]
    mtls_settings.REST_FRAMEWORK = {
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"]
    }
    assert ids(checks.check_drf_default_permission()) == ["mtlsguard.W001"]
    mtls_settings.REST_FRAMEWORK = {
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"]
    }
    assert checks.check_drf_default_permission() == []


def test_w002_w003_w004_deploy_checks(mtls_settings: Any) -> None:
    mtls_settings.AUTH_PASSWORD_VALIDATORS = []
    mtls_settings.SESSION_COOKIE_AGE = 30 * 24 * 3600
    mtls_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = False
    mtls_settings.PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
    found = ids(run_checks(include_deployment_checks=True, tags=["security"]))
    for expected in ("mtlsguard.W002", "mtlsguard.W003", "mtlsguard.W004"):
        assert expected in found
    assert not {"mtlsguard.W002", "mtlsguard.W003", "mtlsguard.W004"} & set(
        ids(run_checks(tags=["security"]))
    )
    mtls_settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"}
    ]
    mtls_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    mtls_settings.PASSWORD_RESET_TIMEOUT = 3600
    found = ids(run_checks(include_deployment_checks=True, tags=["security"]))
    assert not {"mtlsguard.W002", "mtlsguard.W003", "mtlsguard.W004"} & set(found)


def test_checks_are_registered_with_django(mtls_settings: Any) -> None:
    with override_settings(MIDDLEWARE=list(reversed(GOOD_MIDDLEWARE))):
        assert "mtlsguard.E001" in ids(run_checks())
