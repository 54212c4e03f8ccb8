"""An allow-list login middleware protects a route only when it refuses every path of it.

Red-team cases: a route with a parameter was judged on one sample path (the attacker picks the
parameter: ``/files/a.png``, ``/user/x.css``, ``/u/public-x/``), an exempt list grown outside
the module's top level was read as assigned, ``get_full_path()`` (the query string follows the
path) was tested like the path, and regex flags were dropped. Each unsafe shape must stay
undecided (never "protected"); each safe twin keeps its decision.
"""

from __future__ import annotations

import time
from pathlib import Path

from mtlsguard.findings.model import ScanResult
from mtlsguard.scan.analysis.route_paths import decide, full_path, route_shape
from tests.scan.projects import protections, scan

# --- the route model ------------------------------------------------------------------------


def _decide(op: str, value: str, pattern: str, strip: str | None = "/") -> bool | None:
    route = route_shape(pattern, strip)
    assert route is not None
    return decide(op, value, route)


def test_parameter_the_attacker_picks_leaves_prefix_equal_routes_undecided() -> None:
    assert _decide("match", r"^files/.*\.png$", "files/<path:name>") is None
    assert _decide("match", r"^u/public-", r"^u/(?P<name>[\w-]+)/$") is None
    assert _decide("endswith", ".css", "user/<str:name>") is None
    # Literal prefixes (or suffixes) that differ decide: no path of the route can match.
    assert _decide("match", r"^login/", "files/<path:name>") is False
    assert _decide("match", r"^login/", r"^u/(?P<name>[\w-]+)/$") is False
    assert _decide("endswith", ".css", "user/<str:name>/") is False
    assert _decide("startswith", "static/", "asset/<int:pk>/") is False
    # A literal exempt prefix of the route's own literal prefix: every path matches.
    assert _decide("match", r"^api/v2/", "api/v2/users/<int:pk>/") is True
    assert _decide("startswith", "api/", "api/v2/users/<int:pk>/") is True


def test_aligned_regexes_that_part_at_a_literal_are_disjoint() -> None:
    # ``\\d+`` cannot start with ``i``: no ``finding/<digits>`` path is ``finding/image/...``.
    assert _decide("match", r"^finding/image/(?P<t>[^/]+)$", r"^finding/(?P<id>\d+)$") is False
    assert _decide("match", r"^finding/image/", r"^finding/(?P<id>\w+)$") is None
    # The same digit run, then ``/answer`` against ``/delete`` (or the end of the path).
    exempt = r"empty_questionnaire/([\d]+)/answer"
    assert _decide("match", exempt, r"^empty_questionnaire/(?P<e>\d+)/delete$") is False
    assert _decide("match", exempt, r"^empty_questionnaire/(?P<e>\d+)$") is False
    assert _decide("match", exempt, r"^empty_questionnaire/(?P<e>\d+)/answer$") is True
    assert _decide("match", exempt, r"^empty_questionnaire/(?P<e>\d+)") is None
    # A repeat that may swallow the literal after it does not align the two.
    assert _decide("match", r"^x/.+a", r"^x/(?P<n>.+)b$") is None
    assert _decide("match", r"^asset/x", "asset/<int:pk>/") is False
    assert _decide("match", r"^asset/1", "asset/<int:pk>/") is None


def test_unanchored_search_decides_only_a_route_without_parameters() -> None:
    assert _decide("search", "public/", "files/<path:name>") is None
    assert _decide("search", "public/", r"^docs/(?P<name>.+)$") is None
    assert _decide("search", "public/", "records/") is False
    assert _decide("search", "public/", "files/public/<path:name>") is True


def test_exempt_regex_equal_to_the_route_regex_matches_every_path() -> None:
    assert _decide("match", r"^webhook/([\w-]+)$", r"^webhook/(?P<name>[\w-]+)$") is True
    # One character class wider on the route side: unsure.
    assert _decide("match", r"^webhook/([\w]+)$", r"^webhook/(?P<name>[\w-]+)$") is None


