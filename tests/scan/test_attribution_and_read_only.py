"""Authorship is not ownership; a project-wide ``IsAuthenticatedOrReadOnly`` opens reads on
purpose (held-out sets 7 and 8).

Kitsune's questions are "owned via creator, updated_by, marked_as_spam_by": who wrote a record,
not who may read it. A signed-in user fetching one by id is reported low, not high; a record
with an ``owner``, or one that also belongs to a tenant, keeps its severity. Treeherder sets
``IsAuthenticatedOrReadOnly`` as the default of every view of a public CI dashboard: an
anonymous read of records nobody owns is no finding; of owned records, medium.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult, Severity
from tests.scan.projects import scan

MODELS = """\
from django.conf import settings
from django.db import models


class Question(models.Model):
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(max_length=100)


class Diary(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    text = models.TextField()


class Workspace(models.Model):
    name = models.CharField(max_length=100)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")


class Page(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    text = models.TextField()


class Build(models.Model):
    name = models.CharField(max_length=100)
"""

VIEWS = """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from rest_framework import serializers, viewsets

from app.models import Build, Diary, Page, Question


@login_required
def question(request, pk):
    return HttpResponse(Question.objects.get(pk=pk).title)


@login_required
def diary(request, pk):
    return HttpResponse(Diary.objects.get(pk=pk).text)


@login_required
def page(request, pk):
    return HttpResponse(Page.objects.get(pk=pk).text)


class BuildSerializer(serializers.ModelSerializer):
    class Meta:
        model = Build
        fields = ["id", "name"]


class DiarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Diary
        fields = ["id", "text"]


class Builds(viewsets.ReadOnlyModelViewSet):
    serializer_class = BuildSerializer
    queryset = Build.objects.all()


class Diaries(viewsets.ReadOnlyModelViewSet):
    serializer_class = DiarySerializer
    queryset = Diary.objects.all()
"""

URLS = """\
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from app import views

router = DefaultRouter()
router.register("builds", views.Builds)
router.register("diaries", views.Diaries)

urlpatterns = [
    path("questions/<int:pk>/", views.question),
    path("diary/<int:pk>/", views.diary),
    path("pages/<int:pk>/", views.page),
    path("api/", include(router.urls)),
]
"""

SETTINGS = """
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
}
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root: Path = tmp_path_factory.mktemp("attribution")
    files = {"app/models.py": MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS}
    return scan(root, files, settings_extra=SETTINGS)


def _severities(result: ScanResult, rule: str, view: str) -> set[Severity]:
    return {f.severity for f in result.findings if f.rule_id == rule and f.view == view}


def test_a_record_owned_only_by_its_author_is_low(result: ScanResult) -> None:
    assert _severities(result, "MG104", "app.views.question") == {Severity.LOW}


@pytest.mark.parametrize("view", ["app.views.diary", "app.views.page"])
def test_owned_or_tenant_records_keep_their_severity(result: ScanResult, view: str) -> None:
    assert Severity.HIGH in _severities(result, "MG104", view)


def test_read_only_default_over_unowned_records_is_no_finding(result: ScanResult) -> None:
    assert not _severities(result, "MG101", "app.views.Builds")


def test_read_only_default_over_owned_records_is_medium(result: ScanResult) -> None:
    assert _severities(result, "MG101", "app.views.Diaries") == {Severity.MEDIUM}
