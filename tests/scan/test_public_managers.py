"""Reads through a manager named for public records (issue 12 precision: public content).

``queryset = Job.objects.visible()``, ``Event.objects.public()``, ``Post.published.all()`` (a
custom manager, the idiom of Django's own documentation) serve what the project chose to
publish, as a constant ``filter(is_public=True)`` does: an open class-based view that only reads
through one is informational, with the reason. A manager or queryset method the project defines
is judged by its body, not its name (``filter(status="published")`` publishes; ``visible()``
meaning "not archived" does not). The twins keep their finding: the plain manager, a write
through the public manager, a ``visible()`` that only hides archived rows, an instance method of
the same name used as a test (``job.visible()``), and a function view that reads a public
manager for a side box next to every user's records. The write stays high; the twins that only
read a user's records are weak evidence: low with low confidence, saying why they would be high.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult, Severity
from mtlsguard.scan.facts.public_filter import manager_publishes
from tests.scan.projects import reported_open, scan, weak_reason

FILES = {
    "app/models.py": """\
from django.conf import settings
from django.db import models


class JobQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(status="approved")

    def current(self):
        return self.filter(archived=False)


class TaskQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(archived=False)


class PublishedManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(status="published")


class Job(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    status = models.CharField(max_length=20)
    archived = models.BooleanField(default=False)
    title = models.CharField(max_length=100)

    objects = JobQuerySet.as_manager()
    published = PublishedManager()

    def visible(self):
        return self.status == "approved"


class Task(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    archived = models.BooleanField(default=False)
    title = models.CharField(max_length=100)

    objects = TaskQuerySet.as_manager()
""",
    "app/views.py": """\
from django.http import HttpResponse, JsonResponse
from django.views.generic import ListView

from app.models import Job, Task


class VisibleJobs(ListView):
    queryset = Job.objects.visible()


class PublishedJobs(ListView):
    queryset = Job.published.all()


class AllJobs(ListView):
    queryset = Job.objects.all()


class VisibleTasks(ListView):
    queryset = Task.objects.visible()


def job_touch(request):
    for job in Job.objects.visible():
        job.title = request.POST["title"]
        job.save()
    return HttpResponse("ok")


def job_if_visible(request):
    jobs = [j.title for j in Job.objects.all() if j.visible()]
    return JsonResponse({"jobs": jobs})


def dashboard(request):
    tasks = list(Task.objects.values("title", "owner__email"))
    return JsonResponse({"tasks": tasks, "jobs": Job.objects.visible().count()})
""",
    "proj/urls.py": """\
from django.urls import path

from app import views

urlpatterns = [
    path("jobs/", views.VisibleJobs.as_view()),
    path("jobs/published/", views.PublishedJobs.as_view()),
    path("jobs/all/", views.AllJobs.as_view()),
    path("tasks/", views.VisibleTasks.as_view()),
    path("jobs/touch/", views.job_touch),
    path("jobs/if-visible/", views.job_if_visible),
    path("dashboard/", views.dashboard),
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


@pytest.mark.parametrize(
    "route", ["jobs/all/", "tasks/", "jobs/touch/", "jobs/if-visible/", "dashboard/"]
)
def test_plain_archived_writing_or_side_reads_stay_reported(result: ScanResult, route: str) -> None:
    finding = next(f for f in result.findings if f.rule_id == "MG101" and f.route == route)
    assert reported_open(finding)
    assert "manager named for public records" not in finding.evidence


def test_a_users_fields_read_through_a_relation_stay_high(result: ScanResult) -> None:
    """dashboard/ reads owner__email: strong evidence, whatever else it reads."""
    finding = next(f for f in result.findings if f.rule_id == "MG101" and f.route == "dashboard/")
    assert finding.severity is Severity.HIGH
    assert "high because it reads a user's fields through owner__email" in finding.evidence


@pytest.mark.parametrize(
    ("route", "why"),
    [
        ("jobs/all/", "it reads Job, whose records belong to a user or account (owner)"),
        ("tasks/", "it reads Task, whose records belong to a user or account (owner)"),
        ("jobs/if-visible/", "it reads Job, whose records belong to a user or account (owner)"),
    ],
)
def test_twins_that_only_read_are_weak_evidence(result: ScanResult, route: str, why: str) -> None:
    finding = next(f for f in result.findings if f.rule_id == "MG101" and f.route == route)
    assert weak_reason(finding) == why


def test_write_through_the_public_manager_stays_high(result: ScanResult) -> None:
    assert _mg101(result)["jobs/touch/"] is Severity.HIGH


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
