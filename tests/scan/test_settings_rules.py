"""Settings evaluation and the MG2xx rules on focused settings modules."""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Confidence
from tests.scan.projects import protections, scan

URLS = """\
from django.urls import path
from app import views
urlpatterns = [path("v/", views.v)]
"""
VIEWS = "def v(request):\n    return 1\n"


def _settings_findings(tmp_path: Path, extra: str) -> dict[str, tuple[int, Confidence, str]]:
    result = scan(tmp_path, {"proj/urls.py": URLS, "app/views.py": VIEWS}, settings_extra=extra)
    out = {}
    for f in result.findings:
        if f.rule_id.startswith("MG2"):
            assert f.location is not None
            out[f.rule_id] = (f.location.line, f.confidence, f.evidence)
    return out


def test_session_age_arithmetic_and_browser_close(tmp_path: Path) -> None:
    found = _settings_findings(
        tmp_path / "a", "WEEK = 7 * 24 * 3600\nSESSION_COOKIE_AGE = 4 * WEEK\n"
    )
    assert "MG202" in found
    assert "2419200 s" in found["MG202"][2]
    closed = _settings_findings(
        tmp_path / "b",
        "SESSION_COOKIE_AGE = 4 * 7 * 24 * 3600\nSESSION_EXPIRE_AT_BROWSER_CLOSE = True\n",
    )
    assert "MG202" not in closed
    short = _settings_findings(tmp_path / "c", "SESSION_COOKIE_AGE = 60 * 60 * 8\n")
    assert "MG202" not in short


def test_values_from_the_environment_are_not_guessed(tmp_path: Path) -> None:
    found = _settings_findings(
        tmp_path,
        "import os\nSESSION_COOKIE_AGE = int(os.environ.get('AGE', '9999999'))\n"
        "PASSWORD_RESET_TIMEOUT = os.environ['RESET']\n",
    )
    assert "MG202" not in found
    assert "MG203" not in found


def test_conditional_setting_lowers_confidence(tmp_path: Path) -> None:
    found = _settings_findings(
        tmp_path, "DEBUG = True\nif DEBUG:\n    AUTH_PASSWORD_VALIDATORS = []\n"
    )
    assert found["MG201"][1] is Confidence.MEDIUM


def test_validators_built_dynamically_are_not_judged(tmp_path: Path) -> None:
    found = _settings_findings(
        tmp_path,
        "AUTH_PASSWORD_VALIDATORS = [{'NAME': n} for n in ('a.MinimumLengthValidator',)]\n",
    )
    assert "MG201" not in found


def test_middleware_append_is_evaluated(tmp_path: Path) -> None:
    extra = (
        "MIDDLEWARE = ['django.contrib.sessions.middleware.SessionMiddleware']\n"
        "MIDDLEWARE.append('django.contrib.auth.middleware.LoginRequiredMiddleware')\n"
    )
    result = scan(tmp_path, {"proj/urls.py": URLS, "app/views.py": VIEWS}, settings_extra=extra)
    prot = protections(result, "v/")["*"]
    assert prot.authenticated is True
    assert prot.decided_by == "middleware"


def test_star_import_and_override_order(tmp_path: Path) -> None:
    files = {
        "proj/urls.py": URLS,
        "app/views.py": VIEWS,
        "proj/base.py": "PASSWORD_RESET_TIMEOUT = 3 * 86400\nSESSION_COOKIE_AGE = 99 * 86400\n",
    }
    extra = "from .base import *\nPASSWORD_RESET_TIMEOUT = 3600\n"
    result = scan(tmp_path, files, settings_extra=extra)
    rules = {f.rule_id: f for f in result.findings}
    assert "MG203" not in rules  # overridden after the star import
    assert rules["MG202"].location is not None
    assert rules["MG202"].location.path == "proj/base.py"
