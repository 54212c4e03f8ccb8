"""A view's gate helper kept in a module no URLconf reaches, and files the analysis reads late.

``ensure_login(request)`` imported from ``app/helpers.py`` (a module only the view's body
names) refuses anonymous callers; the scan read helpers handed the request only in files it had
already parsed, so the view was reported as having no authentication check at all. A helper
whose name reads like a gate is now read. The twins: a helper named like no gate stays unread
(``notify(request)``), and a gate-named helper that refuses nobody credits nothing.

Reading a module during the analysis, after the URLconf walk, must also count: its file in the
totals, and its syntax error in the scan errors (the scan said "complete" while it had failed to
read the code it was deciding about).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Severity
from mtlsguard.scan.engine import analyze
from mtlsguard.scan.static.frontend import build_static_project
from tests.scan.projects import OWNED_NOTE_MODELS, scan

VIEW = """\
from app.helpers import {name}
from app.models import Note


def note(request, pk):
    {name}(request)
    return Note.objects.get(pk=pk)
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [path("notes/<int:pk>/", views.note)]
"""

REFUSING = """\
from django.core.exceptions import PermissionDenied


def {name}(request):
    if not request.user.is_authenticated:
        raise PermissionDenied
"""

LOGGING = """\
import logging


def {name}(request):
    if not request.user.is_authenticated:
        logging.info("anonymous")
"""


def _files(name: str, helper: str) -> dict[str, str]:
    return {
        "app/models.py": OWNED_NOTE_MODELS,
        "app/helpers.py": helper.replace("{name}", name),
        "app/views.py": VIEW.replace("{name}", name),
        "proj/urls.py": URLS,
    }


@pytest.mark.parametrize(
    ("name", "helper", "unauthenticated"),
    [
        ("ensure_login", REFUSING, False),
        ("check_access", REFUSING, False),
        ("notify", REFUSING, True),  # named like no gate: its module is not read for it
        ("ensure_login", LOGGING, True),  # read, and it refuses nobody
    ],
)
def test_a_gate_helper_in_another_module(
    tmp_path: Path, name: str, helper: str, unauthenticated: bool
) -> None:
    result = scan(tmp_path, _files(name, helper))
    assert result.errors == ()
    mg101 = [f for f in result.findings if f.rule_id == "MG101" and f.view == "app.views.note"]
    assert bool(mg101) is unauthenticated, mg101
    if not unauthenticated:  # signed in, but nothing checks the note's owner
        assert any(f.rule_id == "MG104" for f in result.findings), result.findings


def test_a_module_read_during_the_analysis_is_counted_and_its_errors_reported(
    tmp_path: Path,
) -> None:
    files = _files("ensure_login", "def ensure_login(request:\n    pass\n")
    result = scan(tmp_path, files)
    assert [e.path for e in result.errors] == ["app/helpers.py"], result.errors
    assert "syntax error" in result.errors[0].message
    readable = scan(tmp_path / "ok", _files("ensure_login", REFUSING))
    # settings, urls, views, models and the helper, each read once
    assert readable.files_scanned == result.files_scanned + 1


WRITES_ONLY = """\
from django.core.exceptions import PermissionDenied


def require_login(request):
    if request.method == "POST" and not request.user.is_authenticated:
        raise PermissionDenied
"""

GATE_AFTER_WRITE = """\
from app.helpers import require_login
from app.models import Note


def note(request, pk):
    if request.method == "POST":
        Note.objects.filter(pk=pk).update(text=request.POST["text"])
        return None
    require_login(request)
    return Note.objects.get(pk=pk)
"""


@pytest.mark.parametrize(
    ("helper", "view"),
    [
        # a red-team review's cases: the helper refuses anonymous writes only; the view calls
        # the gate after a branch that has already written and answered
        (WRITES_ONLY, VIEW.replace("{name}", "require_login")),
        (REFUSING.replace("{name}", "require_login"), GATE_AFTER_WRITE),
    ],
)
def test_a_gate_that_spares_some_requests_is_no_gate(
    tmp_path: Path, helper: str, view: str
) -> None:
    files = {
        "app/models.py": OWNED_NOTE_MODELS,
        "app/helpers.py": helper,
        "app/views.py": view,
        "proj/urls.py": URLS,
    }
    result = scan(tmp_path, files)
    assert result.errors == ()
    mg101 = [f for f in result.findings if f.rule_id == "MG101" and f.view == "app.views.note"]
    assert mg101, result.findings
    assert mg101[0].severity is Severity.HIGH, mg101[0].evidence


def test_a_gate_helper_is_read_without_the_parsers_definitions(tmp_path: Path) -> None:
    """The runtime front-end (``manage.py mtlsguard``) keeps no parsed modules: the helper's
    definition is read from its file, and its ``request.user`` check still authenticates."""
    root = tmp_path / "runtime"
    scan(root, _files("ensure_login", REFUSING))  # writes the project
    static = build_static_project(root)
    static.model.parsed_definition = None
    context = analyze(static.model)
    [note] = [a for a in context.routes if a.view == "app.views.note"]
    assert all(p.authenticated for p in note.protections), note.protections
