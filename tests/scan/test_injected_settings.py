"""Settings filled at run time through ``globals()``: an unassigned setting is unknown.

Real-world shape (a held-out document-management app): ``production.py`` star-imports
``base.py``, which runs ``SettingNamespace(global_symbol_table=globals()).update_globals()``;
that helper defines ``AUTH_PASSWORD_VALIDATORS`` (all four Django validators by default). MG201
said "AUTH_PASSWORD_VALIDATORS is not set" at warning level, which the source cannot show.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mtlsguard.findings.model import Confidence, Finding, ScanResult, Severity
from mtlsguard.scan.static.settings_handoffs import namespace_handoffs
from tests.scan.projects import scan

URLS = """\
from django.urls import path
from app import views
urlpatterns = [path("v/", views.v)]
"""
VIEWS = "def v(request):\n    return 1\n"

BASE = """\
SECRET_KEY = "test"
INSTALLED_APPS = ["django.contrib.auth", "app"]
ROOT_URLCONF = "proj.urls"
"""

HELPER = """\
class Namespace:
    def __init__(self, symbols):
        self.symbols = symbols

    def update_globals(self):
        self.symbols["AUTH_PASSWORD_VALIDATORS"] = [
            {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
        ]
"""


def _scan(tmp_path: Path, files: dict[str, str]) -> ScanResult:
    project = {"proj/urls.py": URLS, "app/views.py": VIEWS, "proj/helper.py": HELPER, **files}
    return scan(tmp_path, project)


def _mg201(tmp_path: Path, files: dict[str, str]) -> list[Finding]:
    return [f for f in _scan(tmp_path, files).findings if f.rule_id == "MG201"]


def test_star_imported_base_handing_globals_to_a_helper(tmp_path: Path) -> None:
    base = BASE + (
        "from proj.helper import Namespace\n"
        "namespace = Namespace(globals())\n"
        "namespace.update_globals()\n"
    )
    result = _scan(
        tmp_path,
        {"proj/base.py": base, "proj/settings.py": "from proj.base import *\nDEBUG = False\n"},
    )
    found = [f for f in result.findings if f.rule_id == "MG201"]
    assert any("proj/base.py:5 Namespace(...) hands" in a for a in result.assumptions)
    assert len(found) == 1
    assert found[0].severity is Severity.INFO
    assert found[0].confidence is Confidence.LOW
    assert "proj/base.py:5 Namespace(...)" in found[0].evidence
    assert "unknown" in found[0].evidence


def test_without_the_handoff_an_absent_setting_is_still_reported(tmp_path: Path) -> None:
    base = BASE + "from proj.helper import Namespace\nnamespace = Namespace({})\n"
    found = _mg201(
        tmp_path,
        {"proj/base.py": base, "proj/settings.py": "from proj.base import *\nDEBUG = False\n"},
    )
    assert len(found) == 1
    assert found[0].severity is Severity.MEDIUM
    assert found[0].confidence is Confidence.HIGH
    assert "is not set" in found[0].evidence


@pytest.mark.parametrize(
    "handoff",
    [
        "from split_settings.tools import include\ninclude('extra.py', scope=globals())\n",
        "import django_heroku\ndjango_heroku.settings(locals())\n",
    ],
)
def test_helpers_whose_effect_is_known_keep_the_finding(tmp_path: Path, handoff: str) -> None:
    found = _mg201(tmp_path, {"proj/settings.py": BASE + handoff, "proj/extra.py": "X = 1\n"})
    assert len(found) == 1
    assert found[0].severity is Severity.MEDIUM
    assert "is not set" in found[0].evidence


def test_an_assigned_weak_value_is_judged_despite_the_handoff(tmp_path: Path) -> None:
    settings = BASE + "globals().update({})\nAUTH_PASSWORD_VALIDATORS = []\n"
    found = _mg201(tmp_path, {"proj/settings.py": settings})
    assert len(found) == 1
    assert found[0].severity is Severity.MEDIUM
    assert "any password is accepted" in found[0].evidence


@pytest.mark.parametrize(
    ("statement", "handed"),
    [
        ("ns = Namespace(global_symbol_table=globals())", True),
        ("load_settings(vars())", True),
        ("load_settings(locals())", True),
        ("globals().update(load())", True),
        ("exec(code, globals())", True),
        ("globals()[name] = value", True),
        ("X = globals().get('Y')", False),  # a read
        ("load_settings(**vars())", False),  # a copy
        ("describe(vars(obj))", False),  # another object's namespace
        ("for name in NAMES:\n    globals()[name] = load(name)", True),
        ("def helper():\n    return f(locals())", False),  # the function's own namespace
    ],
)
def test_namespace_handoffs(statement: str, handed: bool) -> None:
    assert bool(namespace_handoffs(ast.parse(statement).body[0])) is handed
