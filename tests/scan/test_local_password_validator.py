"""MG201 and a project's own length validator (label-studio's ``PasswordLengthValidator``).

A validator configured with ``OPTIONS = {"min_length": N}`` enforces a minimum length whatever
its class is called: N >= 8 satisfies MG201, N < 8 is reported like Django's own validator. A
project validator without that option may or may not check length: reported, but with low
confidence and saying so.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Confidence
from tests.scan.projects import scan

URLS = """\
from django.urls import path
from app import views
urlpatterns = [path("v/", views.v)]
"""

LABEL_STUDIO = """\
AUTH_PASSWORD_MIN_LENGTH = {n}
AUTH_PASSWORD_VALIDATORS = [
    {{"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"}},
    {{
        "NAME": "users.validators.PasswordLengthValidator",
        "OPTIONS": {{"min_length": AUTH_PASSWORD_MIN_LENGTH, "max_length": 128}},
    }},
]
"""


def _mg201(tmp_path: Path, extra: str) -> list[tuple[Confidence, str]]:
    result = scan(
        tmp_path,
        {"proj/urls.py": URLS, "app/views.py": "def v(request):\n    return 1\n"},
        settings_extra=extra,
    )
    return [(f.confidence, f.evidence) for f in result.findings if f.rule_id == "MG201"]


def test_local_validator_with_min_length_8_is_enough(tmp_path: Path) -> None:
    assert _mg201(tmp_path, LABEL_STUDIO.format(n=8)) == []


def test_local_validator_with_short_min_length_is_reported(tmp_path: Path) -> None:
    found = _mg201(tmp_path, LABEL_STUDIO.format(n=6))
    assert len(found) == 1
    assert "min_length = 6" in found[0][1]


def test_local_validator_without_options_is_reported_with_low_confidence(tmp_path: Path) -> None:
    extra = 'AUTH_PASSWORD_VALIDATORS = [{"NAME": "users.validators.StrongPasswordValidator"}]\n'
    found = _mg201(tmp_path, extra)
    assert len(found) == 1
    assert found[0][0] is Confidence.LOW
    assert "users.validators.StrongPasswordValidator" in found[0][1]


def test_only_django_validators_without_length_is_still_reported(tmp_path: Path) -> None:
    extra = (
        "AUTH_PASSWORD_VALIDATORS = [\n"
        '    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},\n'
        "]\n"
    )
    found = _mg201(tmp_path, extra)
    assert len(found) == 1
    assert found[0][0] is Confidence.HIGH
