"""An open view naming its record only by a field named as a secret is a capability link.

``get_object_or_404(Registration, activation_key=activation_key)`` (Nitrate's account
activation), ``get_object_or_404(MachineGroup, api_key=api_key)``: whoever holds the link or the
key was handed it, whatever default the scan can or cannot see (the value is set in ``save()`` or
by a manager). So does a lookup that needs such a field besides the id (``get_object_or_404(
Donation, pk=id, guid=guid)``: a receipt link) or at the end of a JSON path
(``configuration__extras__confirmation_token=token``). Informational, as for a random token
field. The twins name the record by its primary key, by a bare ``key`` (an issue key such as
``PROJ-12`` is an identifier anyone can read) or by a JSON path ending in a plain setting: still
high.
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


class Registration(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    activation_key = models.CharField(max_length=64)
    confirmed = models.BooleanField(default=False)


class MachineGroup(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    api_key = models.CharField(max_length=128)
    guid = models.CharField(max_length=50)
    configuration = models.JSONField(default=dict)
    key = models.CharField(max_length=20)
    name = models.CharField(max_length=50)
""",
    "app/views.py": """\
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from app.models import MachineGroup, Registration


def confirm(request, activation_key):
    registration = get_object_or_404(Registration, activation_key=activation_key)
    registration.confirmed = True
    registration.save()
    return HttpResponse("ok")


def usage(request, api_key):
    group = get_object_or_404(MachineGroup, api_key=api_key)
    return HttpResponse(group.name)


def group_by_key(request, key):
    group = get_object_or_404(MachineGroup, key=key)
    return HttpResponse(group.name)


def receipt(request, pk, guid):
    group = get_object_or_404(MachineGroup, pk=pk, guid=guid)
    return HttpResponse(group.name)


def confirm_group(request, token):
    group = MachineGroup.objects.filter(configuration__extras__confirmation_token=token).first()
    return HttpResponse(group.name if group else "")


def group_by_setting(request, value):
    group = MachineGroup.objects.filter(configuration__extras__colour=value).first()
    return HttpResponse(group.name if group else "")


def receipt_either(request, pk, guid):
    group = MachineGroup.objects.get(Q(pk=pk) | Q(guid=guid))
    return HttpResponse(group.name)


def receipt_prefix(request, pk, guid):
    group = MachineGroup.objects.filter(pk=pk, guid__startswith=guid).first()
    return HttpResponse(group.name if group else "")


def group_by_id(request, pk):
    group = get_object_or_404(MachineGroup, pk=pk)
    return HttpResponse(group.name)
""",
    "proj/urls.py": """\
from django.urls import path

from app import views

urlpatterns = [
    path("confirm/<str:activation_key>/", views.confirm),
    path("usage/<str:api_key>/", views.usage),
    path("by-key/<str:key>/", views.group_by_key),
    path("groups/<int:pk>/", views.group_by_id),
    path("receipt/<int:pk>/<str:guid>/", views.receipt),
    path("confirm-group/<str:token>/", views.confirm_group),
    path("either/<int:pk>/<str:guid>/", views.receipt_either),
    path("prefix/<int:pk>/<str:guid>/", views.receipt_prefix),
    path("by-setting/<str:value>/", views.group_by_setting),
]
""",
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return scan(Path(tmp_path_factory.mktemp("secret_named_lookups")), FILES)


def _mg101(result: ScanResult) -> dict[str, Severity]:
    return {f.view.rsplit(".", 1)[-1]: f.severity for f in result.findings if f.rule_id == "MG101"}


def test_records_named_only_by_a_secret_field_are_informational(result: ScanResult) -> None:
    found = _mg101(result)
    assert found["confirm"] is Severity.INFO
    assert found["usage"] is Severity.INFO


def test_records_named_by_id_and_a_secret_field_are_informational(result: ScanResult) -> None:
    assert _mg101(result)["receipt"] is Severity.INFO


def test_a_secret_at_the_end_of_a_json_path_is_a_capability(result: ScanResult) -> None:
    found = _mg101(result)
    assert found["confirm_group"] is Severity.INFO
    assert found["group_by_setting"] is Severity.HIGH


def test_records_named_by_id_or_a_bare_key_stay_high(result: ScanResult) -> None:
    found = _mg101(result)
    # Q(pk=pk) | Q(guid=guid) matches by the id alone; guid__startswith by an empty prefix
    assert found["receipt_either"] is Severity.HIGH
    assert found["receipt_prefix"] is Severity.HIGH
    assert found["group_by_id"] is Severity.HIGH
    assert found["group_by_key"] is Severity.HIGH
