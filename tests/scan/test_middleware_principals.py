"""A gate refusing without what a middleware attaches for signed-in callers only (OpenCVE).

OpenCVE's ``OrganizationMiddleware`` sets ``request.current_organization = None``, lets
anonymous callers go on (``if not request.user.is_authenticated: return``) and only then sets it
to one of the caller's organizations. ``OrganizationIsMemberMixin.dispatch`` redirects unless it
is set: it refuses every anonymous caller, a login gate. So does a decorator whose wrapper
refuses without it, and a middleware attribute computed from ``request.user`` itself. The twins
stay open: a gate on an attribute a middleware sets for everyone (a theme), and a gate on one
set by a middleware the settings do not install.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult
from tests.scan.projects import OWNED_NOTE_MODELS, protections, scan

FILES = {
    "app/models.py": OWNED_NOTE_MODELS,
    "app/middleware.py": """\
from app.models import Note


class OrganizationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        request.current_organization = None
        if not request.user.is_authenticated:
            return
        request.current_organization = request.session.get("organization")


class MemberMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.member = Note.objects.filter(owner=request.user).first()
        request.theme = request.COOKIES.get("theme", "light")
        return self.get_response(request)


class UninstalledMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            return self.get_response(request)
        request.team = request.user.team
        return self.get_response(request)
""",
    "app/views.py": """\
from functools import wraps

from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect
from django.views import View


class OrganizationRequiredMixin:
    def dispatch(self, request, *args, **kwargs):
        if not request.current_organization:
            return redirect("/organizations/")
        return super().dispatch(request, *args, **kwargs)


class ThemeRequiredMixin:
    def dispatch(self, request, *args, **kwargs):
        if not request.theme:
            return redirect("/themes/")
        return super().dispatch(request, *args, **kwargs)


class TeamRequiredMixin:
    def dispatch(self, request, *args, **kwargs):
        if not request.team:
            return redirect("/teams/")
        return super().dispatch(request, *args, **kwargs)


def member_required(function):
    @wraps(function)
    def wrapper(request, *args, **kwargs):
        if request.member is None:
            return HttpResponseForbidden()
        return function(request, *args, **kwargs)

    return wrapper


class Settings(OrganizationRequiredMixin, View):
    def post(self, request):
        return HttpResponse("saved")


class Themed(ThemeRequiredMixin, View):
    def post(self, request):
        return HttpResponse("saved")


class Teamed(TeamRequiredMixin, View):
    def post(self, request):
        return HttpResponse("saved")


@member_required
def member_page(request):
    return HttpResponse(str(request.member))
""",
    "proj/urls.py": """\
from django.urls import path

from app import views

urlpatterns = [
    path("settings/", views.Settings.as_view()),
    path("themed/", views.Themed.as_view()),
    path("teamed/", views.Teamed.as_view()),
    path("member/", views.member_page),
]
""",
}

MIDDLEWARE = """
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "app.middleware.OrganizationMiddleware",
    "app.middleware.MemberMiddleware",
]
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root = Path(tmp_path_factory.mktemp("middleware_principals"))
    return scan(root, FILES, settings_extra=MIDDLEWARE)


@pytest.mark.parametrize("pattern", ["settings/", "member/"])
def test_gate_on_a_signed_in_principal_authenticates(result: ScanResult, pattern: str) -> None:
    found = next(iter(protections(result, pattern).values()))
    assert found.authenticated is True
    assert "for signed-in callers only" in found.detail


@pytest.mark.parametrize("pattern", ["themed/", "teamed/"])
def test_gate_on_other_attributes_stays_open(result: ScanResult, pattern: str) -> None:
    assert all(p.authenticated is False for p in protections(result, pattern).values())
