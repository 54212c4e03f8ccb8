"""MG103 and querysets scoped through a parent object whose lookup checks the user (Weblate,
label-studio).

``get_queryset()`` returning ``self.project.font_set`` (``self.project`` set in ``setup()`` by a
project helper that checks ``request.user``), ``.filter(project=self._get_project())`` with a
helper that fetches from ``Project.objects.for_user(self.request.user)``, or a DRF
``filter_queryset()`` that filters by ``request.user``: each lists only what the user may see.
A parent fetched by the URL id alone scopes nothing and is still reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.scan.engine import scan_project
from tests.scan.projects import write_project

MODELS = """\
from django.db import models
from django.conf import settings

class Project(models.Model):
    name = models.CharField(max_length=100)

class Font(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
"""

ACCESS = """\
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from app.models import Project

def parse_path(request, slug):
    project = get_object_or_404(Project, name=slug)
    if not request.user.has_perm("project.view", project):
        raise PermissionDenied
    return project
"""

HEAD = """\
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.views.generic import ListView
from rest_framework import generics
from app.access import parse_path
from app.models import Font, Project

"""

VIEWS = {
    "setup_helper": """\
class ProjectViewMixin:
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.project = parse_path(request, self.kwargs["project"])

@method_decorator(login_required, name="dispatch")
class FontListView(ProjectViewMixin, ListView):
    model = Font

    def get_queryset(self):
        return self.project.font_set.order_by("name")
""",
    "method_helper": """\
@method_decorator(login_required, name="dispatch")
class FontListView(ListView):
    model = Font

    def _get_project(self):
        return get_object_or_404(
            Project.objects.filter(members=self.request.user), pk=self.kwargs["project"]
        )

    def get_queryset(self):
        return Font.objects.filter(project=self._get_project())
""",
    "filter_queryset": """\
class FontListView(generics.ListAPIView):
    queryset = Font.objects.all()

    def filter_queryset(self, queryset):
        return queryset.filter(project__members=self.request.user)
""",
}

UNSCOPED = {
    "setup_by_url_id": """\
class ProjectViewMixin:
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.project = get_object_or_404(Project, name=self.kwargs["project"])

@method_decorator(login_required, name="dispatch")
class FontListView(ProjectViewMixin, ListView):
    model = Font

    def get_queryset(self):
        return self.project.font_set.order_by("name")
""",
    "helper_by_url_id": """\
@method_decorator(login_required, name="dispatch")
class FontListView(ListView):
    model = Font

    def _get_project(self):
        return get_object_or_404(Project, pk=self.kwargs["project"])

    def get_queryset(self):
        return Font.objects.filter(project=self._get_project())
""",
}

URLS = """\
from django.urls import path
from app import views

urlpatterns = [path("fonts/<project>/", views.FontListView.as_view())]
"""


def _mg103(tmp_path: Path, view: str) -> list[str]:
    root = write_project(
        tmp_path,
        {
            "app/models.py": MODELS,
            "app/access.py": ACCESS,
            "app/views.py": HEAD + view,
            "proj/urls.py": URLS,
        },
        settings_extra=(
            "REST_FRAMEWORK = {'DEFAULT_PERMISSION_CLASSES': "
            "['rest_framework.permissions.IsAuthenticated']}\n"
        ),
    )
    result = scan_project(root)
    assert result.errors == ()
    return [f.view or "" for f in result.findings if f.rule_id == "MG103"]


@pytest.mark.parametrize("case", sorted(VIEWS))
def test_queryset_scoped_through_a_user_checked_parent_is_not_reported(
    tmp_path: Path, case: str
) -> None:
    assert _mg103(tmp_path, VIEWS[case]) == []


@pytest.mark.parametrize("case", sorted(UNSCOPED))
def test_parent_fetched_by_url_id_alone_is_still_reported(tmp_path: Path, case: str) -> None:
    assert _mg103(tmp_path, UNSCOPED[case]) == ["app.views.FontListView"]
