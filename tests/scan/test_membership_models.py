"""A tenant is a model users join through a membership model, whatever was modelled first.

A model is a tenant "by shape" when a model of its module joins a user to it. Two faults showed
on real projects:

* the answer depended on which classes of the module earlier rules had happened to model
  (CourtListener's findings changed when a debugging pass modelled more classes first), because
  only the modelled neighbours were looked at;
* any neighbour naming a user counted as a membership: pythondotorg's ``Job`` (its ``creator``
  and its ``category``) made ``JobCategory`` a tenant and every job "owned via category";
  Nautobot's ``RackReservation`` (a ``user`` and a ``rack``) made every device "owned via
  rack".

Now every class of the module is looked at, and only a neighbour named like a membership
(``ClubMembership``, ``TeamUser``, ``ProjectRole``...) that relates a user other than as the
author joins users to a group.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult
from mtlsguard.scan.analysis.ownership import is_tenant, owner_fields
from mtlsguard.scan.static.frontend import build_static_project
from tests.scan.projects import scan, write_project

MODELS = """\
from django.conf import settings
from django.db import models


class Category(models.Model):
    name = models.CharField(max_length=100)
    description = models.TextField()


class Job(models.Model):
    title = models.CharField(max_length=100)
    category = models.ForeignKey(Category, on_delete=models.CASCADE)
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


class Rack(models.Model):
    name = models.CharField(max_length=100)
    serial = models.CharField(max_length=100)


class RackReservation(models.Model):
    rack = models.ForeignKey(Rack, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    description = models.CharField(max_length=200)


class Device(models.Model):
    rack = models.ForeignKey(Rack, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)


class Club(models.Model):
    name = models.CharField(max_length=100)
    motto = models.CharField(max_length=100)


class ClubMembership(models.Model):
    club = models.ForeignKey(Club, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    role = models.CharField(max_length=20)


class Minutes(models.Model):
    club = models.ForeignKey(Club, on_delete=models.CASCADE)
    text = models.TextField()
"""

VIEWS = """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse

from app.models import Device, Job, Minutes


@login_required
def job(request, pk):
    return HttpResponse(Job.objects.get(pk=pk).title)


@login_required
def device(request, pk):
    return HttpResponse(Device.objects.get(pk=pk).name)


@login_required
def minutes(request, pk):
    return HttpResponse(Minutes.objects.get(pk=pk).text)
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("jobs/<int:pk>/", views.job),
    path("devices/<int:pk>/", views.device),
    path("minutes/<int:pk>/", views.minutes),
]
"""

FILES = {"app/models.py": MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return scan(tmp_path_factory.mktemp("membership"), FILES)


def _mg104(result: ScanResult) -> dict[str, str]:
    return {f.view or "": f.evidence for f in result.findings if f.rule_id == "MG104"}


def test_the_membership_model_counts_before_anything_modelled_it(tmp_path: Path) -> None:
    project = build_static_project(write_project(tmp_path, FILES)).model
    assert project.class_named("app.models.Club") is not None
    assert "app.models.ClubMembership" not in project.classes  # nothing asked for it yet
    assert is_tenant(project, "app.models.Club")
    assert owner_fields(project, "app.models.Minutes") == ("club",)


def test_an_author_or_a_reservation_joins_nobody(tmp_path: Path) -> None:
    project = build_static_project(write_project(tmp_path, FILES)).model
    for name in ("Job", "RackReservation"):  # model the neighbours first: same answers
        assert project.class_named(f"app.models.{name}") is not None
    assert not is_tenant(project, "app.models.Category")
    assert not is_tenant(project, "app.models.Rack")
    assert owner_fields(project, "app.models.Device") == ()


def test_records_of_a_group_users_join_are_reported(result: ScanResult) -> None:
    assert "app.views.minutes" in _mg104(result)


def test_records_filed_under_a_category_or_a_rack_are_not(result: ScanResult) -> None:
    views = _mg104(result)
    assert "app.views.device" not in views
    # The job is still its author's record (an attribution, low), not a category's.
    assert "owned via creator" in views["app.views.job"]
    assert "category" not in views["app.views.job"]
