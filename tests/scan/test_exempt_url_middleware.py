"""The "LoginRequiredMiddleware with LOGIN_EXEMPT_URLS" snippet many Django projects copy.

A module-level list of compiled regexes (the login URL, then ``settings.LOGIN_EXEMPT_URLS``
added under ``if hasattr(settings, ...)``), a hook that first asserts the authentication
middleware is installed (``raise AttributeError``), then redirects every anonymous request whose
``request.path_info.lstrip("/")`` no exempt regex matches. Settings build the exempt regexes
as rf-strings over a URL prefix read from the environment through django-environ's schema, and
``MIDDLEWARE`` in steps (copies, filters, splices under ``if``).

A route no exempt regex can match is behind the login wall; a route one may match stays open
(reported); what the scan cannot evaluate stays undecided, never protected.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import ScanResult
from tests.scan.projects import protections, scan

MIDDLEWARE = """\
import re
from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponseRedirect

EXEMPT_URLS = [re.compile(settings.LOGIN_URL.lstrip("/"))]
if hasattr(settings, "LOGIN_EXEMPT_URLS"):
    EXEMPT_URLS += [re.compile(expr) for expr in settings.LOGIN_EXEMPT_URLS]


class LoginRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not hasattr(request, "user"):
            msg = "The Login Required middleware requires authentication middleware."
            raise AttributeError(msg)
        if not request.user.is_authenticated:
            path = request.path_info.lstrip("/")
            if not any(m.match(path) for m in EXEMPT_URLS):
                if path == "logout":
                    full_url = f"{settings.LOGIN_URL}?next=/"
                else:
                    full_url = f"{settings.LOGIN_URL}?next={quote(request.get_full_path())}"
                return HttpResponseRedirect(full_url)
        response = self.get_response(request)
        return response


class ReadsOnly:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            path = request.path_info.lstrip("/")
            if not any(m.match(path) for m in EXEMPT_URLS):
                request.anonymous_page = path
        return self.get_response(request)


def more_exemptions():
    return []


class Unknowable(LoginRequiredMiddleware):
    pass
"""

VIEWS = """\
from django.contrib.auth.models import User
from django.http import HttpResponse


def records(request, pk):
    return HttpResponse(User.objects.get(pk=pk).email)


def hook(request, name):
    return HttpResponse(User.objects.get(username=name).email)


def mounted_hook(request, name):
    return HttpResponse(User.objects.get(username=name).email)


def asset(request, pk):
    return HttpResponse(User.objects.get(pk=pk).email)


def metrics(request):
    return HttpResponse(str(User.objects.count()))


def prefix():
    from app.models import Site
    return Site.objects.get().url_prefix
"""

URLS = """\
from django.urls import include, path, re_path
from app import views

urlpatterns = [
    path("records/<int:pk>/", views.records),
    re_path(r"^webhook/(?P<name>[\\w-]+)$", views.hook),
    path("metrics/", views.metrics),
    re_path(r"^{}".format(views.prefix()), include("app.mounted")),
]
"""

MOUNTED = """\
from django.urls import re_path
from app import views

urlpatterns = [
    re_path(r"^asset/(?P<pk>\\d+)$", views.asset),
    re_path(r"^webhook/(?P<name>[\\w-]+)$", views.mounted_hook),
]
"""

SETTINGS = """\
import environ

env = environ.Env(APP_URL_PREFIX=(str, ""), APP_LOGIN_URL=(str, "/login"), APP_DEBUG=(bool, False))
URL_PREFIX = env("APP_URL_PREFIX")
LOGIN_URL = env("APP_LOGIN_URL")
LOGIN_EXEMPT_URLS = (
    rf"^{URL_PREFIX}static/",
    rf"^{URL_PREFIX}webhook/([\\w-]+)$",
    r"complete/",
)
BASE_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "app.mw.{name}",
    "app.mw.Search",
]
MIDDLEWARE = BASE_MIDDLEWARE
if env("APP_DEBUG"):
    middleware_list = list(MIDDLEWARE)
    middleware_list.insert(0, "app.mw.History")
    MIDDLEWARE = middleware_list
if not env("APP_DEBUG"):
    MIDDLEWARE = [m for m in MIDDLEWARE if m != "app.mw.Search"]
if env("APP_DEBUG"):
    MIDDLEWARE = ["debug_toolbar.middleware.DebugToolbarMiddleware", *MIDDLEWARE]
    LOGIN_EXEMPT_URLS += (rf"^{URL_PREFIX}metrics/",)
