"""Reads through a manager named for public records (issue 12 precision: public content).

``Job.objects.visible()``, ``Event.objects.public()``, ``FoiRequest.published.all()`` (a custom
manager, the idiom of Django's own documentation) serve what the project chose to publish, as a
constant ``filter(is_public=True)`` does: an open route that only reads through one is
informational, with the reason. The twins keep their severity: the plain manager, a write
through the public manager, and an instance method of the same name used as a test
(``job.visible()``), which narrows nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult, Severity
from mtlsguard.scan.facts.public_filter import manager_publishes
from tests.scan.projects import scan

FILES = {
    "app/models.py": """\
from django.conf import settings
from django.db import models


class JobQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(status="approved")


class PublishedManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(status="published")


class Job(models.Model):
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    status = models.CharField(max_length=20)
    title = models.CharField(max_length=100)

    objects = JobQuerySet.as_manager()
    published = PublishedManager()

    def visible(self):
        return self.status == "approved"
""",
    "app/views.py": """\
from django.http import HttpResponse, JsonResponse
from django.views.generic import ListView

from app.models import Job


def job_list(request):
    return JsonResponse({"jobs": [j.title for j in Job.objects.visible()]})


def job_all(request):
    return JsonResponse({"jobs": [j.title for j in Job.objects.all()]})


def job_touch(request):
    for job in Job.objects.visible():
        job.title = request.POST["title"]
        job.save()
    return HttpResponse("ok")


def job_if_visible(request):
    jobs = [j.title for j in Job.objects.all() if j.visible()]
    return JsonResponse({"jobs": jobs})


class PublishedJobs(ListView):
    queryset = Job.published.all()
""",
    "proj/urls.py": """\
from django.urls import path

from app import views

urlpatterns = [
    path("jobs/", views.job_list),
    path("jobs/all/", views.job_all),
    path("jobs/touch/", views.job_touch),
    path("jobs/if-visible/", views.job_if_visible),
    path("jobs/published/", views.PublishedJobs.as_view()),
]
""",
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return scan(Path(tmp_path_factory.mktemp("public_managers")), FILES)


def _mg101(result: ScanResult) -> dict[str, Severity]:
    return {f.route or "": f.severity for f in result.findings if f.rule_id == "MG101"}


@pytest.mark.parametrize("route", ["jobs/", "jobs/published/"])
def test_reads_through_a_public_manager_are_informational(result: ScanResult, route: str) -> None:
    assert _mg101(result)[route] is Severity.INFO
    finding = next(f for f in result.findings if f.rule_id == "MG101" and f.route == route)
    assert "manager named for public records" in finding.evidence


@pytest.mark.parametrize("route", ["jobs/all/", "jobs/touch/", "jobs/if-visible/"])
def test_plain_reads_writes_and_instance_tests_stay_high(result: ScanResult, route: str) -> None:
    assert _mg101(result)[route] is Severity.HIGH


@pytest.mark.parametrize(
    ("dotted", "bare", "expected"),
    [
        ("app.models.Job.objects.visible", True, "Job.objects.visible()"),
        ("app.models.Job.objects.visible", False, ""),
        ("job.visible", True, ""),
        ("froide.models.FoiRequest.published.filter", False, "FoiRequest.published"),
        ("self.published.all", True, ""),
        ("app.models.Job.objects.all", True, ""),
    ],
)
def test_manager_judgement(dotted: str, bare: bool, expected: str) -> None:
    assert manager_publishes(dotted, called_bare=bare) == expected
