"""Write tiny Django-like projects into a temporary directory for focused scanner tests."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from mtlsguard.findings.model import Confidence, Finding, Protection, ScanResult, Severity
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


def mg101_by_route(root: Path, files: dict[str, str]) -> dict[str, Finding]:
    """Scan ``files`` as a project at ``root``; its MG101 findings by route."""
    result = scan(root, files)
    return {f.route or "": f for f in result.findings if f.rule_id == "MG101"}


def rule_ids(result: ScanResult, view: str | None = None) -> set[str]:
    """Rule ids found (optionally only for ``view``)."""
    return {f.rule_id for f in result.findings if view is None or f.view == view}


_WEAK = re.compile(
    r"; it would be high because (?P<why>.+?); but the view's own code writes nothing the scan "
    r"can see and fetches no user's record by a key the caller chooses"
)


def weak_reason(finding: Finding) -> str | None:
    """Why MG101 would have made ``finding`` high, when it is low only for weak evidence.

    ``None`` unless the finding is MG101, low with low confidence, and its evidence carries the
    weak-evidence note (the route writes nothing the scan can see and fetches no user's record
    by a caller-chosen key, so what it reads alone is not enough for high). Other demotions
    (uncredited gates, public-shaped reads, visibility helpers...) say something else.
    """
    if finding.rule_id != "MG101":
        return None
    if (finding.severity, finding.confidence) != (Severity.LOW, Confidence.LOW):
        return None
    match = _WEAK.search(finding.evidence)
    return match["why"] if match else None


def reported_open(finding: Finding | None) -> bool:
    """``finding`` reports an open MG101 route that no protection demoted.

    High, or low only because the route's evidence is weak (:func:`weak_reason`). A finding
    demoted by a mechanism (a gate, a refusing helper, a public filter...) or missing is not.
    """
    if finding is None or finding.rule_id != "MG101":
        return False
    return finding.severity is Severity.HIGH or weak_reason(finding) is not None
