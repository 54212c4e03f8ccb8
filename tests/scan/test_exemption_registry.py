"""Login middleware with per-view exemptions, and decorators built by a checking factory.

Held-out set 5 (EvaP 2026.5.0): ``RequireLoginMiddleware.process_view`` returns ``None`` for
authenticated users and for views a ``@no_login_required`` decorator put in a ``WeakSet``, and
sends everybody else to the login page. Every other view is behind the login wall. Its role
decorators are predicates of the user turned into decorators by a factory
(``@class_or_function_check_decorator def manager_required(user): return user.is_manager``).
Before, every view was reported "no authentication check" (high).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult, Severity
from tests.scan.projects import OWNED_NOTE_MODELS, protections, reported_open, scan

MIDDLEWARE = """\
from weakref import WeakSet

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

VIEWS_WITHOUT_LOGIN_REQUIRED = WeakSet()


class RequireLoginMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    @staticmethod
    def _exempt(view):
        if view in VIEWS_WITHOUT_LOGIN_REQUIRED:
            return True
        if hasattr(view, "__wrapped__"):
            return RequireLoginMiddleware._exempt(view.__wrapped__)
        return False

    @classmethod
    def process_view(cls, request, view_func, view_args, view_kwargs):
        if request.user.is_authenticated:
            return None
        view = getattr(view_func, "view_class", view_func)
        if cls._exempt(view):
            return None
        return redirect_to_login(request.get_full_path())


def no_login_required(view):
    VIEWS_WITHOUT_LOGIN_REQUIRED.add(view)
    return view


def unrelated_marker(view):
    view.cache_hint = "short"
    return view


def check_decorator(test_func):
    def function_decorator(func):
        def wrapped(request, *args, **kwargs):
            if not test_func(request.user):
                raise PermissionDenied
            return func(request, *args, **kwargs)

        return wrapped

    def decorator(view):
        return function_decorator(view)

    return decorator


@check_decorator
def manager_required(user):
    return user.is_manager


@check_decorator
def publisher_required(user):
    return user.is_publisher
"""

VIEWS = """\
from django.http import JsonResponse

from app.models import Note
from proj.middleware import manager_required, no_login_required, publisher_required
from proj.middleware import unrelated_marker


def mine(request):
    return JsonResponse({"n": list(Note.objects.filter(owner=request.user).values("text"))})


@no_login_required
def everything(request):
    return JsonResponse({"n": list(Note.objects.values("text"))})


@unrelated_marker
def cached(request):
    return JsonResponse({"n": list(Note.objects.filter(owner=request.user).values("text"))})


@manager_required
def manage(request, pk):
    return JsonResponse({"text": Note.objects.get(pk=pk).text})


@publisher_required
def publish(request, pk):
    return JsonResponse({"text": Note.objects.get(pk=pk).text})
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("mine/", views.mine),
    path("everything/", views.everything),
    path("cached/", views.cached),
    path("manage/<int:pk>/", views.manage),
    path("publish/<int:pk>/", views.publish),
]
"""

SETTINGS = """
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "proj.middleware.RequireLoginMiddleware",
]
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root: Path = tmp_path_factory.mktemp("registry")
    files = {
        "app/models.py": OWNED_NOTE_MODELS,
        "app/views.py": VIEWS,
        "proj/middleware.py": MIDDLEWARE,
        "proj/urls.py": URLS,
    }
    return scan(root, files, settings_extra=SETTINGS)


@pytest.mark.parametrize("route", ["mine/", "cached/"])
def test_views_not_registered_are_behind_the_login_wall(result: ScanResult, route: str) -> None:
    found = protections(result, route)
    assert found, result.routes
    for protection in found.values():
        assert protection.authenticated is True
        assert "RequireLoginMiddleware" in protection.detail


def test_registered_view_is_exempt_and_reported(result: ScanResult) -> None:
    for protection in protections(result, "everything/").values():
        assert protection.authenticated is False
        assert "exempt" in protection.detail
    mg101 = [f for f in result.findings if f.rule_id == "MG101"]
    assert [f.view for f in mg101] == ["app.views.everything"]
    # it only reads everyone's notes: weak evidence, low with low confidence, but reported
    assert reported_open(mg101[0])


def test_manager_predicate_built_into_a_decorator_is_an_administrator_gate(
    result: ScanResult,
) -> None:
    for protection in protections(result, "manage/<int:pk>/").values():
        assert protection.authenticated is True
        assert "built by" in protection.detail
    assert not [f for f in result.findings if f.view == "app.views.manage"]


def test_other_role_predicate_is_a_global_permission(result: ScanResult) -> None:
    found = [f for f in result.findings if f.view == "app.views.publish"]
    assert [f.rule_id for f in found] == ["MG104"]
    assert found[0].severity is Severity.MEDIUM
    assert "global permission" in found[0].evidence
