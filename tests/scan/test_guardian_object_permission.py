"""MG103 and django-guardian's object permissions (Kiwi TCMS, set B pattern P).

``guardian.decorators.permission_required("bugs.view_bug", (Bug, "pk", "pk"))`` checks the
permission on the very object the URL names (guardian's documented public API); it is not the
global permission Django's ``permission_required`` checks. Without ``accept_global_perms`` the
view is not reported; with ``accept_global_perms=True`` a holder of the global permission passes
too, a design choice: information. Django's own ``permission_required`` keeps its medium/low
finding, and so does a guardian decorator without a lookup tuple (a global permission).
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Confidence, Finding, Severity
from tests.scan.projects import scan

MODELS = """\
from django.db import models
from django.conf import settings

class Bug(models.Model):
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
"""

VIEWS = """\
from django.contrib.auth.decorators import permission_required
from django.utils.decorators import method_decorator
from django.views.generic import DetailView
from guardian.decorators import permission_required as object_permission_required
from guardian.decorators import permission_required_or_403
from guardian.mixins import PermissionRequiredMixin
from app.models import Bug


@method_decorator(
    object_permission_required("app.view_bug", (Bug, "pk", "pk"), accept_global_perms=True),
    name="dispatch",
)
class BugGlobalToo(DetailView):
    model = Bug


@method_decorator(object_permission_required("app.view_bug", (Bug, "pk", "pk")), name="dispatch")
class BugObjectOnly(DetailView):
    model = Bug


@method_decorator(permission_required_or_403("app.view_bug", (Bug, "pk", "pk")), name="dispatch")
class BugOr403(DetailView):
    model = Bug


class BugMixin(PermissionRequiredMixin, DetailView):
    model = Bug
    permission_required = "app.view_bug"


@method_decorator(permission_required("app.view_bug"), name="dispatch")
class BugDjangoGlobal(DetailView):
    model = Bug


@method_decorator(object_permission_required("app.view_bug"), name="dispatch")
class BugGuardianNoObject(DetailView):
    model = Bug
"""

URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("a/<int:pk>/", views.BugGlobalToo.as_view()),
    path("b/<int:pk>/", views.BugObjectOnly.as_view()),
    path("c/<int:pk>/", views.BugOr403.as_view()),
    path("d/<int:pk>/", views.BugMixin.as_view()),
    path("e/<int:pk>/", views.BugDjangoGlobal.as_view()),
    path("f/<int:pk>/", views.BugGuardianNoObject.as_view()),
]
"""


def _mg103(tmp_path: Path) -> dict[str, Finding]:
    result = scan(tmp_path, {"app/models.py": MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS})
    return {(f.view or "").rsplit(".", 1)[-1]: f for f in result.findings if f.rule_id == "MG103"}


def test_guardian_object_permission_is_no_idor(tmp_path: Path) -> None:
    found = _mg103(tmp_path)
    assert "BugObjectOnly" not in found
    assert "BugOr403" not in found
    assert "BugMixin" not in found


def test_accept_global_perms_is_information_with_the_reason(tmp_path: Path) -> None:
    found = _mg103(tmp_path)["BugGlobalToo"]
    assert found.severity is Severity.INFO
    assert "checks the permission on the object the URL names" in found.evidence
    assert "accept_global_perms" in found.evidence


def test_global_permissions_keep_their_finding(tmp_path: Path) -> None:
    found = _mg103(tmp_path)
    for name in ("BugDjangoGlobal", "BugGuardianNoObject"):
        assert found[name].severity is Severity.LOW, name
        assert found[name].confidence is Confidence.LOW, name
        assert "only users with a global permission reach it" in found[name].evidence
