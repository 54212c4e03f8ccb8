"""MG103/MG104: a lookup only staff reach inside the view, and objects keyed by a UUID.

pretix's ``EditStaffSession.get_object`` fetches any session by id only under
``has_active_staff_session()`` and filters by ``user=request.user`` otherwise: the unscoped
branch is a staff branch. Weblate's ``InvitationView`` serves invitations at
``accounts/invitation/<uuid:pk>/``: a random UUID cannot be counted like an integer id, so the
finding stays (anyone holding the link gets the object) with lower severity and confidence.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Confidence, Severity
from mtlsguard.scan.engine import scan_project
from tests.scan.projects import write_project

MODELS = """\
from django.db import models
from django.conf import settings

class Invitation(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
"""

VIEWS = """\
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404
from django.http import HttpResponse
from django.views.generic import DetailView
from app.models import Invitation

@login_required
def invitation(request, pk):
    if {test}:
        obj = get_object_or_404(Invitation, pk=pk)
    else:
        obj = get_object_or_404(Invitation, pk=pk, user=request.user)
    return HttpResponse(str(obj.pk))

class InvitationView(LoginRequiredMixin, DetailView):
    model = Invitation
"""

URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("invitation/<{converter}:pk>/", views.invitation),
    path("invitation-link/<{converter}:pk>/", views.InvitationView.as_view()),
]
"""


def _findings(
    tmp_path: Path, test: str, converter: str = "int"
) -> dict[str, tuple[Severity, Confidence]]:
    root = write_project(
        tmp_path,
        {
            "app/models.py": MODELS,
            "app/views.py": VIEWS.replace("{test}", test),
            "proj/urls.py": URLS.replace("{converter}", converter),
        },
    )
    result = scan_project(root)
    assert result.errors == ()
    return {
        f.rule_id: (f.severity, f.confidence)
        for f in result.findings
        if f.rule_id in ("MG103", "MG104")
    }


def test_unscoped_lookup_in_a_staff_branch_is_not_reported(tmp_path: Path) -> None:
    found = _findings(
        tmp_path, "request.user.has_active_staff_session(request.session.session_key)"
    )
    assert "MG104" not in found


def test_unscoped_lookup_in_a_branch_the_caller_chooses_is_reported(tmp_path: Path) -> None:
    found = _findings(tmp_path, "request.GET.get('all')")
    assert found["MG104"] == (Severity.HIGH, Confidence.MEDIUM)


def test_integer_key_keeps_mg103_high(tmp_path: Path) -> None:
    found = _findings(tmp_path, "request.user.is_staff")
    assert found["MG103"] == (Severity.HIGH, Confidence.MEDIUM)


def test_uuid_key_lowers_mg103(tmp_path: Path) -> None:
    found = _findings(tmp_path, "request.user.is_staff", converter="uuid")
    assert found["MG103"] == (Severity.MEDIUM, Confidence.LOW)


def test_uuid_key_lowers_mg104(tmp_path: Path) -> None:
    found = _findings(tmp_path, "request.GET.get('all')", converter="uuid")
    assert found["MG104"] == (Severity.MEDIUM, Confidence.LOW)
