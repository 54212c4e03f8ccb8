"""A model is a tenant when users join it, not because of its name.

Held-out review 14 (ScanCode.io, Peering Manager): single-tenant tools have a ``Project`` or an
``Organization`` no user belongs to (everyone sees every project), and their per-project views
were reported as BOLA. A named tenant counts when users can reach it: a many-to-many to users,
an owner, a membership model in any module the scan parsed (pretalx's ``Team`` joins users to
events from another module), or a user model pointing at it. A neighbour that links a record to
a user only to say who wrote it (``created_by``), or users who use or like it (Django Packages'
``Package.usage``), makes no tenant.
"""

from __future__ import annotations

import pytest

from mtlsguard.findings.model import ScanResult, Severity
from tests.scan.projects import scan

SINGLE = """\
from django.conf import settings
from django.db import models


class Project(models.Model):
    name = models.CharField(max_length=100)


class Run(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    log = models.TextField()


class Organization(models.Model):
    name = models.CharField(max_length=100)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL)


class Report(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    body = models.TextField()


class Category(models.Model):
    name = models.CharField(max_length=100)
    code = models.CharField(max_length=10)
    position = models.IntegerField()
    color = models.CharField(max_length=7)
    icon = models.CharField(max_length=20)


class Package(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    usage = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="packages_used")
    title = models.CharField(max_length=100)
"""

EVENTS = """\
from django.db import models


class Event(models.Model):
    slug = models.SlugField()
    organiser = models.ForeignKey("teams.Organiser", on_delete=models.CASCADE)


class Mail(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE)
    subject = models.CharField(max_length=200)
"""

TEAMS = """\
from django.conf import settings
from django.db import models


class Organiser(models.Model):
    name = models.CharField(max_length=100)


class Team(models.Model):
    organiser = models.ForeignKey(Organiser, on_delete=models.CASCADE)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL)
    limit_events = models.ManyToManyField("events.Event")
"""

VIEWS = """\
from rest_framework import permissions, viewsets

from app.models import Package, Report, Run
from events.models import Mail


class RunViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated]
    queryset = Run.objects.all()


class ReportViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated]
    queryset = Report.objects.all()


class PackageViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated]
    queryset = Package.objects.all()


class MailViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated]
    queryset = Mail.objects.all()
"""

URLS = """\
from rest_framework.routers import DefaultRouter

from app import views

router = DefaultRouter()
router.register("runs", views.RunViewSet)
router.register("reports", views.ReportViewSet)
router.register("packages", views.PackageViewSet)
router.register("mails", views.MailViewSet)
urlpatterns = router.urls
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return scan(
        tmp_path_factory.mktemp("tenants"),
        {
            "app/models.py": SINGLE,
            "events/__init__.py": "",
            "events/models.py": EVENTS,
            "teams/__init__.py": "",
            "teams/models.py": TEAMS,
            "app/views.py": VIEWS,
            "proj/urls.py": URLS,
        },
    )


def _reported(result: ScanResult, view: str) -> set[str]:
    return {
        f.rule_id
        for f in result.findings
        if f.view == f"app.views.{view}" and f.severity >= Severity.MEDIUM
    }


@pytest.mark.parametrize("view", ["ReportViewSet", "MailViewSet"])
def test_records_of_a_tenant_users_join_are_reported(result: ScanResult, view: str) -> None:
    assert "MG103" in _reported(result, view)


@pytest.mark.parametrize("view", ["RunViewSet", "PackageViewSet"])
def test_records_of_a_model_nobody_joins_are_not(result: ScanResult, view: str) -> None:
    assert _reported(result, view) & {"MG103", "MG104"} == set()
