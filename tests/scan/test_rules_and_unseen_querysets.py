"""django-rules' object permissions, and querysets behind unread base classes (sets 7 and 8).

Shynet's detail views use ``rules.contrib.views.PermissionRequiredMixin``, which asks the rules
backend about the object the view serves (``rules.add_perm(...)`` predicates per object): not
an unscoped queryset. Django's own ``PermissionRequiredMixin`` on the same view is a global
permission and stays reported. A view whose base class lives in a package the scan could not
read (SODAR's ``ProjectPermissionMixin``) may scope its queryset there: MG103 says so, low.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult, Severity
from tests.scan.projects import scan

MODELS = """\
from django.conf import settings
from django.db import models


class Site(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
"""

VIEWS = """\
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.mixins import PermissionRequiredMixin as DjangoPermissionRequired
from django.views.generic import DetailView
from projectroles.views import ProjectPermissionMixin
from rules.contrib.views import PermissionRequiredMixin

from app.models import Site


class RulesSite(LoginRequiredMixin, PermissionRequiredMixin, DetailView):
    model = Site
    permission_required = "app.view_site"


class GlobalSite(LoginRequiredMixin, DjangoPermissionRequired, DetailView):
    model = Site
    permission_required = "app.view_site"


class UnseenSite(LoginRequiredMixin, ProjectPermissionMixin, DetailView):
    model = Site
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("rules/<int:pk>/", views.RulesSite.as_view()),
    path("global/<int:pk>/", views.GlobalSite.as_view()),
    path("unseen/<int:pk>/", views.UnseenSite.as_view()),
]
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root: Path = tmp_path_factory.mktemp("rules")
    return scan(root, {"app/models.py": MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS})


def _mg103(result: ScanResult, view: str) -> set[Severity]:
    return {
        f.severity
        for f in result.findings
        if f.rule_id == "MG103" and f.view == f"app.views.{view}"
    }


def test_rules_object_permission_is_no_unscoped_queryset(result: ScanResult) -> None:
    assert not _mg103(result, "RulesSite") - {Severity.INFO}


def test_django_global_permission_stays_reported(result: ScanResult) -> None:
    assert _mg103(result, "GlobalSite") == {Severity.LOW}


def test_unread_base_lowers_and_names_it(result: ScanResult) -> None:
    assert _mg103(result, "UnseenSite") == {Severity.LOW}
    (finding,) = [f for f in result.findings if f.view == "app.views.UnseenSite"]
    assert "projectroles.views.ProjectPermissionMixin" in finding.evidence
