"""A DRF permission class that checks the user against the URL's parent (held-out set 8, doccano).

``IsProjectMember.has_permission`` reads ``view.kwargs.get("project_id")`` and asks
``Member.objects.has_role(project_id, request.user)``: fetching that project by the same key is
no IDOR. The twins stay reported: a record fetched by another key of the URL (an example of any
project), and the same fetch under a permission class that never looks at the user.

The same holds for an ``@api_view`` function under ``@permission_classes([...])`` (Flagsmith's
``update_flag_v1``, behind ``EnvironmentUpdateFeatureStatePermission`` that asks the user about
the environment the URL names): the keys were checked on class views only (7 false findings).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult
from tests.scan.projects import scan

MODELS = """\
from django.conf import settings
from django.db import models


class Project(models.Model):
    name = models.CharField(max_length=100)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Member")


class Member(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


class Example(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    text = models.TextField()
"""

VIEWS = """\
from django.shortcuts import get_object_or_404
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from app.models import Example, Member, Project


class IsProjectMember(BasePermission):
    @classmethod
    def get_project_id(cls, request, view):
        return view.kwargs.get("project_id")

    def has_permission(self, request, view):
        project_id = self.get_project_id(request, view)
        return Member.objects.filter(project_id=project_id, user=request.user).exists()


class IsProjectMemberOrReadOnly(BasePermission):
    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        project_id = view.kwargs.get("project_id")
        return Member.objects.filter(project_id=project_id, user=request.user).exists()


class ProjectIsOpen(BasePermission):
    def has_permission(self, request, view):
        project = Project.objects.filter(pk=view.kwargs["project_id"]).first()
        if project is None:
            return False
        return request.user.has_perm("app.change_project")


class HasProjectHeader(BasePermission):
    def has_permission(self, request, view):
        return bool(view.kwargs.get("project_id"))


class ProjectStats(APIView):
    permission_classes = [IsAuthenticated & IsProjectMember]

    def get(self, request, project_id):
        project = get_object_or_404(Project, pk=project_id)
        return Response({"name": project.name})


class ExampleText(APIView):
    permission_classes = [IsAuthenticated & IsProjectMember]

    def get(self, request, project_id, example_id):
        return Response({"text": get_object_or_404(Example, pk=example_id).text})


class UncheckedStats(APIView):
    permission_classes = [IsAuthenticated & HasProjectHeader]

    def get(self, request, project_id):
        project = get_object_or_404(Project, pk=project_id)
        return Response({"name": project.name})


@api_view(["GET"])
@permission_classes([IsAuthenticated, IsProjectMember])
def project_stats(request, project_id):
    return Response({"name": get_object_or_404(Project, pk=project_id).name})


@api_view(["GET"])
@permission_classes([IsAuthenticated, IsProjectMember])
def example_text(request, project_id, example_id):
    return Response({"text": get_object_or_404(Example, pk=example_id).text})


@api_view(["GET", "PUT"])
@permission_classes([IsAuthenticated, IsProjectMemberOrReadOnly])
def readable_stats(request, project_id):
    return Response({"name": get_object_or_404(Project, pk=project_id).name})


@api_view(["GET"])
@permission_classes([IsAuthenticated, ProjectIsOpen])
def open_stats(request, project_id):
    return Response({"name": get_object_or_404(Project, pk=project_id).name})


@api_view(["GET"])
@permission_classes([IsAuthenticated, HasProjectHeader])
def unchecked_stats(request, project_id):
    return Response({"name": get_object_or_404(Project, pk=project_id).name})
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("projects/<int:project_id>/stats", views.ProjectStats.as_view()),
    path("projects/<int:project_id>/examples/<int:example_id>", views.ExampleText.as_view()),
    path("projects/<int:project_id>/unchecked", views.UncheckedStats.as_view()),
    path("fn/<int:project_id>/stats", views.project_stats),
    path("fn/<int:project_id>/examples/<int:example_id>", views.example_text),
    path("fn/<int:project_id>/unchecked", views.unchecked_stats),
    path("fn/<int:project_id>/readable", views.readable_stats),
    path("fn/<int:project_id>/open", views.open_stats),
]
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root: Path = tmp_path_factory.mktemp("permission_keys")
    return scan(root, {"app/models.py": MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS})


def _mg104(result: ScanResult) -> set[str]:
    return {f.view or "" for f in result.findings if f.rule_id == "MG104"}


@pytest.mark.parametrize("view", ["app.views.ProjectStats", "app.views.project_stats"])
def test_the_parent_the_permission_class_checked_is_no_idor(result: ScanResult, view: str) -> None:
    assert view not in _mg104(result)


@pytest.mark.parametrize(
    "view",
    [
        "app.views.ExampleText",
        "app.views.UncheckedStats",
        "app.views.example_text",
        "app.views.unchecked_stats",
        # a red-team review's cases: reads let through before the key is checked, and a key
        # read but only a model-wide permission asked
        "app.views.readable_stats",
        "app.views.open_stats",
    ],
)
def test_other_keys_and_unchecked_permissions_stay_reported(result: ScanResult, view: str) -> None:
    assert view in _mg104(result)
