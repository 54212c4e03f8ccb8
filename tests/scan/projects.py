"""Write tiny Django-like projects into a temporary directory for focused scanner tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

from mtlsguard.findings.model import Protection, ScanResult
from mtlsguard.scan.engine import scan_project

SETTINGS = """\
SECRET_KEY = "test"
INSTALLED_APPS = ["django.contrib.auth", "app"]
ROOT_URLCONF = "proj.urls"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
"""

MANAGE = """\
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
"""


OWNED_NOTE_MODELS = """\
from django.conf import settings
from django.db import models


class Note(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    text = models.TextField()
"""
"""``app/models.py`` with one record a user owns (``Note.owner``), for tests about who may
read it."""


def write_project(root: Path, files: dict[str, str], *, settings_extra: str = "") -> Path:
    """Create ``root`` with manage.py, proj/settings.py (+ extra) and the given files."""
    base = {
        "manage.py": MANAGE,
        "proj/__init__.py": "",
        "proj/settings.py": SETTINGS + textwrap.dedent(settings_extra),
        "app/__init__.py": "",
    }
    base.update({name: textwrap.dedent(text) for name, text in files.items()})
    for name, text in base.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def scan(root: Path, files: dict[str, str], *, settings_extra: str = "") -> ScanResult:
    """Write the project and scan it."""
    return scan_project(write_project(root, files, settings_extra=settings_extra))


def protections(result: ScanResult, pattern: str) -> dict[str, Protection]:
    """Protection by method for the route ``pattern``."""
    for route in result.routes:
        if route.pattern == pattern:
            return {p.method: p for p in route.protections}
    raise AssertionError(f"no route {pattern!r} in {[r.pattern for r in result.routes]}")


def rule_ids(result: ScanResult, view: str | None = None) -> set[str]:
    """Rule ids found (optionally only for ``view``)."""
    return {f.rule_id for f in result.findings if view is None or f.view == view}
