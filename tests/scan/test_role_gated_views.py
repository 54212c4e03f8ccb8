"""MG103/MG104 on views only staff or holders of a global permission reach (pretix, Weblate).

pretix's ``AdministratorPermissionRequiredMixin`` overrides ``as_view()`` to wrap the view in
a project decorator that refuses users without an active staff session; Weblate's
``@method_decorator(management_access, name="dispatch")`` refuses users without the global
``management.use`` permission. Listing every staff session or every team is the job of such a
view. A staff/superuser gate silences MG103/MG104; a global-permission gate (who holds the
permission is data, not code) keeps the finding at low confidence and medium severity; a gate
that only checks ``is_authenticated`` changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Confidence, Severity
from mtlsguard.scan.engine import scan_project
from tests.scan.projects import write_project

MODELS = """\
from django.db import models
from django.conf import settings

class StaffSession(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
"""

GATES = """\
from functools import wraps
from django.core.exceptions import PermissionDenied

def administrator_permission_required():
    def decorator(function):
        def wrapper(request, *args, **kw):
            if not request.user.is_authenticated:
                raise PermissionDenied()
            if not request.user.has_active_staff_session(request.session.session_key):
                raise PermissionDenied("You do not have permission to view this content.")
            return function(request, *args, **kw)
        return wrapper
    return decorator

class AdministratorPermissionRequiredMixin:
    @classmethod
    def as_view(cls, **initkwargs):
        view = super(AdministratorPermissionRequiredMixin, cls).as_view(**initkwargs)
        return administrator_permission_required()(view)

def management_access(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.has_perm("management.use"):
            raise PermissionDenied
        return view(request, *args, **kwargs)
    return wrapper

def signed_in(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            raise PermissionDenied
        return view(request, *args, **kwargs)
    return wrapper
"""

HEAD = """\
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.views.generic import ListView
from django.http import HttpResponse
from app.gates import AdministratorPermissionRequiredMixin, management_access, signed_in
from app.models import StaffSession

"""

LIST = {
    "staff_mixin": "class SessionList(AdministratorPermissionRequiredMixin, ListView):",
    "permission": '@method_decorator(management_access, name="dispatch")\n'
    "class SessionList(ListView):",
    "signed_in": '@method_decorator(signed_in, name="dispatch")\nclass SessionList(ListView):',
}
LIST_BODY = """
    model = StaffSession

    def get_queryset(self):
        return StaffSession.objects.select_related("user")


@{decorator}
def session_detail(request, pk):
    session = get_object_or_404(StaffSession, pk=pk)
    return HttpResponse(str(session.pk))
"""
DECORATOR = {"staff_mixin": "login_required", "permission": "management_access"}

URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("sessions/", views.SessionList.as_view()),
    path("sessions/<int:pk>/", views.session_detail),
]
"""


def _findings(tmp_path: Path, case: str, decorator: str) -> dict[str, tuple[Severity, Confidence]]:
    views = HEAD + LIST[case] + LIST_BODY.replace("{decorator}", decorator)
    root = write_project(
        tmp_path,
        {
            "app/models.py": MODELS,
            "app/gates.py": GATES,
            "app/views.py": views,
            "proj/urls.py": URLS,
        },
    )
    result = scan_project(root)
    assert result.errors == ()
    return {
        f.rule_id: (f.severity, f.confidence)
        for f in result.findings
        if f.rule_id in ("MG101", "MG103", "MG104")
    }


def test_staff_session_gate_on_the_class_silences_mg103(tmp_path: Path) -> None:
    # as_view() returning administrator_permission_required()(view) also authenticates: no
    # MG101; the login_required function view keeps its MG104.
    assert _findings(tmp_path, "staff_mixin", "login_required") == {
        "MG104": (Severity.HIGH, Confidence.MEDIUM)
    }


def test_global_permission_gate_downgrades_mg103_and_mg104(tmp_path: Path) -> None:
    found = _findings(tmp_path, "permission", "management_access")
    assert found == {
        "MG103": (Severity.LOW, Confidence.LOW),
        "MG104": (Severity.MEDIUM, Confidence.LOW),
    }


@pytest.mark.parametrize("decorator", ["login_required", "signed_in"])
def test_authentication_only_gates_are_still_reported(tmp_path: Path, decorator: str) -> None:
    found = _findings(tmp_path, "signed_in", decorator)
    assert found == {
        "MG103": (Severity.HIGH, Confidence.MEDIUM),
        "MG104": (Severity.HIGH, Confidence.MEDIUM),
    }


def test_the_role_gate_of_a_route_is_computed_once_for_every_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # MG103 and MG104 both ask for the gate of the list route: the context computes it once
    # and both rules read the same answer.
    import mtlsguard.scan.context as context

    calls: list[str] = []
    real = context.role_gate

    def counting(project: object, analysis: object, *shared: object) -> object:
        calls.append(analysis.route.pattern)  # type: ignore[attr-defined]
        return real(project, analysis, *shared)  # type: ignore[arg-type]

    monkeypatch.setattr(context, "role_gate", counting)
    found = _findings(tmp_path, "permission", "management_access")
    assert found == {
        "MG103": (Severity.LOW, Confidence.LOW),
        "MG104": (Severity.MEDIUM, Confidence.LOW),
    }
    assert sorted(calls) == ["sessions/", "sessions/<int:pk>/"]
