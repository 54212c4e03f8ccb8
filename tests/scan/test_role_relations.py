"""A colleague's role on a record is not ownership (held-out reviews 12-13: DefectDojo, Tendenci).

``Product.product_manager``, ``Engagement.lead``, ``Finding.assigned_to``, ``reviewer``: who
works on shared data, not who may read it. Like an author (``creator``, ``*_by``), such a
relation alone makes a fetch by id low ("an IDOR only if such records are private"); a record
with an ``owner`` or a ``user`` keeps high.
"""

from __future__ import annotations

import pytest

from mtlsguard.findings.model import ScanResult, Severity
from tests.scan.projects import scan

MODELS = """\
from django.conf import settings
from django.db import models


class Engagement(models.Model):
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    product_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    name = models.CharField(max_length=100)


class Ticket(models.Model):
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(max_length=100)


class Wallet(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    balance = models.IntegerField()
"""

VIEWS = """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from app.models import Engagement, Ticket, Wallet


@login_required
def engagement(request, pk):
    return HttpResponse(get_object_or_404(Engagement, pk=pk).name)


@login_required
def ticket(request, pk):
    return HttpResponse(get_object_or_404(Ticket, pk=pk).title)


@login_required
def wallet(request, pk):
    return HttpResponse(str(get_object_or_404(Wallet, pk=pk).balance))
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("engagements/<int:pk>/", views.engagement),
    path("tickets/<int:pk>/", views.ticket),
    path("wallets/<int:pk>/", views.wallet),
]
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    files = {"app/models.py": MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS}
    return scan(tmp_path_factory.mktemp("roles"), files)


def _mg104(result: ScanResult, view: str) -> tuple[Severity, str]:
    (found,) = [
        f for f in result.findings if f.rule_id == "MG104" and f.view == f"app.views.{view}"
    ]
    return found.severity, found.evidence


@pytest.mark.parametrize("view", ["engagement", "ticket"])
def test_a_record_only_worked_on_by_users_is_low(result: ScanResult, view: str) -> None:
    severity, evidence = _mg104(result, view)
    assert severity is Severity.LOW
    assert "not who may read it" in evidence


def test_a_record_with_an_owner_stays_high(result: ScanResult) -> None:
    severity, evidence = _mg104(result, "wallet")
    assert severity is Severity.HIGH
    assert "owned via owner" in evidence
