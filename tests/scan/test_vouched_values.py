"""A URL value that named an object the view checked vouches for lookups of that object's records.

``invoice = get_object_or_404(Invoice, pk=id)``, then ``if not invoice.allow_edit_by(
request.user): raise PermissionDenied``, then ``Entry.objects.filter(invoice_id=id)``: the
entries of the invoice the caller may see (Tendenci's invoice detail). The same holds after a
fetch scoped by the user itself (``owner=request.user``). The twins stay reported: the checked
object's number used as *another* record's primary key (``Entry.objects.get(pk=id)``), and
records read before the check.
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


class Invoice(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)

    def allow_edit_by(self, user):
        return user.is_superuser or self.owner_id == user.id


class Entry(models.Model):
    invoice = models.ForeignKey(Invoice, models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    amount = models.IntegerField()
""",
    "app/views.py": """\
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from app.models import Entry, Invoice


@login_required
def entries_after_check(request, id):
    invoice = get_object_or_404(Invoice, pk=id)
    if not invoice.allow_edit_by(request.user):
        raise PermissionDenied
    entries = Entry.objects.filter(invoice_id=id)
    return HttpResponse(str([e.amount for e in entries]))


@login_required
def entries_of_scoped(request, id):
    invoice = get_object_or_404(Invoice, pk=id, owner=request.user)
    entries = Entry.objects.filter(invoice__pk=id)
    return HttpResponse(str([e.amount for e in entries]) + str(invoice.pk))


@login_required
def entry_by_checked_number(request, id):
    invoice = get_object_or_404(Invoice, pk=id)
    if not invoice.allow_edit_by(request.user):
        raise PermissionDenied
    entry = Entry.objects.get(pk=id)
    return HttpResponse(str(entry.amount))


@login_required
def entries_before_check(request, id):
    entries = Entry.objects.filter(invoice_id=id)
    invoice = get_object_or_404(Invoice, pk=id, owner=request.user)
    return HttpResponse(str([e.amount for e in entries]) + str(invoice.pk))
""",
    "proj/urls.py": """\
from django.urls import path

from app import views

urlpatterns = [
    path("a/<int:id>/", views.entries_after_check),
    path("b/<int:id>/", views.entries_of_scoped),
    path("c/<int:id>/", views.entry_by_checked_number),
    path("d/<int:id>/", views.entries_before_check),
]
""",
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return scan(Path(tmp_path_factory.mktemp("vouched_values")), FILES)


def _mg104(result: ScanResult) -> dict[str, Severity]:
    return {f.view: f.severity for f in result.findings if f.rule_id == "MG104"}


def test_records_of_a_checked_object_by_the_same_value_are_scoped(result: ScanResult) -> None:
    found = _mg104(result)
    assert "app.views.entries_after_check" not in found
    assert "app.views.entries_of_scoped" not in found


def test_the_checked_number_as_another_records_key_is_reported(result: ScanResult) -> None:
    assert _mg104(result)["app.views.entry_by_checked_number"] is Severity.HIGH


def test_records_read_before_the_check_are_reported(result: ScanResult) -> None:
    assert _mg104(result)["app.views.entries_before_check"] is Severity.HIGH
