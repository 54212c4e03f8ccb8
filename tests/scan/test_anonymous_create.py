"""MG101 on a create view anonymous callers cannot complete (wger, set B pattern Q).

wger's ``ScheduleCreateView`` has no login check, but its ``form_valid()`` sets
``form.instance.user = self.request.user`` before saving: an anonymous POST fails (an
``AnonymousUser`` is no ``User``) and the GET is an empty form. The missing login wall is
reported medium with the reason; a create view that does not set the owner and one under a
parent named by the URL stay high, and a list view stays reported as open (low with low
confidence since it only reads: weak evidence), none of them with the create view's reason.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Finding, Severity
from tests.scan.projects import reported_open, scan

MODELS = """\
from django.db import models
from django.conf import settings

class Schedule(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
"""

VIEWS = """\
from django.views.generic import CreateView, ListView
from rest_framework import generics
from app.models import Schedule


class ScheduleCreate(CreateView):
    model = Schedule
    fields = ("name",)

    def form_valid(self, form):
        form.instance.user = self.request.user
        return super().form_valid(form)


class ScheduleCreateApi(generics.CreateAPIView):
    queryset = Schedule.objects.all()

    def perform_create(self, serializer):
        serializer.save(user=self.request.user)


class ScheduleCreateAnyOwner(CreateView):
    model = Schedule
    fields = ("name", "user")


class ScheduleCopy(CreateView):
    model = Schedule
    fields = ("name",)

    def form_valid(self, form):
        form.instance.user = self.request.user
        return super().form_valid(form)


class ScheduleList(ListView):
    model = Schedule
"""

URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("schedule/add", views.ScheduleCreate.as_view()),
    path("api/schedule/add", views.ScheduleCreateApi.as_view()),
    path("schedule/add-any", views.ScheduleCreateAnyOwner.as_view()),
    path("schedule/<int:pk>/copy", views.ScheduleCopy.as_view()),
    path("schedules", views.ScheduleList.as_view()),
]
"""


def _mg101(tmp_path: Path) -> dict[str, Finding]:
    result = scan(tmp_path, {"app/models.py": MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS})
    return {(f.view or "").rsplit(".", 1)[-1]: f for f in result.findings if f.rule_id == "MG101"}


def test_create_setting_the_owner_to_the_caller_is_medium(tmp_path: Path) -> None:
    found = _mg101(tmp_path)
    for name, hook in (("ScheduleCreate", "form_valid"), ("ScheduleCreateApi", "perform_create")):
        assert found[name].severity is Severity.MEDIUM, name
        assert f"{name}.{hook}() sets user = request.user" in found[name].evidence
        assert "the login wall is missing" in found[name].evidence


def test_other_open_views_are_not_taken_for_an_anonymous_create(tmp_path: Path) -> None:
    found = _mg101(tmp_path)
    for name in ("ScheduleCreateAnyOwner", "ScheduleCopy"):
        assert found[name].severity is Severity.HIGH, name
    for name in ("ScheduleCreateAnyOwner", "ScheduleCopy", "ScheduleList"):
        assert reported_open(found[name]), name
        assert "sets user = request.user" not in found[name].evidence
