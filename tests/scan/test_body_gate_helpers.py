"""A gate the view's body calls first, which the scan reads but cannot credit (helios's stats).

``user = require_admin(request)`` opens each of helios's stats views; ``require_admin()`` raises
``PermissionDenied`` unless the user its own session helper loads is an admin. The scan cannot
tie that user to Django's authentication, so it credited nothing and reported every stats view
as high. On the reviewed trees, all 7 such findings were false. A helper handed the request
unconditionally, named like a gate and able to refuse a caller is now named in the finding,
which is low (as for a decorator of the same kind), and declaring it (``guards``) credits it.
The twins stay high: a helper named like no gate, a gate-named helper that refuses nobody, and
one that only returns a redirect the view never returns (django-helpdesk's advisory).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Confidence, Finding, Severity
from mtlsguard.scan.declared import DeclaredAccess
from mtlsguard.scan.engine import scan_project
from tests.scan.projects import OWNED_NOTE_MODELS, write_project

SECURITY = """\
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

from app.models import Note


def session_user(request):
    return request.session.get("user")


def require_admin(request):
    user = session_user(request)
    if not user or not user.get("admin"):
        raise PermissionDenied()
    return user


def load_stats(request):
    user = session_user(request)
    if not user:
        raise PermissionDenied()
    return user


def get_note_with_authorisation(request, pk):
    if not request.user.is_authenticated:
        return redirect_to_login(request.path)
    return Note.objects.get(pk=pk)


def get_member(request, username):
    user = request.session.get("users", {}).get(username)
    if user is None:
        raise Http404("No such member")
    return user


def throttle_access(request):
    if request.session.get("hits", 0) > 100:
        raise PermissionDenied()


def scan_payload(request):
    if "<script" in request.POST.get("text", ""):
        raise PermissionDenied()


def check_honeypot(request):
    if request.POST.get("website"):
        raise PermissionDenied()


def check_origin(request):
    print("origin", request.META.get("HTTP_ORIGIN"))
"""

VIEWS = """\
from django.http import JsonResponse
from django.views import View

from app.models import Note
from app.security import (
    get_member,
    scan_payload,
    throttle_access,
    check_honeypot,
    check_origin,
    get_note_with_authorisation,
    load_stats,
    require_admin,
)


def stats(request):
    user = require_admin(request)
    Note.objects.all().delete()
    return JsonResponse({"user": user})


def counts(request):
    load_stats(request)
    Note.objects.all().delete()
    return JsonResponse({})


def purge(request):
    check_origin(request)
    Note.objects.all().delete()
    return JsonResponse({})


def member_notes(request, username):
    member = get_member(request, username)
    Note.objects.all().delete()
    return JsonResponse({"member": member})


def throttled(request):
    throttle_access(request)
    Note.objects.all().delete()
    return JsonResponse({})


def scanned(request):
    scan_payload(request)
    Note.objects.all().delete()
    return JsonResponse({})


def contact(request):
    check_honeypot(request)
    Note.objects.all().delete()
    return JsonResponse({})


def edit(request, pk):
    note = get_note_with_authorisation(request, pk)
    note.text = request.POST["text"]
    note.save()
    return JsonResponse({})


class Panel(View):
    def check_access(self, request):
        if not session_user(request):
            raise PermissionDenied()

    def post(self, request):
        self.check_access(request)
        Note.objects.all().delete()
        return JsonResponse({})


from django.core.exceptions import PermissionDenied  # noqa: E402
from app.security import session_user  # noqa: E402
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("stats/", views.stats),
    path("counts/", views.counts),
    path("purge/", views.purge),
    path("panel/", views.Panel.as_view()),
    path("edit/<int:pk>/", views.edit),
    path("contact/", views.contact),
    path("members/<str:username>/notes/", views.member_notes),
    path("throttled/", views.throttled),
    path("scanned/", views.scanned),
]
"""

FILES = {
    "app/models.py": OWNED_NOTE_MODELS,
    "app/security.py": SECURITY,
    "app/views.py": VIEWS,
    "proj/urls.py": URLS,
}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("body_gates"), FILES)


def _mg101(root: Path, declared: DeclaredAccess | None = None) -> dict[str, Finding]:
    result = scan_project(root, declared=declared)
    assert result.errors == ()
    return {(f.view or "").rsplit(".", 1)[-1]: f for f in result.findings if f.rule_id == "MG101"}


@pytest.mark.parametrize(
    ("view", "gate"),
    [("stats", "app.security.require_admin"), ("Panel", "app.views.Panel.check_access")],
)
def test_a_refusing_gate_the_body_calls_first_makes_the_finding_low(
    root: Path, view: str, gate: str
) -> None:
    finding = _mg101(root)[view]
    assert (finding.severity, finding.confidence) == (Severity.LOW, Confidence.LOW)
    assert f"not credited as a gate: {gate} (code that can refuse" in finding.evidence
    assert "; it would be high because " in finding.evidence
    assert f"guards = ['{gate}']" in finding.remediation


@pytest.mark.parametrize(
    "view",
    [
        "counts",
        "purge",
        # refuses a kind of request (a honeypot field), not a caller: not named for who calls
        "contact",
        # a red-team review's cases: a 404 for a record that does not exist (named for a
        # member), a rate limit and a content filter ("can_" inside "scan_")
        "member_notes",
        "throttled",
        "scanned",
        # django-helpdesk before its PR 1134: the helper *returns* a redirect, which the view
        # takes for the ticket and goes on to update
        "edit",
    ],
)
def test_a_helper_named_like_no_gate_or_refusing_nobody_keeps_the_finding_high(
    root: Path, view: str
) -> None:
    finding = _mg101(root)[view]
    assert finding.severity is Severity.HIGH, finding.evidence
    assert "not credited as a gate" not in finding.evidence


def test_declaring_the_body_gate_credits_it(root: Path) -> None:
    declared = DeclaredAccess(
        guards=("app.security.require_admin", "app.views.Panel.check_access", "app.security.*")
    )
    found = _mg101(root, declared)
    assert "stats" not in found, found
    assert "Panel" not in found, found
    assert "counts" in found  # the declaration names only the gates
    # a glob names decorators, mixins and permission classes, not the helpers of a module
    assert "purge" in found
