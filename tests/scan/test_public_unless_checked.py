"""A helper the view's helper hands the request to, checking the caller unless the record is public.

Real-world shape (WebODM, held-out set 21): every task API view calls
``task = self.get_and_check_task(request, pk)``, a method of their base class that fetches the
task and, ``if not (task.public or task.project.public):``, calls
``check_project_perms(request, task.project)`` in another module, which raises DRF's
``NotFound`` unless ``request.user.has_perm("view_project", project)``. Three things hid the
check: a call under that public-flag test did not count as made, a helper in a module the scan
had not read yet was not followed, and DRF's ``NotFound`` was no refusal. The twin that fetches
the task without the helper stays high.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult, Severity
from tests.scan.projects import protections, scan

FILES = {
    "app/models.py": """\
from django.conf import settings
from django.db import models


class Project(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    public = models.BooleanField(default=False)


class Task(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    public = models.BooleanField(default=False)
    last_viewed = models.DateTimeField(null=True)
""",
    "app/common.py": """\
from rest_framework import exceptions


def check_project_perms(request, project, perms=("view_project",)):
    for perm in perms:
        if not request.user.has_perm(perm, project):
            raise exceptions.NotFound()
""",
    "app/views.py": """\
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.utils.timezone import now
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from app.common import check_project_perms
from app.models import Task


class TaskNestedView(APIView):
    queryset = Task.objects.all().select_related("project")
    permission_classes = (AllowAny,)

    def get_and_check_task(self, request, pk, annotate={}):
        try:
            task = self.queryset.annotate(**annotate).get(pk=pk)
        except (ObjectDoesNotExist, ValidationError):
            raise exceptions.NotFound()
        if not (task.public or task.project.public):
            check_project_perms(request, task.project)
        return task


class Tiles(TaskNestedView):
    def get(self, request, pk=None, project_pk=None):
        task = self.get_and_check_task(request, pk)
        task.last_viewed = now()
        task.save()
        return Response({"id": task.id})


class Export(TaskNestedView):
    def post(self, request, pk=None, project_pk=None):
        task = self.get_and_check_task(request, pk)
        check_project_perms(request, task.project, ("change_project",))
        task.save()
        return Response({"id": task.id})


class Unchecked(TaskNestedView):
    def get(self, request, pk=None, project_pk=None):
        task = self.queryset.get(pk=pk)
        task.last_viewed = now()
        task.save()
        return Response({"id": task.id})
""",
    "proj/urls.py": """\
from django.urls import path

from app import views

urlpatterns = [
    path("projects/<project_pk>/tasks/<pk>/tiles", views.Tiles.as_view()),
    path("projects/<project_pk>/tasks/<pk>/export", views.Export.as_view()),
    path("projects/<project_pk>/tasks/<pk>/unchecked", views.Unchecked.as_view()),
]
""",
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return scan(Path(tmp_path_factory.mktemp("public_unless_checked")), FILES)


@pytest.mark.parametrize("pattern", ["tiles", "export"])
def test_a_check_spared_only_for_public_records_protects_the_view(
    result: ScanResult, pattern: str
) -> None:
    found = protections(result, f"projects/<project_pk>/tasks/<pk>/{pattern}")
    assert found
    assert all(p.authenticated is True for p in found.values()), found
    assert all("check_project_perms()" in p.detail for p in found.values()), found
    assert not [f for f in result.findings if f.rule_id == "MG101" and pattern in (f.route or "")]


def test_the_same_fetch_without_the_helper_stays_high(result: ScanResult) -> None:
    found = [f for f in result.findings if f.rule_id == "MG101" and f.view == "app.views.Unchecked"]
    assert [f.severity for f in found] == [Severity.HIGH]
