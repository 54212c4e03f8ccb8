"""Owners the precision changes of 2026-12-06 could hide (red-team round 3).

* A named tenant (``Organization``) whose only membership model lives in an installed app no
  view imports (``members/models.py``): the scan reads every installed app's ``models`` module
  before deciding that nobody joins it, so a fetch of its records by id stays an IDOR. With no
  membership anywhere (a single-tenant tool) the record stays unreported.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import ScanResult, Severity
from tests.scan.projects import scan

_ORG_MODELS = """\
from django.db import models


class Organization(models.Model):
    name = models.CharField(max_length=100)


class Invoice(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    amount = models.IntegerField()
"""

_MEMBERSHIP = """\
from django.conf import settings
from django.db import models


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    organization = models.ForeignKey("app.Organization", on_delete=models.CASCADE)
"""

_INVOICE_VIEWS = """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from app.models import Invoice


@login_required
def invoice(request, pk):
    return HttpResponse(str(get_object_or_404(Invoice, pk=pk).amount))
"""

_INVOICE_URLS = """\
from django.urls import path

from app import views

urlpatterns = [path("invoices/<int:pk>/", views.invoice)]
"""


def _severities(result: ScanResult, rule: str, view: str) -> list[Severity]:
    return [f.severity for f in result.findings if f.rule_id == rule and f.view == view]


def test_membership_in_an_unimported_app_keeps_the_tenant(tmp_path: Path) -> None:
    files = {
        "app/models.py": _ORG_MODELS,
        "app/views.py": _INVOICE_VIEWS,
        "proj/urls.py": _INVOICE_URLS,
        "members/__init__.py": "",
        "members/models/__init__.py": "from .membership import Membership\n",
        "members/models/membership.py": _MEMBERSHIP,
    }
    extra = 'INSTALLED_APPS = ["django.contrib.auth", "app", "members.apps.MembersConfig"]\n'
    result = scan(tmp_path, files, settings_extra=extra)
    assert _severities(result, "MG104", "app.views.invoice") == [Severity.HIGH]


def test_no_membership_anywhere_is_no_tenant(tmp_path: Path) -> None:
    files = {
        "app/models.py": _ORG_MODELS,
        "app/views.py": _INVOICE_VIEWS,
        "proj/urls.py": _INVOICE_URLS,
        "members/__init__.py": "",
        "members/models.py": "from django.db import models\n",
    }
    extra = 'INSTALLED_APPS = ["django.contrib.auth", "app", "members"]\n'
    result = scan(tmp_path, files, settings_extra=extra)
    assert _severities(result, "MG104", "app.views.invoice") == []
