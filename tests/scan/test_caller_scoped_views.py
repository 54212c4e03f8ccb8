"""Open DRF views whose ``get_queryset()`` serves only the caller's rows (held-out set 6, kpi).

DRF's default ``AllowAny`` on a viewset whose ``get_queryset()`` returns ``none()`` for an
anonymous caller and ``filter(user=request.user)`` otherwise: an anonymous caller gets nothing
of anyone else's, so MG101 says the login wall is missing, low. The twins are not taken for
it: the same viewset with a custom action fetching by id stays high, and one whose queryset
ignores the user stays reported as open (it only reads: low with low confidence, weak evidence).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Finding, ScanResult, Severity
from tests.scan.projects import reported_open, scan

MODELS = """\
from django.conf import settings
from django.db import models


class Task(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.TextField()
"""

VIEWS = """\
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from app.models import Task


class TaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "name"]


class OwnTasks(viewsets.ModelViewSet):
    serializer_class = TaskSerializer

    def get_queryset(self):
        if self.request.user.is_anonymous:
            return Task.objects.none()
        return Task.objects.filter(user=self.request.user)

    def create(self, request, *args, **kwargs):
        if request.user.is_anonymous:
            raise exceptions.NotAuthenticated()
        return super().create(request, *args, **kwargs)


class OwnTasksWithPeek(OwnTasks):
    @action(detail=False)
    def peek(self, request):
        return Response({"name": Task.objects.get(pk=request.GET["id"]).name})


class AllTasks(viewsets.ReadOnlyModelViewSet):
    serializer_class = TaskSerializer

    def get_queryset(self):
        return Task.objects.all()
"""

URLS = """\
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from app import views

router = DefaultRouter()
router.register("own", views.OwnTasks, basename="own")
router.register("peek", views.OwnTasksWithPeek, basename="peek")
router.register("all", views.AllTasks, basename="all")

urlpatterns = [path("api/", include(router.urls))]
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root: Path = tmp_path_factory.mktemp("caller_scoped")
    return scan(root, {"app/models.py": MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS})


def _mg101(result: ScanResult, view: str) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == "MG101" and f.view == f"app.views.{view}"]


def test_viewset_serving_only_the_callers_rows_is_low(result: ScanResult) -> None:
    found = _mg101(result, "OwnTasks")
    assert found, [(f.rule_id, f.view) for f in result.findings]
    assert {f.severity for f in found} == {Severity.LOW}
    assert all("filters by request.user" in f.evidence for f in found)


def test_custom_action_fetching_by_id_keeps_it_high(result: ScanResult) -> None:
    assert Severity.HIGH in {f.severity for f in _mg101(result, "OwnTasksWithPeek")}


def test_queryset_ignoring_the_user_stays_open(result: ScanResult) -> None:
    found = _mg101(result, "AllTasks")
    assert found
    assert all(reported_open(f) for f in found)
    assert not any("filters by request.user" in f.evidence for f in found)
