"""A middleware enforcing a permission table keyed by URL name (DefectDojo's URL_PERMISSIONS).

DefectDojo 2.5x moved its view permissions from decorators into ``URL_PERMISSIONS`` (URL name ->
checks such as ``("object", Product, "view", "pid")``) and ``AuthorizationMiddleware``, whose
``process_view`` fetches the object a checked URL keyword names and calls
``user_has_permission_or_403``. On the reviewed DefectDojo tree, 91 MG104 findings were lookups
by exactly such a checked keyword. A lookup by a keyword the route's entry names is the checked
object; one by a keyword it does not name, on a route it has no entry for, or behind a
middleware that only reads the table (no refusal) is still reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult
from tests.scan.projects import scan

TABLE = """\
from app.models import Product, Note

URL_PERMISSIONS = {
    "view_product": [("object", Product, "view", "pid")],
    "edit_note": [("object", Product, "edit", "pid")],
    "open_product": [],
    "note_as_product": [("object", Product, "view", "nid")],
    "audited_product": [("audit", "pid")],
}
"""

MIDDLEWARE = """\
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from app.authz import user_has_permission_or_403
from app.table import URL_PERMISSIONS


class Passthrough:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)


class AuthorizationMiddleware(Passthrough):
    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith("/api/"):
            return
        resolver_match = request.resolver_match
        if resolver_match is None:
            return
        url_name = resolver_match.url_name
        checks = URL_PERMISSIONS.get(url_name)
        if not checks:
            return
        for check in checks:
            if check[0] == "object":
                _, model, permission, arg_name = check
                lookup_value = view_kwargs.get(arg_name)
                if lookup_value is None:
                    raise PermissionDenied
                obj = get_object_or_404(model, pk=lookup_value)
                user_has_permission_or_403(request.user, obj, permission)


class ReadsPass(AuthorizationMiddleware):
    # GETs go through before the table is read
    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method == "GET":
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class StaffOnly(Passthrough):
    def process_view(self, request, view_func, view_args, view_kwargs):
        checks = URL_PERMISSIONS.get(request.resolver_match.url_name)
        if not checks or not request.user.is_staff:
            return None  # only staff are checked: everyone else goes through
        for check in checks:
            obj = get_object_or_404(check[1], pk=view_kwargs.get(check[-1]))
            user_has_permission_or_403(request.user, obj, check[2])


class WarnsOnly(Passthrough):
    def process_view(self, request, view_func, view_args, view_kwargs):
        checks = URL_PERMISSIONS.get(request.resolver_match.url_name)
        if checks is None:
            raise RuntimeError("route missing from URL_PERMISSIONS")
        for check in checks:
            obj = get_object_or_404(check[1], pk=view_kwargs.get(check[-1]))
            if not request.user.has_perm(check[2], obj):
                print("denied, but served", obj)


class LogsOnly(Passthrough):
    def process_view(self, request, view_func, view_args, view_kwargs):
        checks = URL_PERMISSIONS.get(request.resolver_match.url_name)
        for check in checks or ():
            request.checked = view_kwargs.get(check[-1])
"""

AUTHZ = """\
from django.core.exceptions import PermissionDenied


def user_has_permission_or_403(user, obj, permission):
    if not user.has_perm(permission, obj):
        raise PermissionDenied
"""

MODELS = """\
from django.conf import settings
from django.db import models


class Product(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=50)


class Note(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    text = models.TextField()
"""

VIEWS = """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from app.models import Note, Product


@login_required
def view_product(request, pid):
    return HttpResponse(get_object_or_404(Product, pk=pid).name)


@login_required
def edit_note(request, pid, nid):
    note = get_object_or_404(Note, pk=nid)
    return HttpResponse(note.text)


@login_required
def open_product(request, pid):
    return HttpResponse(get_object_or_404(Product, pk=pid).name)


@login_required
def note_as_product(request, nid):
    return HttpResponse(get_object_or_404(Note, pk=nid).text)


@login_required
def audited_product(request, pid):
    return HttpResponse(get_object_or_404(Product, pk=pid).name)


@login_required
def unlisted_product(request, pid):
    return HttpResponse(get_object_or_404(Product, pk=pid).name)
"""

URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("product/<int:pid>/", views.view_product, name="view_product"),
    path("product/<int:pid>/note/<int:nid>/", views.edit_note, name="edit_note"),
    path("open/<int:pid>/", views.open_product, name="open_product"),
    path("unlisted/<int:pid>/", views.unlisted_product, name="unlisted_product"),
    path("note-as-product/<int:nid>/", views.note_as_product, name="note_as_product"),
    path("audited/<int:pid>/", views.audited_product, name="audited_product"),
]
"""


def _scan(tmp_path: Path, middleware: str) -> ScanResult:
    return scan(
        tmp_path,
        {
            "app/table.py": TABLE,
            "app/mw.py": MIDDLEWARE,
            "app/authz.py": AUTHZ,
            "app/models.py": MODELS,
            "app/views.py": VIEWS,
            "proj/urls.py": URLS,
        },
        settings_extra=(
            "MIDDLEWARE = [\n"
            '    "django.contrib.sessions.middleware.SessionMiddleware",\n'
            '    "django.contrib.auth.middleware.AuthenticationMiddleware",\n'
            f'    "app.mw.{middleware}",\n'
            "]\n"
        ),
    )


def _mg104(result: ScanResult) -> set[str]:
    return {f.route or "" for f in result.findings if f.rule_id == "MG104"}


def test_lookup_by_a_keyword_the_routes_entry_checks_is_not_reported(tmp_path: Path) -> None:
    result = _scan(tmp_path, "AuthorizationMiddleware")
    assert not result.errors
    found = _mg104(result)
    assert "product/<int:pid>/" not in found


def test_keywords_the_entry_does_not_name_and_routes_without_checks_stay_reported(
    tmp_path: Path,
) -> None:
    found = _mg104(_scan(tmp_path, "AuthorizationMiddleware"))
    # the entry checks the product (pid); the note is fetched by nid, unchecked
    assert "product/<int:pid>/note/<int:nid>/" in found
    # an empty entry lets the route through; a route with no entry is not checked
    assert {"open/<int:pid>/", "unlisted/<int:pid>/"} <= found


def test_a_middleware_that_reads_the_table_without_refusing_checks_nothing(
    tmp_path: Path,
) -> None:
    found = _mg104(_scan(tmp_path, "LogsOnly"))
    assert "product/<int:pid>/" in found


def test_an_entry_checking_another_model_or_a_kind_the_hook_never_runs_vouches_nothing(
    tmp_path: Path,
) -> None:
    found = _mg104(_scan(tmp_path, "AuthorizationMiddleware"))
    # the entry checks a Product by nid; the view fetches a Note by it
    assert "note-as-product/<int:nid>/" in found
    # the hook runs only ("object", ...) checks: "audit" is never enforced
    assert "audited/<int:pid>/" in found


@pytest.mark.parametrize("middleware", ["ReadsPass", "StaffOnly", "WarnsOnly"])
def test_a_hook_letting_some_callers_through_or_never_refusing_checks_nothing(
    tmp_path: Path, middleware: str
) -> None:
    assert "product/<int:pid>/" in _mg104(_scan(tmp_path, middleware))
