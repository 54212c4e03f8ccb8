"""A project permission class answering with a global permission is a permission gate (LibreTime).

LibreTime's default DRF permission class ``IsSystemTokenOrUser`` lets a signed-in user through
only when ``request.user.has_perm(perm)`` holds, ``perm`` named after the view's model and the
HTTP method (``view_file``, ``change_show``), and a service only with the station's API key: what
DRF's ``DjangoModelPermissions`` does. Who holds which permission is data (LibreTime's roles), so
an unscoped list behind it is low, as behind ``DjangoModelPermissions`` or
``permission_required``, not a high "any signed-in user reads everyone's records". The twins
stay high: a class that lets every reader or lister through (``if request.method in SAFE_METHODS:
return True``, ``if view.action == "list": return True``) and one that ends by saying yes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult, Severity
from tests.scan.projects import scan

MODELS = """\
from django.conf import settings
from django.db import models


class File(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
"""

PERMISSIONS = """\
from secrets import compare_digest

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission

METHODS = {"GET": "view", "POST": "change", "PUT": "change", "DELETE": "delete"}


def check_api_key(request):
    return compare_digest(request.headers.get("authorization", ""), settings.API_KEY)


class IsSystemTokenOrUser(BasePermission):
    def has_permission(self, request, view):
        if request.user and request.user.is_authenticated:
            perm = f"{METHODS[request.method]}_{view.model_permission_name}"
            if perm == "view_apiroot":
                return True
            return request.user.has_perm(perm)
        return check_api_key(request)


class ReadersOrPermission(BasePermission):
    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return request.user.has_perm(f"change_{view.model_permission_name}")


class ListersOrPermission(BasePermission):
    def has_permission(self, request, view):
        if view.action == "list":
            return True
        return request.user.has_perm(f"change_{view.model_permission_name}")


class PermissionOrAnybody(BasePermission):
    def has_permission(self, request, view):
        if request.user.has_perm("app.manage_file"):
            return True
        return True
"""

VIEWS = """\
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from app.models import File
from app.permissions import ListersOrPermission, PermissionOrAnybody, ReadersOrPermission


class FileViewSet(viewsets.ModelViewSet):
    queryset = File.objects.all()
    model_permission_name = "file"


class ReadersViewSet(viewsets.ModelViewSet):
    queryset = File.objects.all()
    permission_classes = [IsAuthenticated, ReadersOrPermission]
    model_permission_name = "file"


class ListersViewSet(viewsets.ModelViewSet):
    queryset = File.objects.all()
    permission_classes = [IsAuthenticated, ListersOrPermission]
    model_permission_name = "file"


class AnybodyViewSet(viewsets.ModelViewSet):
    queryset = File.objects.all()
    permission_classes = [IsAuthenticated, PermissionOrAnybody]
"""

URLS = """\
from rest_framework.routers import DefaultRouter

from app import views

router = DefaultRouter()
router.register("files", views.FileViewSet)
router.register("readers", views.ReadersViewSet, basename="readers")
router.register("anybody", views.AnybodyViewSet, basename="anybody")
router.register("listers", views.ListersViewSet, basename="listers")
urlpatterns = router.urls
"""

SETTINGS = """
API_KEY = "x"
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["app.permissions.IsSystemTokenOrUser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
}
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    files = {
        "app/models.py": MODELS,
        "app/permissions.py": PERMISSIONS,
        "app/views.py": VIEWS,
        "proj/urls.py": URLS,
    }
    return scan(Path(tmp_path_factory.mktemp("model_perms")), files, settings_extra=SETTINGS)


def _mg103(result: ScanResult, view: str) -> list[tuple[Severity, str]]:
    return [
        (f.severity, f.evidence)
        for f in result.findings
        if f.rule_id == "MG103" and f.view == f"app.views.{view}"
    ]


def test_a_default_class_answering_with_a_global_permission_makes_the_list_low(
    result: ScanResult,
) -> None:
    found = _mg103(result, "FileViewSet")
    assert [severity for severity, _ in found] == [Severity.LOW], found
    assert "IsSystemTokenOrUser.has_permission()" in found[0][1]


@pytest.mark.parametrize("view", ["ReadersViewSet", "ListersViewSet", "AnybodyViewSet"])
def test_a_class_that_also_says_yes_to_readers_or_anybody_is_no_gate(
    result: ScanResult, view: str
) -> None:
    found = _mg103(result, view)
    assert [severity for severity, _ in found] == [Severity.HIGH], found
