"""A refusing helper whose result the view keeps (``ok, user = check_access(request.user, n)``).

Real-world shape (a held-out fitness tracker): ``check_access(request_user, username)`` raises
``Http404`` unless the caller is signed in (no username) or the named user shared the page
read-only; the view assigns its result. Only bare-statement calls counted, so MG101 reported
the view high. A helper that never tests the user it is given, and the view without the call,
stay reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Finding
from tests.scan.projects import reported_open, scan

URLS = """\
from django.urls import path
from app import views
urlpatterns = [path("log/<str:username>/", views.log)]
"""

MODELS = """\
from django.db import models
class Entry(models.Model):
    owner = models.ForeignKey("auth.User", on_delete=models.CASCADE)
    note = models.TextField()
"""

HELPERS = """\
from django.contrib.auth.models import User
from django.http import Http404
from django.shortcuts import get_object_or_404

def check_access(request_user, username=None):
    if username:
        user = get_object_or_404(User, username=username)
        if request_user.username == username:
            user = request_user
        elif not user.profile.shared:
            raise Http404("not shared")
    else:
        if not request_user.is_authenticated:
            raise Http404("not allowed")
        user = request_user
    return request_user == user, user

def find_user(request_user, username=None):
    user = get_object_or_404(User, username=username)
    return request_user == user, user
"""

VIEWS = """\
from django.http import JsonResponse
from app.helpers import check_access, find_user
from app.models import Entry

def log(request, username=None):
    {call}
    return JsonResponse({{"notes": list(Entry.objects.filter(owner__username=username).values())}})
"""


def _findings(tmp_path: Path, call: str) -> list[Finding]:
    files = {
        "app/views.py": VIEWS.format(call=call),
        "app/helpers.py": HELPERS,
        "app/models.py": MODELS,
        "proj/urls.py": URLS,
    }
    result = scan(tmp_path, files)
    return [f for f in result.findings if f.rule_id == "MG101" and f.view == "app.views.log"]


def test_assigned_result_of_a_refusing_helper_gates_the_view(tmp_path: Path) -> None:
    assert _findings(tmp_path, "is_owner, user = check_access(request.user, username)") == []


@pytest.mark.parametrize(
    "call",
    [
        "is_owner, user = find_user(request.user, username)",
        "user = request.user",
        "check_access(request.user.username)",
    ],
)
def test_without_a_refusing_helper_the_view_stays_open(tmp_path: Path, call: str) -> None:
    found = _findings(tmp_path, call)
    assert len(found) == 1
    # it only reads the owners' entries: weak evidence, low with low confidence, not gated
    assert reported_open(found[0])