def test_case_insensitive_regexes_are_undecided() -> None:
    assert route_shape(r"^(?i)LOGIN/$", "/") is None
    assert _decide("match", r"(?i)^api/public/", "API/PUBLIC/<int:pk>/") is None
    # Without the flag the literal text decides.
    assert _decide("match", r"^api/public/", "API/PUBLIC/<int:pk>/") is False


def test_full_path_is_known_by_its_start_only() -> None:
    route = route_shape("login/", None)
    assert route is not None
    assert route.exact
    full = full_path(route)
    # ``/login/?next=/x`` starts with ``/login/?``: an exact path is no longer exact.
    assert decide("startswith", "/login/?", full) is None
    assert decide("startswith", "/static/", full) is False
    assert decide("startswith", "/log", full) is True
    # ``escape_uri_path()`` encodes a space: what follows it is not known literally.
    spaced = route_shape("my files/<int:pk>/", None)
    assert spaced is not None
    assert full_path(spaced).prefix == "/my"


def test_huge_repeat_in_a_route_regex_costs_nothing() -> None:
    # A sample path of this route would be a 3 GB string: the old reading built one.
    start = time.monotonic()
    assert _decide("match", "^y", r"^a/x{3000000000}$") is False
    assert _decide("match", "^a/x", r"^a/x{3000000000}$") is None
    assert time.monotonic() - start < 5


# --- whole projects -------------------------------------------------------------------------

MIDDLEWARE = """\
import re

from django.conf import settings
from django.shortcuts import redirect

EXEMPT_URLS = [{exempt}]
{extra}


class LoginRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        {init}

    def __call__(self, request):
        if not request.user.is_authenticated:
            path = request.path_info.lstrip("/")
            {suffix}
            if not any(m.match(path) for m in EXEMPT_URLS):
                return redirect(settings.LOGIN_URL)
        return self.get_response(request)
"""

VIEWS = """\
from django.contrib.auth.models import User
from django.http import HttpResponse


def records(request, pk):
    return HttpResponse(User.objects.get(pk=pk).email)


def files(request, name):
    return HttpResponse(User.objects.get(username=name).email)
"""

URLS = """\
from django.urls import path, re_path
from app import views

urlpatterns = [
    path("records/<int:pk>/", views.records),
    path("files/<path:name>", views.files),
    path("user/<str:name>", views.files),
    re_path(r"^u/(?P<name>[\\w-]+)/$", views.files),
]
"""

SETTINGS = """\
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "app.mw.LoginRequiredMiddleware",
]
"""

SUFFIX_EXEMPT = (
    'if path.endswith((".css", ".js")):\n                return self.get_response(request)'
)
ROUTES = ("files/<path:name>", "user/<str:name>", "^u/(?P<name>[\\w-]+)/$")


def _scan(
    tmp_path: Path,
    exempt: str = 're.compile(r"^login/")',
    *,
    extra: str = "",
    init: str = "pass",
    suffix: str = "pass",
    more: dict[str, str] | None = None,
) -> ScanResult:
    middleware = (
        MIDDLEWARE.replace("{exempt}", exempt)
        .replace("{extra}", extra)
        .replace("{init}", init)
        .replace("{suffix}", suffix)
    )
    files = {"app/mw.py": middleware, "app/views.py": VIEWS, "proj/urls.py": URLS}
    files.update(more or {})
    return scan(tmp_path, files, settings_extra=SETTINGS)


def _authenticated(result: ScanResult, pattern: str) -> bool | None:
    return protections(result, pattern)["*"].authenticated


def test_exempt_regexes_an_attacker_can_reach_leave_parameter_routes_undecided(
    tmp_path: Path,
) -> None:
    result = _scan(
        tmp_path,
        r're.compile(r"^login/"), re.compile(r"^files/.*\.png$"), re.compile(r"^u/public-")',
        suffix=SUFFIX_EXEMPT,
    )
    for pattern in ROUTES:
        assert _authenticated(result, pattern) is None, pattern
    assert _authenticated(result, "records/<int:pk>/") is True


