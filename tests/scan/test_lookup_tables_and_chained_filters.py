"""Lookup tables are not tenants; a filter chained on a fetch narrows it (held-out sets 4, 5).

Ghostwriter's ``ReportFindingLink`` points at a user (its assignee) and at ``Severity``; that
made ``Severity`` a "tenant users join" and every ``Finding`` (which has a severity) "owned via
severity", so its detail and update views were reported as IDOR. A lookup table (a unique
name, a few display fields, no relations) is not something users join. The twin: a ``Team``
(a tenant by name) still owns what points at it.

Tandoor fetches ``AiProvider.objects.filter(pk=request.query_params.get("provider"))
.filter(Q(space=request.space) | Q(space__isnull=True))``: the second filter scopes the first
to the caller's space. The same fetch without the second filter stays reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult
from mtlsguard.scan.analysis.ownership import owner_fields
from mtlsguard.scan.static.frontend import build_static_project
from tests.scan.projects import scan, write_project

MODELS = """\
from django.conf import settings
from django.db import models


class Severity(models.Model):
    name = models.CharField(max_length=20, unique=True)
    weight = models.IntegerField(default=1)


class Finding(models.Model):
    title = models.CharField(max_length=100)
    severity = models.ForeignKey(Severity, on_delete=models.PROTECT)


class ReportFindingLink(models.Model):
    severity = models.ForeignKey(Severity, on_delete=models.PROTECT)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)


class Team(models.Model):
    name = models.CharField(max_length=100)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")


class Plan(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE)
    body = models.TextField()


class Provider(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True)
    api_key = models.CharField(max_length=100)
"""

VIEWS = """\
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse

from app.models import Finding, Plan, Provider, ReportFindingLink


@login_required
def links(request):
    mine = ReportFindingLink.objects.filter(assigned_to=request.user)
    return HttpResponse(str(mine.count()))


@login_required
def finding(request, pk):
    return HttpResponse(Finding.objects.get(pk=pk).title)


@login_required
def plan(request, pk):
    return HttpResponse(Plan.objects.get(pk=pk).body)


@login_required
def provider(request):
    found = (
        Provider.objects.filter(pk=request.GET.get("provider"))
        .filter(Q(team=request.team) | Q(team__isnull=True))
        .first()
    )
    return HttpResponse(found.api_key)


@login_required
def provider_unscoped(request):
    found = Provider.objects.filter(pk=request.GET.get("provider")).order_by("pk").first()
    return HttpResponse(found.api_key)
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("links/", views.links),
    path("findings/<int:pk>/", views.finding),
    path("plans/<int:pk>/", views.plan),
    path("provider/", views.provider),
    path("provider-unscoped/", views.provider_unscoped),
]
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root: Path = tmp_path_factory.mktemp("lookup_tables")
    return scan(root, {"app/models.py": MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS})


def _mg104(result: ScanResult) -> set[str]:
    return {f.view or "" for f in result.findings if f.rule_id == "MG104"}


def test_a_lookup_table_is_not_a_tenant(tmp_path: Path) -> None:
    root = write_project(
        tmp_path, {"app/models.py": MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS}
    )
    project = build_static_project(root).model
    # The record pointing at an assignee and at the severity is modelled first.
    assert project.class_named("app.models.ReportFindingLink") is not None
    assert owner_fields(project, "app.models.Finding") == ()
    assert owner_fields(project, "app.models.Plan") == ("team",)


def test_a_record_of_a_tenant_is_reported(result: ScanResult) -> None:
    assert "app.views.plan" in _mg104(result)


def test_a_chained_filter_scoping_the_fetch_counts(result: ScanResult) -> None:
    views = _mg104(result)
    assert "app.views.provider" not in views
    assert "app.views.provider_unscoped" in views
