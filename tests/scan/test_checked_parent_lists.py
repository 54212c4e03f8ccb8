"""A list filtered by the URL parent a permission class checked is the parent's (doccano).

``LabelList.get_queryset`` is ``filter(project=self.kwargs["project_id"])`` and
``IsProjectMember.has_permission`` asks whether the user has a role in the project the URL
names: MG103 has nothing to report. The twins stay reported: the same list behind a permission
class that checks nothing about that key, and one whose queryset also fetches by a key the
permission class never checked.
"""

from __future__ import annotations

import pytest

from mtlsguard.findings.model import ScanResult
from tests.scan.projects import scan

MODELS = """\
from django.conf import settings
from django.db import models


class Project(models.Model):
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Member")


class Member(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


class Label(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    text = models.CharField(max_length=100)
"""

PERMISSIONS = """\
from rest_framework.permissions import BasePermission

from app.models import Member


class IsProjectMember(BasePermission):
    def has_permission(self, request, view):
        project_id = view.kwargs.get("project_id")
        return Member.objects.filter(project_id=project_id, user=request.user).exists()


class IsCheerful(BasePermission):
    def has_permission(self, request, view):
        return request.user.is_authenticated
"""

VIEWS = """\
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated

from app.models import Label
from app.permissions import IsCheerful, IsProjectMember


class LabelList(generics.ListAPIView):
    permission_classes = [IsAuthenticated & IsProjectMember]

    def get_queryset(self):
        return Label.objects.filter(project=self.kwargs["project_id"])


class OpenLabelList(generics.ListAPIView):
    permission_classes = [IsAuthenticated & IsCheerful]

    def get_queryset(self):
        return Label.objects.filter(project=self.kwargs["project_id"])


class OtherKeyLabelList(generics.ListAPIView):
    permission_classes = [IsAuthenticated & IsProjectMember]

    def get_queryset(self):
        return Label.objects.filter(project=self.kwargs["other_id"])
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("projects/<int:project_id>/labels/", views.LabelList.as_view()),
    path("open/<int:project_id>/labels/", views.OpenLabelList.as_view()),
    path("other/<int:project_id>/<int:other_id>/labels/", views.OtherKeyLabelList.as_view()),
]
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    files = {
        "app/models.py": MODELS,
        "app/permissions.py": PERMISSIONS,
        "app/views.py": VIEWS,
        "proj/urls.py": URLS,
    }
    return scan(tmp_path_factory.mktemp("parents"), files)


def _mg103(result: ScanResult, view: str) -> list[str]:
    return [
        f.severity.label
        for f in result.findings
        if f.rule_id == "MG103" and f.view == f"app.views.{view}"
    ]


def test_a_list_of_the_checked_parent_is_not_reported(result: ScanResult) -> None:
    assert _mg103(result, "LabelList") == []


@pytest.mark.parametrize("view", ["OpenLabelList", "OtherKeyLabelList"])
def test_unchecked_parents_stay_reported(result: ScanResult, view: str) -> None:
    assert _mg103(result, view) == ["high"]
