"""MG101: an open route writing through its models' own methods changes data (red team, round 18).

``invoice.mark_paid()`` where ``Invoice.mark_paid()`` saves, ``Invoice.objects.purge(pk)``
where the manager deletes: no ORM write is named in the view, yet anonymous callers change
users' records. High, naming the method. A dict's ``update()`` on a template context is no
model's method and keeps a read a read.
"""

from __future__ import annotations

import pytest

from mtlsguard.findings.model import Finding, Severity
from tests.scan.projects import mg101_by_route, weak_reason

MODELS = """\
from django.conf import settings
from django.db import models


class InvoiceManager(models.Manager):
    def purge(self, pk):
        self.filter(pk=pk).delete()


class Invoice(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    paid = models.BooleanField(default=False)
    objects = InvoiceManager()

    def mark_paid(self):
        self.paid = True
        self.save()

    def update(self, **fields):
        for name, value in fields.items():
            setattr(self, name, value)
        self.save()
"""

VIEWS = """\
from django.http import HttpResponse

from app.models import Invoice


def pay_all(request):
    for invoice in Invoice.objects.filter(paid=False):
        invoice.mark_paid()
    return HttpResponse("ok")


def purge(request):
    Invoice.objects.purge(request.GET.get("n"))
    return HttpResponse("gone")


def listing(request):
    context = {"n": Invoice.objects.count()}
    context.update(title="invoices")
    return HttpResponse(str(context))
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("pay-all/", views.pay_all),
    path("purge/", views.purge),
    path("listing/", views.listing),
]
"""


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Finding]:
    files = {"app/models.py": MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS}
    return mg101_by_route(tmp_path_factory.mktemp("model_writes"), files)


@pytest.mark.parametrize(
    ("route", "method"), [("pay-all/", "Invoice.mark_paid()"), ("purge/", "InvoiceManager.purge()")]
)
def test_writes_through_a_models_methods_are_high(
    found: dict[str, Finding], route: str, method: str
) -> None:
    finding = found[route]
    assert finding.severity is Severity.HIGH, finding.evidence
    assert f"high because it changes data ({method} writes through the ORM)" in finding.evidence


def test_a_dicts_update_is_no_models_write(found: dict[str, Finding]) -> None:
    assert weak_reason(found["listing/"]) == (
        "it reads Invoice, whose records belong to a user or account (owner)"
    )
