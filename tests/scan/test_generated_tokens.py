"""Set A pattern X: records named by a token the server generated, however it generates it.

A field filled by ``save()`` (``self.code = new_access_code()``, a project function calling
pycryptodome's ``get_random_bytes``) is a capability just like ``default=get_random_string``;
a URL naming Django's ``session_key`` names a secret. The twins: the same record fetched by a
field ``save()`` fills with a counter (or with a model method counting rows, where the token
comes from ``self.generate_key()`` calling ``os.urandom``), and by its primary key, stay
reported (MG101 high).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Confidence, Finding, ScanResult, Severity
from tests.scan.projects import scan

FILES = {
    "app/models.py": """\
import base64
import os

from Crypto import Random
from django.conf import settings
from django.db import models


def new_access_code():
    return base64.b32encode(Random.get_random_bytes(5)).decode("ascii")


def next_number():
    return "7"


class Reset(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    code = models.CharField(max_length=32)
    number = models.CharField(max_length=32)

    def save(self, *args, **kwargs):
        if not self.code:
            self.code = new_access_code()
        if not self.number:
            self.number = next_number()
        super().save(*args, **kwargs)


class Device(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    session_key = models.CharField(max_length=40)


class FeedToken(models.Model):
    key = models.CharField(max_length=40, primary_key=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    serial = models.CharField(max_length=40)

    def save(self, *args, **kwargs):
        if not self.key:
            self.key = self.generate_key()
        if not self.serial:
            self.serial = self.next_serial()
        return super().save(*args, **kwargs)

    @classmethod
    def generate_key(cls):
        return base64.b16encode(os.urandom(20)).decode()

    def next_serial(self):
        return str(FeedToken.objects.count() + 1)
""",
    "app/views.py": """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_POST

from app.models import Device, FeedToken, Reset


@require_POST
def reset_by_code(request, code):
    reset = Reset.objects.get(code=code)
    reset.note = request.POST["note"]
    reset.save()
    return HttpResponse()


@require_POST
def reset_by_number(request, number):
    reset = Reset.objects.get(number=number)
    reset.note = request.POST["note"]
    reset.save()
    return HttpResponse()


@login_required
@require_POST
def forget_device(request, session_key):
    Device.objects.get(session_key=session_key).delete()
    return HttpResponse()


def feed(request, key):
    token = FeedToken.objects.get(key=key)
    return HttpResponse(token.serial)


def feed_by_serial(request, serial):
    token = FeedToken.objects.get(serial=serial)
    return HttpResponse(token.key)


@login_required
@require_POST
def forget_device_by_id(request, device_id):
    Device.objects.get(id=device_id).delete()
    return HttpResponse()
""",
    "proj/urls.py": """\
from django.urls import path

from app import views

urlpatterns = [
    path("reset/<str:code>/", views.reset_by_code),
    path("reset-number/<str:number>/", views.reset_by_number),
    path("devices/<str:session_key>/forget/", views.forget_device),
    path("devices/<int:device_id>/forget/", views.forget_device_by_id),
    path("feeds/<str:key>/", views.feed),
    path("feeds/serial/<str:serial>/", views.feed_by_serial),
]
""",
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return scan(Path(tmp_path_factory.mktemp("generated_tokens")), FILES)


def _one(result: ScanResult, rule_id: str, view: str) -> Finding:
    found = [f for f in result.findings if f.rule_id == rule_id and f.view == view]
    assert len(found) == 1, found
    return found[0]


def test_field_filled_at_random_by_save_is_a_capability(result: ScanResult) -> None:
    token = _one(result, "MG101", "app.views.reset_by_code")
    assert token.severity is Severity.INFO
    assert "random token field the server generated (a capability link)" in token.evidence
    counter = _one(result, "MG101", "app.views.reset_by_number")
    assert (counter.severity, counter.confidence) == (Severity.HIGH, Confidence.HIGH)


def test_lookup_by_session_key_from_the_url_is_not_an_idor(result: ScanResult) -> None:
    views = {f.view for f in result.findings if f.rule_id == "MG104"}
    assert "app.views.forget_device" not in views
    assert "app.views.forget_device_by_id" in views


def test_field_filled_by_a_generating_method_of_the_model_is_a_capability(
    result: ScanResult,
) -> None:
    """``self.key = self.generate_key()``, a classmethod returning ``os.urandom`` (linkding)."""
    token = _one(result, "MG101", "app.views.feed")
    assert token.severity is Severity.INFO
    counter = _one(result, "MG101", "app.views.feed_by_serial")
    assert counter.severity is Severity.HIGH
