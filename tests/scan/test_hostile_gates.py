"""A hostile project must not make the reading of its login middleware hang.

Red-team round 2: an exempt regex with a repeat inside a repeat (``^(a+)+b``) was run on a
route's path (exponential backtracking), and a hook with many ``if`` statements was read once
per way through it (each ``if`` re-reads the rest of the body twice). Both now stop quickly and
leave the route undecided; the plain shapes keep their decisions.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.scan.test_allow_list_soundness import _authenticated, _decide, _scan

HOSTILE = "a" * 32 + "/"
BOUND = 10
"""Seconds: the old reading took minutes on these inputs, the new one well under a second; the
margin keeps a loaded machine from failing the test."""


def test_backtracking_exempt_regex_is_not_run(tmp_path: Path) -> None:
    start = time.monotonic()
    assert _decide("match", r"^(a+)+b", HOSTILE) is None
    assert _decide("match", r"^(a|aa)*b", HOSTILE) is None
    assert time.monotonic() - start < BOUND
    # A plain regex still decides an exact route.
    assert _decide("match", r"^login/", HOSTILE) is False
    assert _decide("match", r"^a+/", HOSTILE) is True
    urls = f"""\
from django.urls import path
from app import views

urlpatterns = [path("{HOSTILE}", views.records), path("records/<int:pk>/", views.records)]
"""
    start = time.monotonic()
    result = _scan(
        tmp_path,
        're.compile(r"^login/"), re.compile(r"^(a+)+b")',
        more={"proj/urls.py": urls},
    )
    assert time.monotonic() - start < BOUND
    assert _authenticated(result, HOSTILE) is None
    assert _authenticated(result, "records/<int:pk>/") is True


def _many_ifs(count: int) -> str:
    ifs = "".join(
        f'            if path == "p{n}/":\n                x = {n}\n' for n in range(count)
    )
    return f"""\
from django.conf import settings
from django.shortcuts import redirect


class LoginRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            path = request.path_info.lstrip("/")
{ifs}            if not path.startswith("login/"):
                return redirect(settings.LOGIN_URL)
        return self.get_response(request)
"""


def test_many_ifs_in_a_hook_stop_the_reading(tmp_path: Path) -> None:
    start = time.monotonic()
    result = _scan(tmp_path / "hostile", more={"app/mw.py": _many_ifs(24)})
    assert time.monotonic() - start < BOUND
    assert _authenticated(result, "records/<int:pk>/") is None
    safe = _scan(tmp_path / "safe", more={"app/mw.py": _many_ifs(3)})
    assert _authenticated(safe, "records/<int:pk>/") is True
