"""Open views that read no user's data are informational (issue 12: "views that touch no user
data ... informational, not high"; held-out set 10, CourtListener).

``get_object_or_404(Court, pk=court)`` fetches a model that relates to no user, no tenant and no
owned record: public reference data as far as the scan can tell, so MG101 is ``info``. The
twins stay high: a record that belongs to an owned parent (a user's channel's notification),
and the owned record itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult, Severity
from tests.scan.projects import scan

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


def _mg101(result: ScanResult, view: str) -> Severity:
    (found,) = [
        f for f in result.findings if f.rule_id == "MG101" and f.view == f"app.views.{view}"
    ]
    return found.severity


def test_a_read_of_unowned_reference_data_is_informational(result: ScanResult) -> None:
    assert _mg101(result, "court") is Severity.INFO


@pytest.mark.parametrize("view", ["notification", "channel"])
def test_owned_records_and_their_children_stay_high(result: ScanResult, view: str) -> None:
    assert _mg101(result, view) is Severity.HIGH
