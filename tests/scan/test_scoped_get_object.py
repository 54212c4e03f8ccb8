"""A detail view whose own ``get_object()`` fetches the object scoped to the caller (OpenCVE).

Django's ``DetailView``/``UpdateView``/``DeleteView`` serve what ``get_object()`` returns, not
their ``queryset``. A project mixin whose ``dispatch()`` sets ``self.project =
get_object_or_404(Project, organization=self.request.current_organization, name=...)`` (the
tenant a middleware attached to the request) and whose ``get_object()`` returns
``self.project`` (or fetches a child narrowed by it, ``get_object_or_404(Notification,
project=self.project, name=...)``) scopes the view: MG103 has nothing to report. The twins keep
the finding: a ``dispatch()`` fetching the parent by its name alone, or through a helper next to
a scoped lookup of something else, and a ``get_object()`` that goes back to
``super().get_object()`` (the unscoped queryset).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult
from tests.scan.projects import scan

FILES = {
    "app/models.py": """\
from django.conf import settings
from django.db import models


class Organization(models.Model):
    members = models.ManyToManyField(settings.AUTH_USER_MODEL)


class Project(models.Model):
    organization = models.ForeignKey(Organization, models.CASCADE)
    name = models.CharField(max_length=50)


class Notification(models.Model):
    project = models.ForeignKey(Project, models.CASCADE)
    name = models.CharField(max_length=50)
""",
    "app/mixins.py": """\
from django.shortcuts import get_object_or_404

from app.models import Organization, Project


class MemberProjectMixin:
    def dispatch(self, request, *args, **kwargs):
        self.project = get_object_or_404(
            Project,
            organization=self.request.current_organization,
            name=self.kwargs["project_name"],
        )
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, queryset=None):
        return self.project


def load_project(name):
    return Project.objects.get(name=name)


class HelperProjectMixin:
    def dispatch(self, request, *args, **kwargs):
        self.organization = get_object_or_404(
            Organization, members=request.user, pk=self.kwargs["org"]
        )
        self.project = load_project(self.kwargs["project_name"])
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, queryset=None):
        return self.project


class AnyProjectMixin:
    def dispatch(self, request, *args, **kwargs):
        self.project = get_object_or_404(Project, name=self.kwargs["project_name"])
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, queryset=None):
        return self.project
""",
    "app/views.py": """\
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404
from django.views.generic import DeleteView, DetailView, UpdateView

from app.mixins import AnyProjectMixin, HelperProjectMixin, MemberProjectMixin
from app.models import Notification, Project


class ProjectDetail(LoginRequiredMixin, MemberProjectMixin, DetailView):
    model = Project


class NotificationEdit(LoginRequiredMixin, MemberProjectMixin, UpdateView):
    model = Notification
    fields = ["name"]

    def get_object(self, queryset=None):
        return get_object_or_404(
            Notification, project=self.project, name=self.kwargs["notification"]
        )


class ProjectDetailAnyName(LoginRequiredMixin, AnyProjectMixin, DetailView):
    model = Project


class NotificationEditAnyProject(LoginRequiredMixin, AnyProjectMixin, UpdateView):
    model = Notification
    fields = ["name"]

    def get_object(self, queryset=None):
        return get_object_or_404(
            Notification, project=self.project, name=self.kwargs["notification"]
        )


class ProjectDetailByHelper(LoginRequiredMixin, HelperProjectMixin, DetailView):
    model = Project


class ProjectDelete(LoginRequiredMixin, MemberProjectMixin, DeleteView):
    model = Project

    def get_object(self, queryset=None):
        return super().get_object(queryset)
""",
    "proj/urls.py": """\
from django.urls import path

from app import views

urlpatterns = [
    path("p/<project_name>/", views.ProjectDetail.as_view()),
    path("p/<project_name>/n/<notification>/", views.NotificationEdit.as_view()),
    path("any/<project_name>/", views.ProjectDetailAnyName.as_view()),
    path("any/<project_name>/n/<notification>/", views.NotificationEditAnyProject.as_view()),
    path("p/<project_name>/delete/<pk>/", views.ProjectDelete.as_view()),
    path("o/<org>/<project_name>/", views.ProjectDetailByHelper.as_view()),
]
""",
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return scan(Path(tmp_path_factory.mktemp("scoped_get_object")), FILES)


def _mg103(result: ScanResult) -> set[str]:
    return {(f.view or "").rsplit(".", 1)[-1] for f in result.findings if f.rule_id == "MG103"}


def test_get_object_scoped_by_the_gate_is_not_reported(result: ScanResult) -> None:
    found = _mg103(result)
    assert "ProjectDetail" not in found
    assert "NotificationEdit" not in found


def test_unscoped_gate_or_super_get_object_stays_reported(result: ScanResult) -> None:
    expected = {"ProjectDetailAnyName", "NotificationEditAnyProject", "ProjectDelete"}
    # a scoped lookup in dispatch() proves nothing about self.project set by a helper
    assert expected | {"ProjectDetailByHelper"} <= _mg103(result)
