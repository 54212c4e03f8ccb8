"""drf-nested-routers: routes carry the parent's URL keyword, and a permission class asking the
user about the object that keyword names scopes the nested views (held-out set 16: Flagsmith,
SEED).

``NestedSimpleRouter(router, r"organisations", lookup="organisation")`` (public API of
``rest_framework_nested.routers``) serves its viewsets under
``organisations/<organisation_pk>/...``; a nested router of a nested router under both
parents. Without the keyword in the route the scan reported wrong routes and could not see that
``has_permission`` checked the organisation the URL names.
"""

from __future__ import annotations

import pytest

from mtlsguard.findings.model import ScanResult, Severity
from tests.scan.projects import scan

MODELS = """\
from django.conf import settings
from django.db import models


class Organisation(models.Model):
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="organisations")


class Project(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)


class ApiKey(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    prefix = models.CharField(max_length=8)
"""

PERMISSIONS = """\
from rest_framework.permissions import BasePermission

from app.models import Organisation


class IsOrganisationAdmin(BasePermission):
    def has_permission(self, request, view):
        organisation_pk = view.kwargs.get("organisation_pk")
        return request.user.is_organisation_admin(Organisation.objects.get(pk=organisation_pk))


class IsSignedIn(BasePermission):
    def has_permission(self, request, view):
        organisation_pk = view.kwargs.get("organisation_pk")
        return bool(organisation_pk) and request.user.is_authenticated and request.user.is_staff
"""

VIEWS = """\
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from app.models import ApiKey, Organisation, Project
from app.permissions import IsOrganisationAdmin, IsSignedIn


class OrganisationViewSet(viewsets.ModelViewSet):
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return self.request.user.organisations.all()


class ProjectViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated, IsOrganisationAdmin]

    def get_queryset(self):
        return Project.objects.filter(organisation_id=self.kwargs["organisation_pk"])


class ApiKeyViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "prefix"
    permission_classes = [IsAuthenticated, IsSignedIn]

    def get_queryset(self):
        return ApiKey.objects.filter(organisation_id=self.kwargs["organisation_pk"])
"""

URLS = """\
from django.urls import include, path
from rest_framework_nested import routers

from app import views

router = routers.DefaultRouter()
router.register(r"organisations", views.OrganisationViewSet, basename="organisation")
organisations_router = routers.NestedSimpleRouter(router, r"organisations", lookup="organisation")
organisations_router.register(r"projects", views.ProjectViewSet, basename="project")
organisations_router.register(r"api-keys", views.ApiKeyViewSet, basename="api-key")
projects_router = routers.NestedSimpleRouter(organisations_router, r"projects", lookup="project")
projects_router.register(r"keys", views.ApiKeyViewSet, basename="project-key")
unnamed_router = routers.NestedSimpleRouter(organisations_router, r"api-keys")
unnamed_router.register(r"uses", views.ApiKeyViewSet, basename="key-use")

urlpatterns = [
    path("api/", include(router.urls)),
    path("api/", include(organisations_router.urls)),
    path("api/", include(projects_router.urls)),
    path("api/", include(unnamed_router.urls)),
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
    return scan(tmp_path_factory.mktemp("nested"), files)


def test_nested_routes_carry_the_parent_keyword(result: ScanResult) -> None:
    patterns = {r.pattern for r in result.routes}
    assert "api/organisations/<organisation_pk>/projects/" in patterns
    assert "api/organisations/<organisation_pk>/api-keys/<prefix>/" in patterns
    assert "api/organisations/<organisation_pk>/projects/<project_pk>/keys/" in patterns
    # no lookup=: drf-nested-routers names the keyword nested_<level> (the second level here)
    assert "api/organisations/<organisation_pk>/api-keys/<nested_2_prefix>/uses/" in patterns


def test_a_permission_asking_the_user_about_the_parent_scopes_the_list(result: ScanResult) -> None:
    found = [f for f in result.findings if f.view == "app.views.ProjectViewSet"]
    assert not [f for f in found if f.severity >= Severity.MEDIUM]


def test_a_permission_reading_only_the_account_flags_scopes_nothing(result: ScanResult) -> None:
    found = {
        f.rule_id
        for f in result.findings
        if f.view == "app.views.ApiKeyViewSet" and f.severity >= Severity.MEDIUM
    }
    assert "MG103" in found
