"""A project's own permission helper given only the user and a permission's name is a role gate.

Tendenci's ``NewsletterPermissionMixin.dispatch`` raises its own ``Http403`` unless
``has_perm(request.user, "newsletters.view_newsletter")`` (a function of the project wrapping
``user.has_perm``): only holders of that global permission reach the list, as behind
``PermissionRequiredMixin``, so the unscoped list is reported low, with the reason. The twins: a
helper whose name says nothing about permissions, and a view with no gate at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Confidence, ScanResult, Severity
from tests.scan.projects import scan

FILES = {
    "app/models.py": """\
from django.conf import settings
from django.db import models


class Newsletter(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    subject = models.CharField(max_length=100)
""",
    "app/http.py": """\
class Http403(Exception):
    pass
""",
    "app/perms.py": """\
def has_perm(user, perm, obj=None):
    if user.is_superuser:
        return True
    return user.has_perm(perm, obj)


def allowed(user, what):
    return user.is_active
""",
    "app/views.py": """\
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import ListView

from app.http import Http403
from app.models import Newsletter
from app.perms import allowed, has_perm


class NewsletterPermissionMixin:
    def dispatch(self, request, *args, **kwargs):
        if not has_perm(request.user, "app.view_newsletter"):
            raise Http403
        return super().dispatch(request, *args, **kwargs)


class ActiveMixin:
    def dispatch(self, request, *args, **kwargs):
        if not allowed(request.user, "app.view_newsletter"):
            raise Http403
        return super().dispatch(request, *args, **kwargs)


class NewsletterList(LoginRequiredMixin, NewsletterPermissionMixin, ListView):
    model = Newsletter


class ActiveNewsletterList(LoginRequiredMixin, ActiveMixin, ListView):
    model = Newsletter


class OpenNewsletterList(LoginRequiredMixin, ListView):
    model = Newsletter
""",
    "proj/urls.py": """\
from django.urls import path

from app import views

urlpatterns = [
    path("newsletters/", views.NewsletterList.as_view()),
    path("active/", views.ActiveNewsletterList.as_view()),
    path("open/", views.OpenNewsletterList.as_view()),
]
""",
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return scan(Path(tmp_path_factory.mktemp("permission_helper_gates")), FILES)


def _mg103(result: ScanResult) -> dict[str, tuple[Severity, Confidence, str]]:
    return {
        f.view: (f.severity, f.confidence, f.evidence)
        for f in result.findings
        if f.rule_id == "MG103"
    }


def test_permission_helper_with_a_permission_name_is_a_global_permission_gate(
    result: ScanResult,
) -> None:
    severity, confidence, evidence = _mg103(result)["app.views.NewsletterList"]
    assert (severity, confidence) == (Severity.LOW, Confidence.LOW)
    assert "only users with a global permission reach it" in evidence


def test_helpers_not_named_for_permissions_and_open_lists_stay_high(result: ScanResult) -> None:
    found = _mg103(result)
    assert found["app.views.ActiveNewsletterList"][0] is Severity.HIGH
    assert found["app.views.OpenNewsletterList"][0] is Severity.HIGH
