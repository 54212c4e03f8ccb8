"""Open pages whose reads go through a visibility check handed the caller (held-out set 7).

Pontoon's views list ``Project.objects.visible_for(request.user)``, a queryset method that
shows private projects only to superusers: a public site deciding per caller what to show.
MG101 names the helper and says low. The twins keep the finding of an open read of the
owners' projects, not the helper's: the same read through a queryset method that never looks
at the user, and a plain ``Project.objects.all()`` (they only read: weak evidence, low with low
confidence, saying why they would be high).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Finding, ScanResult, Severity
from tests.scan.projects import scan, weak_reason

MODELS = """\
from django.conf import settings
from django.db import models


class ProjectQuerySet(models.QuerySet):
    def visible_for(self, user):
        if user.is_superuser:
            return self
        return self.filter(public=True)

    def recent_for(self, user):
        return self.order_by("-id")


class Project(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
    public = models.BooleanField(default=False)

    objects = ProjectQuerySet.as_manager()
"""

VIEWS = """\
from django.http import JsonResponse

from app.models import Project


def visible(request):
    rows = Project.objects.all().visible_for(request.user)
    return JsonResponse({"names": [p.name for p in rows]})


def recent(request):
    rows = Project.objects.all().recent_for(request.user)
    return JsonResponse({"names": [p.name for p in rows]})


def get_visible_or_404(user, pk):
    return Project.objects.visible_for(user).get(pk=pk)


def one(request, name):
    rows = [get_visible_or_404(request.user, 1)]
    return JsonResponse({"names": [p.name for p in rows if p.name == name]})


def everything(request):
    return JsonResponse({"names": [p.name for p in Project.objects.all()]})
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("visible/", views.visible),
    path("recent/", views.recent),
    path("all/", views.everything),
    path("one/<str:name>/", views.one),
]
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root: Path = tmp_path_factory.mktemp("visibility")
    return scan(root, {"app/models.py": MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS})


def _mg101(result: ScanResult, view: str) -> Finding:
    found = [f for f in result.findings if f.rule_id == "MG101" and f.view == f"app.views.{view}"]
    assert len(found) == 1, [(f.rule_id, f.view) for f in result.findings]
    return found[0]


def test_read_through_a_visibility_check_is_low(result: ScanResult) -> None:
    finding = _mg101(result, "visible")
    assert finding.severity is Severity.LOW
    assert "visible_for(request.user)" in finding.evidence
    assert weak_reason(finding) is None


def test_a_helper_passing_the_user_on_to_the_check_counts(result: ScanResult) -> None:
    finding = _mg101(result, "one")
    assert finding.severity is Severity.LOW
    assert "get_visible_or_404(request.user)" in finding.evidence
    assert weak_reason(finding) is None


@pytest.mark.parametrize("view", ["recent", "everything"])
def test_reads_that_ignore_the_users_state_are_no_visibility_check(
    result: ScanResult, view: str
) -> None:
    finding = _mg101(result, view)
    assert weak_reason(finding) == (
        "it reads Project, whose records belong to a user or account (owner)"
    )
    assert "looks at the caller's state" not in finding.evidence