"""


def _scan(tmp_path: Path, name: str, middleware: str = MIDDLEWARE) -> ScanResult:
    return scan(
        tmp_path,
        {
            "app/mw.py": middleware,
            "app/views.py": VIEWS,
            "app/mounted.py": MOUNTED,
            "app/models.py": "from django.db import models\n\n\nclass Site(models.Model):\n"
            "    url_prefix = models.CharField(max_length=30)\n",
            "proj/urls.py": URLS,
        },
        settings_extra=SETTINGS.replace("{name}", name),
    )


def _mg101(result: ScanResult) -> set[str]:
    return {f.route for f in result.findings if f.rule_id == "MG101"}


def test_route_outside_every_exempt_regex_is_behind_the_login_wall(tmp_path: Path) -> None:
    result = _scan(tmp_path, "LoginRequiredMiddleware")
    records = protections(result, "records/<int:pk>/")["*"]
    assert (records.authenticated, records.decided_by) == (True, "middleware")
    assert "outside its allow-list" in records.detail
    assert "records/<int:pk>/" not in _mg101(result)


def test_route_an_exempt_regex_matches_is_still_reported(tmp_path: Path) -> None:
    result = _scan(tmp_path, "LoginRequiredMiddleware")
    hook = protections(result, "^webhook/(?P<name>[\\w-]+)$")["*"]
    assert hook.authenticated is False
    assert "its allow-list" in hook.detail
    # Exempt only when the ``if`` that adds ``^metrics/`` runs: it may be open, so it is.
    assert protections(result, "metrics/")["*"].authenticated is False
    assert {"^webhook/(?P<name>[\\w-]+)$", "metrics/"} <= _mg101(result)


def test_prefix_the_scan_cannot_compute_protects_only_what_every_prefix_refuses(
    tmp_path: Path,
) -> None:
    result = _scan(tmp_path, "LoginRequiredMiddleware")
    mounted = {r.pattern: r for r in result.routes if r.pattern.startswith("<dynamic>")}
    asset = protections(result, "<dynamic>asset/(?P<pk>\\d+)$")["*"]
    assert (asset.authenticated, asset.decided_by) == (True, "middleware")
    # ``webhook/`` is exempt under an empty prefix (not under a mount point): it may be open.
    hook = protections(result, "<dynamic>webhook/(?P<name>[\\w-]+)$")["*"]
    assert hook.authenticated is False, mounted
    assert "<dynamic>webhook/(?P<name>[\\w-]+)$" in _mg101(result)


def test_middleware_that_only_reads_is_authenticated_protects_nothing(tmp_path: Path) -> None:
    result = _scan(tmp_path, "ReadsOnly")
    records = protections(result, "records/<int:pk>/")["*"]
    assert (records.authenticated, records.decided_by) == (False, "none")
    assert "records/<int:pk>/" in _mg101(result)


def test_exempt_list_grown_by_something_unknown_leaves_routes_undecided(tmp_path: Path) -> None:
    grown = MIDDLEWARE.replace(
        "class LoginRequiredMiddleware:",
        "EXEMPT_URLS.extend(more_exemptions())\n\n\nclass LoginRequiredMiddleware:",
    )
    result = _scan(tmp_path, "LoginRequiredMiddleware", grown)
    records = protections(result, "records/<int:pk>/")["*"]
    assert (records.authenticated, records.decided_by) == (None, "middleware")
    assert "records/<int:pk>/" not in _mg101(result)


def test_exempt_list_assigned_again_in_a_branch_leaves_routes_undecided(tmp_path: Path) -> None:
    reassigned = MIDDLEWARE.replace(
        "class LoginRequiredMiddleware:",
        "if settings.DEBUG:\n    EXEMPT_URLS = [re.compile('.*')]\n\n\n"
        "class LoginRequiredMiddleware:",
    )
    result = _scan(tmp_path, "LoginRequiredMiddleware", reassigned)
    assert protections(result, "records/<int:pk>/")["*"].authenticated is None


def test_settings_model_follows_copies_filters_splices_and_schema_defaults(
    tmp_path: Path,
) -> None:
    result = _scan(tmp_path, "LoginRequiredMiddleware")
    assert result.routes  # scanned
    from mtlsguard.scan.static.settings import evaluate_settings
    from mtlsguard.scan.static.source import SourceTree

    settings = evaluate_settings(SourceTree(tmp_path), "proj.settings")
    assert settings is not None
    middleware = settings.get("MIDDLEWARE")
    assert middleware is not None
    names = [getattr(item, "value", None) for item in getattr(middleware.value, "items", ())]
    assert names == [
        "debug_toolbar.middleware.DebugToolbarMiddleware",
        "app.mw.History",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "app.mw.LoginRequiredMiddleware",
    ]
    exempt = settings.get("LOGIN_EXEMPT_URLS")
    assert exempt is not None
    assert exempt.additive
    values = [getattr(item, "value", None) for item in getattr(exempt.value, "items", ())]
    assert values == ["^static/", "^webhook/([\\w-]+)$", "complete/", "^metrics/"]


CONSENT = """\
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse


class EmailConsent:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not settings.EMAIL_CONSENT_ENABLED:
            return response
        if not request.user.is_authenticated:
            return response
        if request.path == reverse("consent"):
            return response
        return redirect("consent")
"""


def test_redirect_meant_for_signed_in_users_is_no_login_wall(tmp_path: Path) -> None:
    # Read as anonymous, every exit lets the caller through: the user check only picks which
    # signed-in users are sent to a consent page.
    result = _scan(tmp_path, "EmailConsent", CONSENT)
    records = protections(result, "records/<int:pk>/")["*"]
    assert (records.authenticated, records.decided_by) == (False, "none")
    assert "records/<int:pk>/" in _mg101(result)
