"""Open views that read no user's data are informational (issue 12: "views that touch no user
data ... informational, not high"; held-out set 10, CourtListener).

``get_object_or_404(Court, pk=court)`` fetches a model that relates to no user, no tenant and no
owned record: public reference data as far as the scan can tell, so MG101 is ``info``. The
twins keep their finding: the owned record itself, fetched by the caller's key, stays high; a
record that belongs to an owned parent (a user's channel's notification) fetched by key is a
tenant's record, weak evidence: low with low confidence, saying why it would be high.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Finding, ScanResult, Severity
from tests.scan.projects import scan, weak_reason

MODELS = """\
from django.conf import settings
from django.db import models


class Court(models.Model):
    name = models.CharField(max_length=100)


class Channel(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)


class Notification(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE)
    text = models.TextField()
"""

VIEWS = """\
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from app.models import Channel, Court, Notification


def court(request, pk):
    return HttpResponse(get_object_or_404(Court, pk=pk).name)


def notification(request, pk):
    return HttpResponse(get_object_or_404(Notification, pk=pk).text)


def channel(request, pk):
    return HttpResponse(get_object_or_404(Channel, pk=pk).name)
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("courts/<int:pk>/", views.court),
    path("notifications/<int:pk>/", views.notification),
    path("channels/<int:pk>/", views.channel),
]
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root: Path = tmp_path_factory.mktemp("unowned")
    return scan(root, {"app/models.py": MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS})


def _finding(result: ScanResult, view: str) -> Finding:
    (found,) = [
        f for f in result.findings if f.rule_id == "MG101" and f.view == f"app.views.{view}"
    ]
    return found


def _mg101(result: ScanResult, view: str) -> Severity:
    return _finding(result, view).severity


def test_a_read_of_unowned_reference_data_is_informational(result: ScanResult) -> None:
    assert _mg101(result, "court") is Severity.INFO


def test_an_owned_record_fetched_by_key_stays_high(result: ScanResult) -> None:
    found = _finding(result, "channel")
    assert found.severity is Severity.HIGH
    assert "; high because it fetches a record related to a user by a key the caller chooses" in (
        found.evidence
    )


def test_a_child_of_an_owned_record_fetched_by_key_is_weak_evidence(result: ScanResult) -> None:
    found = _finding(result, "notification")
    assert weak_reason(found) == (
        "it fetches Notification (a tenant's record) by a key the caller chooses"
    )
