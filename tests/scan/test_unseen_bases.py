"""A view whose base class comes from a package the scan cannot read (held-out set 7, SODAR).

SODAR's views inherit ``LoggedInPermissionMixin`` from django-sodar-core. When that package is
not in the tree nor installed where mtlsguard runs, the login check in it is invisible: MG101
says so and stays low (with the class named) instead of claiming "no authentication check" at
high. The twin with only Django's ``View`` as base keeps its finding (it only reads the owners'
notes: weak evidence, low with low confidence and that reason, not the unread base's); a base
from a package whose views only render (django-filter) does not lower it either.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Confidence, Finding, ScanResult, Severity
from tests.scan.projects import OWNED_NOTE_MODELS, reported_open, scan

VIEWS = """\
from django.http import HttpResponse
from django.views import View
from django_filters.views import FilterView
from projectroles.views import LoggedInPermissionMixin

from app.models import Note


class Unseen(LoggedInPermissionMixin, View):
    def get(self, request):
        return HttpResponse(str(list(Note.objects.values("text"))))


class Plain(View):
    def get(self, request):
        return HttpResponse(str(list(Note.objects.values("text"))))


class Filtered(FilterView):
    model = Note

    def get(self, request):
        return HttpResponse(str(list(Note.objects.values("text"))))
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("unseen/", views.Unseen.as_view()),
    path("plain/", views.Plain.as_view()),
    path("filtered/", views.Filtered.as_view()),
]
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root: Path = tmp_path_factory.mktemp("unseen")
    return scan(
        root, {"app/models.py": OWNED_NOTE_MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS}
    )


def _mg101(result: ScanResult, view: str) -> Finding:
    found = [f for f in result.findings if f.rule_id == "MG101" and f.view == f"app.views.{view}"]
    assert len(found) == 1, [(f.rule_id, f.view) for f in result.findings]
    return found[0]


def test_unread_base_class_lowers_and_names_it(result: ScanResult) -> None:
    finding = _mg101(result, "Unseen")
    assert (finding.severity, finding.confidence) == (Severity.LOW, Confidence.LOW)
    assert "projectroles.views.LoggedInPermissionMixin" in finding.evidence
    assert not reported_open(finding)  # lowered for the unread base, not for weak evidence


@pytest.mark.parametrize("view", ["Plain", "Filtered"])
def test_known_bases_do_not_lower_it(result: ScanResult, view: str) -> None:
    finding = _mg101(result, view)
    assert reported_open(finding)
    assert "a package the scan could not read" not in finding.evidence
