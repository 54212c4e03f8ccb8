"""An object fetched with ``get()`` by any key (a slug, an API key) and then checked is checked.

``environment = Environment.objects.get(api_key=environment_api_key)`` then ``if not
request.user.has_environment_permission(VIEW, environment): return Response(status=403)``
(Flagsmith's experiment results): a single-object fetch names one record whatever the key is
called, so the check that follows is about it, exactly as after a fetch by ``pk``. The twins: the
same fetch without the check, and a check about the user alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult, Severity
from tests.scan.projects import scan

FILES = {
    "app/models.py": """\
from django.conf import settings
from django.db import models


class Environment(models.Model):
    api_key = models.CharField(max_length=40, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
""",
    "app/views.py": """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from app.models import Environment


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def results(request, environment_api_key):
    try:
        environment = Environment.objects.get(api_key=environment_api_key)
    except Environment.DoesNotExist:
        return Response(status=status.HTTP_404_NOT_FOUND)
    if not request.user.has_environment_permission("VIEW_ENVIRONMENT", environment):
        return Response({"detail": "no"}, status=status.HTTP_403_FORBIDDEN)
    return Response({"key": environment.api_key})


@login_required
def by_slug(request, slug):
    environment = get_object_or_404(Environment, api_key=slug)
    if not request.user.can_view(environment):
        return HttpResponse(status=403)
    return HttpResponse(environment.api_key)


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def results_open(request, environment_api_key):
    environment = Environment.objects.get(api_key=environment_api_key)
    return Response({"key": environment.api_key})


@login_required
def by_slug_user_only(request, slug):
    environment = get_object_or_404(Environment, api_key=slug)
    if not request.user.is_active:
        return HttpResponse(status=403)
    return HttpResponse(environment.api_key)
""",
    "proj/urls.py": """\
from django.urls import path

from app import views

urlpatterns = [
    path("a/<str:environment_api_key>/", views.results),
    path("b/<slug:slug>/", views.by_slug),
    path("c/<str:environment_api_key>/", views.results_open),
    path("d/<slug:slug>/", views.by_slug_user_only),
]
""",
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return scan(Path(tmp_path_factory.mktemp("checked_by_any_key")), FILES)


def _mg104(result: ScanResult) -> dict[str, Severity]:
    return {f.view: f.severity for f in result.findings if f.rule_id == "MG104"}


def test_get_by_a_named_key_then_checked_is_not_reported(result: ScanResult) -> None:
    found = _mg104(result)
    assert "app.views.results" not in found
    assert "app.views.by_slug" not in found


def test_get_by_a_named_key_without_an_object_check_is_reported(result: ScanResult) -> None:
    found = _mg104(result)
    assert found["app.views.results_open"] is Severity.HIGH
    assert found["app.views.by_slug_user_only"] is Severity.HIGH