def test_safe_twin_every_route_outside_the_allow_list_is_protected(tmp_path: Path) -> None:
    result = _scan(tmp_path)
    for pattern in (*ROUTES, "records/<int:pk>/"):
        assert _authenticated(result, pattern) is True, pattern


def test_regex_flags_leave_the_exempt_list_unknown(tmp_path: Path) -> None:
    result = _scan(tmp_path, 're.compile(r"^LOGIN/"), re.compile(r"^RECORDS/", re.IGNORECASE)')
    assert _authenticated(result, "records/<int:pk>/") is None
    twin = _scan(tmp_path / "twin", 're.compile(r"^LOGIN/"), re.compile(r"^RECORDS/")')
    assert _authenticated(twin, "records/<int:pk>/") is True


def test_exempt_list_changed_in_place_leaves_routes_undecided(tmp_path: Path) -> None:
    shapes = {
        "init": {"init": 'EXEMPT_URLS.append(re.compile(r"records/"))'},
        "item": {"extra": 'EXEMPT_URLS[0] = re.compile(r"")'},
        "slice": {"extra": 'EXEMPT_URLS[:] = [re.compile(r"")]'},
        "globals": {"extra": 'globals()["EXEMPT_URLS"] = [re.compile(r"")]'},
    }
    for name, where in shapes.items():
        result = _scan(tmp_path / name, **where)
        assert _authenticated(result, "records/<int:pk>/") is None, name


def test_exempt_list_changed_by_another_module_leaves_routes_undecided(tmp_path: Path) -> None:
    other = {
        "app/models.py": "import re\nfrom app.mw import EXEMPT_URLS\n\n"
        'EXEMPT_URLS.append(re.compile(r"records/"))\n',
    }
    result = _scan(tmp_path / "import", more=other)
    assert _authenticated(result, "records/<int:pk>/") is None
    ready = {
        "app/apps.py": "import re\nfrom django.apps import AppConfig\n\n\n"
        "class AppCfg(AppConfig):\n    name = 'app'\n\n    def ready(self):\n"
        "        from app import mw\n        mw.EXEMPT_URLS.extend([re.compile(r'.*')])\n",
    }
    result = _scan(tmp_path / "ready", more=ready)
    assert _authenticated(result, "records/<int:pk>/") is None
    # Only read elsewhere: still decided.
    reader = {"app/models.py": "from app.mw import EXEMPT_URLS\n\nCOUNT = len(EXEMPT_URLS)\n"}
    result = _scan(tmp_path / "reader", more=reader)
    assert _authenticated(result, "records/<int:pk>/") is True


FULL_PATH = """\
from django.conf import settings
from django.shortcuts import redirect

OPEN = {values}


class LoginRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            path = request.get_full_path()
            if not any(path.{op}(s) for s in OPEN):
                return redirect(f"{{settings.LOGIN_URL}}?next={{path}}")
        return self.get_response(request)
"""


def test_full_path_suffix_tests_are_undecided_prefix_tests_decide(tmp_path: Path) -> None:
    def run(name: str, op: str, values: str) -> ScanResult:
        middleware = FULL_PATH.format(op=op, values=values)
        files = {"app/mw.py": middleware, "app/views.py": VIEWS, "proj/urls.py": URLS}
        return scan(tmp_path / name, files, settings_extra=SETTINGS)

    # ``/records/1/?x=.png`` ends with ``.png``.
    suffix = run("suffix", "endswith", '(".png", ".css")')
    assert _authenticated(suffix, "records/<int:pk>/") is None
    prefix = run("prefix", "startswith", '("/login/", "/static/")')
    assert _authenticated(prefix, "records/<int:pk>/") is True
    assert _authenticated(prefix, "files/<path:name>") is True
