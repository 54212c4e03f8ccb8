"""MG101 weighs the project's own code it could not credit as a gate (helios, tendenci, zds...).

On the hand-reviewed real projects, an open view carrying a project decorator or a base class
whose hook can refuse (``raise PermissionDenied``, ``return redirect(...)``) but which the scan
could not tie to the signed-in user was protected, or public by design, far more often than not.
Such a finding is ``low`` with the code named and the way to declare it; code the scan read in
full that never refuses (a decorator that only logs, a ``dispatch()`` that only loads), or
refuses only a kind of request (``if request.method != "POST"``), is no gate and the finding
stays ``high``.
"""

from __future__ import annotations

import ast

import pytest

from mtlsguard.findings.model import Confidence, Finding, Severity
from mtlsguard.scan.facts.decorator_checks import refuses_anywhere
from tests.scan.projects import OWNED_NOTE_MODELS, scan

GATES = """\
import functools

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect

from app.models import Note


def get_session_voter(request):
    return request.session.get("voter")


def election_admin(frozen=False):
    def decorator(func):
        @functools.wraps(func)
        def wrapper(request, pk, *args, **kwargs):
            voter = get_session_voter(request)
            if not voter or voter.get("admin") is not True:
                raise PermissionDenied
            return func(request, pk, *args, **kwargs)

        return wrapper

    return decorator


def audited(func):
    @functools.wraps(func)
    def wrapper(request, *args, **kwargs):
        print("audit", request.path)
        return func(request, *args, **kwargs)

    return wrapper


def post_only(func):
    @functools.wraps(func)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            raise PermissionDenied("POST only")
        return func(request, *args, **kwargs)

    return wrapper


def log_exceptions(func):
    @functools.wraps(func)
    def wrapper(request, *args, **kwargs):
        try:
            return func(request, *args, **kwargs)
        except Exception:
            print("failed", request.path)
            raise

    return wrapper


def feature_required(flag):
    def decorator(func):
        @functools.wraps(func)
        def wrapper(request, *args, **kwargs):
            if not settings.FEATURES.get(flag):
                raise Http404
            return func(request, *args, **kwargs)

        return wrapper

    return decorator


class SoftDeleted:
    def dispatch(self, request, *args, **kwargs):
        note = Note.objects.get(pk=kwargs["pk"])
        if note.is_deleted:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class ProfileRequired:
    def dispatch(self, request, *args, **kwargs):
        if not request.session.get("profile_id"):
            return redirect("/profile/new/")
        return super().dispatch(request, *args, **kwargs)


class Loaded:
    def dispatch(self, request, *args, **kwargs):
        self.first = Note.objects.first()
        return super().dispatch(request, *args, **kwargs)
"""

VIEWS = """\
from django.http import JsonResponse
from django.views import View

from django_ratelimit.decorators import ratelimit

from app.gates import (
    Loaded,
    ProfileRequired,
    SoftDeleted,
    audited,
    election_admin,
    feature_required,
    log_exceptions,
    post_only,
)
from app.models import Note


@election_admin(frozen=True)
def close(request, pk):
    Note.objects.filter(pk=pk).delete()
    return JsonResponse({})


@audited
def purge(request, pk):
    Note.objects.filter(pk=pk).delete()
    return JsonResponse({})


@post_only
def wipe(request, pk):
    Note.objects.filter(pk=pk).delete()
    return JsonResponse({})


@log_exceptions
def logged(request, pk):
    Note.objects.filter(pk=pk).delete()
    return JsonResponse({})


@feature_required("notes")
def flagged(request, pk):
    Note.objects.filter(pk=pk).delete()
    return JsonResponse({})


@ratelimit(key="ip", rate="30/m", block=True)
def limited(request, pk):
    Note.objects.filter(pk=pk).delete()
    return JsonResponse({})


class Shown(SoftDeleted, View):
    def post(self, request, pk):
        Note.objects.filter(pk=pk).delete()
        return JsonResponse({})


class Edit(ProfileRequired, View):
    def post(self, request, pk):
        Note.objects.filter(pk=pk).update(text=request.POST["text"])
        return JsonResponse({})


class Drop(Loaded, View):
    def post(self, request, pk):
        Note.objects.filter(pk=pk).delete()
        return JsonResponse({})
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("close/<int:pk>/", views.close),
    path("purge/<int:pk>/", views.purge),
    path("wipe/<int:pk>/", views.wipe),
    path("logged/<int:pk>/", views.logged),
    path("flagged/<int:pk>/", views.flagged),
    path("limited/<int:pk>/", views.limited),
    path("shown/<int:pk>/", views.Shown.as_view()),
    path("edit/<int:pk>/", views.Edit.as_view()),
    path("drop/<int:pk>/", views.Drop.as_view()),
]
"""


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Finding]:
    files = {
        "app/models.py": OWNED_NOTE_MODELS,
        "app/gates.py": GATES,
        "app/views.py": VIEWS,
        "proj/urls.py": URLS,
    }
    result = scan(tmp_path_factory.mktemp("uncredited"), files)
    assert result.errors == ()
    return {(f.view or "").rsplit(".", 1)[-1]: f for f in result.findings if f.rule_id == "MG101"}


@pytest.mark.parametrize(
    ("view", "gate"),
    [("close", "app.gates.election_admin"), ("Edit", "app.gates.ProfileRequired")],
)
def test_refusing_code_the_scan_cannot_credit_makes_the_finding_low(
    found: dict[str, Finding], view: str, gate: str
) -> None:
    finding = found[view]
    assert (finding.severity, finding.confidence) == (Severity.LOW, Confidence.LOW)
    assert f"not credited as a gate: {gate} (code that can refuse" in finding.evidence
    # the fact the rule would have bet on is still said, as a conditional
    assert "; it would be high because " in finding.evidence
    assert f"guards = ['{gate}']" in finding.remediation


@pytest.mark.parametrize(
    ("view", "code"),
    [
        ("purge", "app.gates.audited"),
        ("Drop", "app.gates.Loaded"),
        # refuses a kind of request (GET), never a caller
        ("wipe", "app.gates.post_only"),
        # a red-team review's cases: a re-raise, a settings flag, a record's state, and an
        # unread decorator not named like a gate (a rate limit is no authentication)
        ("logged", "app.gates.log_exceptions"),
        ("flagged", "app.gates.feature_required"),
        ("Shown", "app.gates.SoftDeleted"),
        ("limited", "django_ratelimit.decorators.ratelimit"),
    ],
)
def test_code_read_in_full_that_never_refuses_keeps_the_finding_high(
    found: dict[str, Finding], view: str, code: str
) -> None:
    finding = found[view]
    assert finding.severity is Severity.HIGH
    assert f"not credited as a gate: {code}" in finding.evidence
    assert "; high because " in finding.evidence
    assert "code that can refuse" not in finding.evidence


@pytest.mark.parametrize(
    ("test", "refuses"),
    [
        ('request.method != "POST"', False),
        ("not request.headers.get('X-Requested-With')", False),
        ("not can_read(obj, self.request)", True),  # froide: the request handed to a check
        ("not request.session.get('voter')", True),
    ],
)
def test_a_refusal_under_a_test_of_the_request_shape_alone_refuses_no_caller(
    test: str, refuses: bool
) -> None:
    func = ast.parse(f"def hook(self, request, obj):\n    if {test}:\n        raise Http404\n")
    node = func.body[0]
    assert isinstance(node, ast.FunctionDef)
    assert refuses_anywhere(node) is refuses
