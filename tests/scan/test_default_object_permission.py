"""MG103 and an object-level permission from ``DEFAULT_PERMISSION_CLASSES`` (label-studio).

label-studio's views set no ``permission_classes``; its ``REST_FRAMEWORK`` default lists
``core.api_permissions.HasObjectPermission``, whose ``has_object_permission`` returns
``obj.has_permission(request.user)``. DRF's ``get_object()`` runs it on every fetched object,
exactly as it would run the same class named on the view, so the view is not an IDOR.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.scan.engine import scan_project
from tests.scan.projects import write_project

MODELS = """\
from django.db import models
from django.conf import settings

class Export(models.Model):
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
"""

PERMISSIONS = """\
from rest_framework.permissions import BasePermission

class HasObjectPermission(BasePermission):
    def has_object_permission(self, request, view, obj):
        return obj.has_permission(request.user)
"""

VIEWS = """\
from rest_framework import generics
from app.models import Export
from app.serializers import ExportSerializer

class ExportDetailAPI(generics.RetrieveDestroyAPIView):
    queryset = Export.objects.all()
    serializer_class = ExportSerializer
"""

URLS = """\
from django.urls import path
from app import views

urlpatterns = [path("api/exports/<int:pk>", views.ExportDetailAPI.as_view())]
"""


def _mg103(tmp_path: Path, defaults: str, views: str = VIEWS) -> list[str]:
    root = write_project(
        tmp_path,
        {
            "app/models.py": MODELS,
            "app/api_permissions.py": PERMISSIONS,
            "app/serializers.py": "class ExportSerializer:\n    pass\n",
            "app/views.py": views,
            "proj/urls.py": URLS,
        },
        settings_extra=f"REST_FRAMEWORK = {{'DEFAULT_PERMISSION_CLASSES': {defaults}}}\n",
    )
    result = scan_project(root)
    assert result.errors == ()
    return [f.view or "" for f in result.findings if f.rule_id == "MG103"]


def test_default_object_permission_that_checks_the_user_scopes_the_view(tmp_path: Path) -> None:
    defaults = (
        "['app.api_permissions.HasObjectPermission', 'rest_framework.permissions.IsAuthenticated']"
    )
    assert _mg103(tmp_path, defaults) == []


def test_default_without_an_object_permission_is_still_reported(tmp_path: Path) -> None:
    defaults = "['rest_framework.permissions.IsAuthenticated']"
    assert _mg103(tmp_path, defaults) == ["app.views.ExportDetailAPI"]


def test_object_permission_does_not_scope_a_list(tmp_path: Path) -> None:
    # DRF runs has_object_permission in get_object() only: a ListCreateAPIView filtered by the
    # URL's task id alone (label-studio's AnnotationDraftListAPI) lists anybody's objects.
    views = VIEWS.replace("generics.RetrieveDestroyAPIView", "generics.ListCreateAPIView")
    defaults = (
        "['app.api_permissions.HasObjectPermission', 'rest_framework.permissions.IsAuthenticated']"
    )
    assert _mg103(tmp_path, defaults, views) == ["app.views.ExportDetailAPI"]
