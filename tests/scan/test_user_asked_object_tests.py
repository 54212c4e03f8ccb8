"""``UserPassesTestMixin.test_func`` asking the user about the object is an object check.

Lookit's study views: ``test_func = user_can_edit_study`` (a method under a second name), whose
answer is ``user.is_researcher and user.has_study_perms(perm, self.get_object())``, or the same
through locals (``user: User = self.request.user``, ``has_perms = ...; return is_researcher and
has_perms``): the object the view serves passed a check given the user. The twins: a test about the
user alone (a role: low), and one that hands the object to a predicate that never sees the user
(still high).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult, Severity
from tests.scan.projects import scan

FILES = {
    "app/models.py": """\
from django.conf import settings
from django.db import models


class Study(models.Model):
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="studies")
    name = models.CharField(max_length=50)
""",
    "app/views.py": """\
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.views.generic import DetailView
from app.models import Study


class S1(LoginRequiredMixin, UserPassesTestMixin, DetailView):
    model = Study

    def test_func(self):
        user: object = self.request.user
        study = self.get_object()
        return user.is_researcher and user.has_study_perms("READ", study)


class S2(LoginRequiredMixin, UserPassesTestMixin, DetailView):
    model = Study

    def can_see(self):
        return self.request.user.has_study_perms("READ", self.get_object())

    test_func = can_see


class S3(LoginRequiredMixin, UserPassesTestMixin, DetailView):
    model = Study

    def test_func(self):
        is_researcher = self.request.user.is_researcher
        has_perms = self.request.user.has_study_perms("READ", self.get_object())
        return is_researcher and has_perms


class S4(LoginRequiredMixin, UserPassesTestMixin, DetailView):
    model = Study

    def test_func(self):
        return self.request.user.is_researcher


def is_listed(study):
    return study.name != ""


class S6(LoginRequiredMixin, UserPassesTestMixin, DetailView):
    model = Study

    def test_func(self):
        return self.request.user.is_active and is_listed(self.get_object())
""",
    "proj/urls.py": """\
from django.urls import path
from app import views

urlpatterns = [
    path("s1/<int:pk>/", views.S1.as_view()),
    path("s2/<int:pk>/", views.S2.as_view()),
    path("s3/<int:pk>/", views.S3.as_view()),
    path("s4/<int:pk>/", views.S4.as_view()),
    path("s6/<int:pk>/", views.S6.as_view()),
]
""",
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return scan(Path(tmp_path_factory.mktemp("user_asked_tests")), FILES)


def _mg103(result: ScanResult) -> dict[str, Severity]:
    return {f.view.rsplit(".", 1)[-1]: f.severity for f in result.findings if f.rule_id == "MG103"}


def test_the_user_asked_about_the_object_is_an_object_check(result: ScanResult) -> None:
    found = _mg103(result)
    assert not {"S1", "S2", "S3"} & found.keys()


def test_tests_that_never_ask_about_the_object_with_the_user_stay_reported(
    result: ScanResult,
) -> None:
    found = _mg103(result)
    assert found["S4"] is Severity.LOW
    assert found["S6"] is Severity.HIGH
