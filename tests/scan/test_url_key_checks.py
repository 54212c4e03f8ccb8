"""Workspace and project checks that reach a viewset through the URL keys (Plane's layout).

A DRF permission class asks ``ProjectMember.objects.filter(project_id=view.project_id,
member=request.user).exists()``, where ``view.project_id`` is a property of the base view
returning ``self.kwargs.get("project_id")``; or every handler carries a decorator factory whose
wrapper looks the caller's membership up with ``kwargs["slug"]``/``kwargs["project_id"]`` and
answers 403 otherwise (``@allow_permission([...])``). Querysets and lookups scoped by those
same URL keys (``super().get_queryset().filter(project_id=self.kwargs.get("project_id"))``,
``Issue.objects.get(workspace__slug=slug, project_id=project_id, pk=pk)``) serve the checked
project's records. The twins: the same viewset with no check, one whose decorator only logs, and
one whose decorator looks the membership up but never refuses.
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


class Workspace(models.Model):
    slug = models.SlugField(unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="owned_workspaces"
    )


class WorkspaceMember(models.Model):
    workspace = models.ForeignKey(Workspace, models.CASCADE, related_name="members")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)


class Project(models.Model):
    workspace = models.ForeignKey(Workspace, models.CASCADE)
    name = models.CharField(max_length=50)


class ProjectMember(models.Model):
    project = models.ForeignKey(Project, models.CASCADE)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)


class Issue(models.Model):
    workspace = models.ForeignKey(Workspace, models.CASCADE)
    project = models.ForeignKey(Project, models.CASCADE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    name = models.CharField(max_length=50)
""",
    "app/permissions.py": """\
from rest_framework.permissions import SAFE_METHODS, BasePermission
from app.models import ProjectMember, WorkspaceMember


class ProjectEntityPermission(BasePermission):
    def has_permission(self, request, view):
        if request.user.is_anonymous:
            return False
        if request.method in SAFE_METHODS:
            return ProjectMember.objects.filter(
                project__workspace__slug=view.workspace_slug,
                project_id=view.project_id,
                member=request.user,
            ).exists()
        return ProjectMember.objects.filter(
            project__workspace__slug=view.workspace_slug,
            project_id=view.project_id,
            member=request.user,
        ).exists()
""",
    "app/decorators.py": """\
from functools import wraps
from rest_framework import status
from rest_framework.response import Response
from app.models import ProjectMember, WorkspaceMember


def allow_permission(allowed_roles, level="PROJECT"):
    def decorator(view_func):
        @wraps(view_func)
        def _wrapped_view(instance, request, *args, **kwargs):
            if level == "WORKSPACE":
                if WorkspaceMember.objects.filter(
                    member=request.user, workspace__slug=kwargs["slug"]
                ).exists():
                    return view_func(instance, request, *args, **kwargs)
            else:
                allowed = ProjectMember.objects.filter(
                    member=request.user,
                    project__workspace__slug=kwargs["slug"],
                    project_id=kwargs["project_id"],
                ).exists()
                if allowed:
                    return view_func(instance, request, *args, **kwargs)
            return Response({"error": "no"}, status=status.HTTP_403_FORBIDDEN)

        return _wrapped_view

    return decorator


def track_membership(name):
    def decorator(view_func):
        def _wrapped_view(instance, request, *args, **kwargs):
            request.is_member = ProjectMember.objects.filter(
                member=request.user,
                project__workspace__slug=kwargs["slug"],
                project_id=kwargs["project_id"],
            ).exists()
            return view_func(instance, request, *args, **kwargs)

        return _wrapped_view

    return decorator


def log_calls(name):
    def decorator(view_func):
        def _wrapped_view(instance, request, *args, **kwargs):
            Issue = None
            return view_func(instance, request, *args, **kwargs)

        return _wrapped_view

    return decorator
""",
    "app/views.py": """\
from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.views import APIView
from app.models import Issue
from app.permissions import ProjectEntityPermission


class BaseViewSet(viewsets.ModelViewSet):
    @property
    def workspace_slug(self):
        return self.kwargs.get("slug", None)

    @property
    def project_id(self):
        return self.kwargs.get("project_id", None)


class FilteredIssues(BaseViewSet):
    model = Issue

    def get_queryset(self):
        return Issue.objects.filter(
            workspace__slug=self.kwargs.get("slug"),
            project_id=self.kwargs.get("project_id"),
        )

    def retrieve(self, request, slug, project_id, pk):
        issue = Issue.objects.get(workspace__slug=slug, project_id=project_id, pk=pk)
        return Response({"name": issue.name})


class IssueViewSet(FilteredIssues):
    permission_classes = [ProjectEntityPermission]


class OpenIssueViewSet(FilteredIssues):
    pass


class NarrowedIssues(BaseViewSet):
    model = Issue

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(
                workspace__slug=self.kwargs.get("slug"),
                project_id=self.kwargs.get("project_id"),
            )
        )


from app.decorators import allow_permission, log_calls, track_membership


class DecoratedIssueViewSet(NarrowedIssues):
    @allow_permission(["ADMIN", "MEMBER"])
    def list(self, request, slug, project_id):
        issues = self.get_queryset()
        return Response([i.name for i in issues])

    @allow_permission(["ADMIN", "MEMBER"])
    def retrieve(self, request, slug, project_id, pk):
        issue = Issue.objects.get(workspace__slug=slug, project_id=project_id, pk=pk)
        return Response({"name": issue.name})


class LoggedIssueViewSet(NarrowedIssues):
    @log_calls("list")
    def list(self, request, slug, project_id):
        return Response([i.name for i in self.get_queryset()])


class TrackedIssueViewSet(NarrowedIssues):
    @track_membership("list")
    def list(self, request, slug, project_id):
        return Response([i.name for i in self.get_queryset()])
""",
    "proj/urls.py": """\
from django.urls import path
from app import views

urlpatterns = [
    path(
        "ws/<str:slug>/projects/<int:project_id>/issues/",
        views.IssueViewSet.as_view({"get": "list"}),
    ),
    path(
        "ws/<str:slug>/projects/<int:project_id>/issues/<int:pk>/",
        views.IssueViewSet.as_view({"get": "retrieve"}),
    ),
    path(
        "open/<str:slug>/projects/<int:project_id>/issues/",
        views.OpenIssueViewSet.as_view({"get": "list"}),
    ),
    path(
        "open/<str:slug>/projects/<int:project_id>/issues/<int:pk>/",
        views.OpenIssueViewSet.as_view({"get": "retrieve"}),
    ),
]
urlpatterns += [
    path(
        "dec/<str:slug>/projects/<int:project_id>/issues/",
        views.DecoratedIssueViewSet.as_view({"get": "list"}),
    ),
    path(
        "dec/<str:slug>/projects/<int:project_id>/issues/<int:pk>/",
        views.DecoratedIssueViewSet.as_view({"get": "retrieve"}),
    ),
]
urlpatterns += [
    path(
        "log/<str:slug>/projects/<int:project_id>/issues/",
        views.LoggedIssueViewSet.as_view({"get": "list"}),
    ),
    path(
        "tracked/<str:slug>/projects/<int:project_id>/issues/",
        views.TrackedIssueViewSet.as_view({"get": "list"}),
    ),
]
""",
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return scan(
        Path(tmp_path_factory.mktemp("url_key_checks")),
        FILES,
        settings_extra=(
            'REST_FRAMEWORK = {"DEFAULT_PERMISSION_CLASSES": '
            '["rest_framework.permissions.IsAuthenticated"]}\n'
        ),
    )


def _found(result: ScanResult) -> set[tuple[str, str]]:
    return {
        (f.rule_id, f.view.rsplit(".", 1)[-1])
        for f in result.findings
        if f.rule_id in ("MG103", "MG104")
    }


def test_permission_class_reading_the_keys_through_view_properties_scopes(
    result: ScanResult,
) -> None:
    found = _found(result)
    assert ("MG103", "IssueViewSet") not in found
    assert ("MG104", "IssueViewSet") not in found


def test_decorator_factory_checking_membership_by_the_keys_scopes(result: ScanResult) -> None:
    found = _found(result)
    assert ("MG103", "DecoratedIssueViewSet") not in found
    assert ("MG104", "DecoratedIssueViewSet") not in found


def test_unchecked_and_merely_decorated_viewsets_stay_reported(result: ScanResult) -> None:
    found = _found(result)
    assert {("MG103", "OpenIssueViewSet"), ("MG104", "OpenIssueViewSet")} <= found
    assert ("MG103", "LoggedIssueViewSet") in found
    # a decorator that looks the membership up but lets every request through checks nothing
    assert ("MG103", "TrackedIssueViewSet") in found
