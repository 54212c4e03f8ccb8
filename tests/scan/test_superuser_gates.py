"""MG104 behind ``user_passes_test`` lambdas and object-permission decorators (DefectDojo).

GHSA-qm5q-2jrx-cch3: credential views guarded by ``@user_passes_test(lambda u: u.is_staff)``
let any staff user read every stored credential by id; the fix requires ``is_superuser`` or a
decorator that checks the user's permission on the object the URL names
(``@user_is_authorized(Product, Permissions.Product_Edit, "pid")``), its refusal written in the
branches of an ``if settings.FEATURE: ... else: ...``. A superuser holds every permission:
nothing to report. ``is_staff`` grants none on the object: a low finding. A decorator checking
the object named by ``pid`` scopes a lookup by ``pid``, not one by another key.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Finding, Severity
from mtlsguard.scan.engine import scan_project
from tests.scan.projects import write_project

MODELS = """\
from django.conf import settings
from django.db import models

class Product(models.Model):
    members = models.ManyToManyField(settings.AUTH_USER_MODEL)

class Credential(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    product = models.ForeignKey(Product, on_delete=models.CASCADE)
"""

DECORATORS = """\
import functools
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

def user_has_permission_or_403(user, obj, permission):
    if not obj.members.filter(pk=user.pk).exists():
        raise PermissionDenied()

def user_is_authorized(model, permission, arg, func=None):
    if func is None:
        return functools.partial(user_is_authorized, model, permission, arg)

    @functools.wraps(func)
    def _wrapped(request, *args, **kwargs):
        obj = get_object_or_404(model.objects.filter(pk=kwargs.get(arg)))
        if settings.NEW_AUTHORIZATION:
            user_has_permission_or_403(request.user, obj, permission)
        else:
            if not request.user.is_staff:
                raise PermissionDenied()
        return func(request, *args, **kwargs)

    return _wrapped
"""

VIEWS = """\
from django.contrib.auth.decorators import user_passes_test
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from app.decorators import user_is_authorized
from app.models import Credential, Product

@user_passes_test(lambda u: u.is_staff)
def staff_credential(request, ttid):
    cred = get_object_or_404(Credential, pk=ttid)
    return HttpResponse(str(cred.pk))

@user_passes_test(lambda u: u.is_superuser)
def superuser_credential(request, ttid):
    cred = get_object_or_404(Credential, pk=ttid)
    return HttpResponse(str(cred.pk))

@user_is_authorized(Product, "product_view", "pid")
def product_page(request, pid):
    product = get_object_or_404(Product, pk=pid)
    return HttpResponse(str(product.pk))

@user_is_authorized(Product, "product_edit", "pid")
def product_credential(request, pid, ttid):
    cred = get_object_or_404(Credential, pk=ttid)
    return HttpResponse(str(cred.pk))
"""

URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("staff/<int:ttid>/", views.staff_credential),
    path("superuser/<int:ttid>/", views.superuser_credential),
    path("product/<int:pid>/", views.product_page),
    path("product/<int:pid>/cred/<int:ttid>/", views.product_credential),
]
"""


def _findings(tmp_path: Path) -> dict[str, list[Finding]]:
    root = write_project(
        tmp_path,
        {
            "app/models.py": MODELS,
            "app/decorators.py": DECORATORS,
            "app/views.py": VIEWS,
            "proj/urls.py": URLS,
        },
    )
    result = scan_project(root)
    assert result.errors == ()
    found: dict[str, list[Finding]] = {}
    for finding in result.findings:
        if finding.rule_id in ("MG101", "MG104") and finding.view:
            found.setdefault(finding.view.rsplit(".", 1)[-1], []).append(finding)
    return found


def test_a_staff_flag_gate_keeps_a_low_idor_finding(tmp_path: Path) -> None:
    found = _findings(tmp_path)["staff_credential"]
    assert [(f.rule_id, f.severity) for f in found] == [("MG104", Severity.LOW)]
    assert "is_staff grants no permission" in found[0].evidence


def test_a_superuser_gate_silences_the_lookup(tmp_path: Path) -> None:
    assert "superuser_credential" not in _findings(tmp_path)


def test_a_decorator_checking_the_url_object_in_config_branches_protects_it(
    tmp_path: Path,
) -> None:
    found = _findings(tmp_path)
    # It refuses in both branches of ``if settings.NEW_AUTHORIZATION``: authenticated, and
    # the product it checked (named by "pid") is the one the view fetches.
    assert "product_page" not in found
    # The credential is fetched by ttid, which the decorator never looked at.
    assert [(f.rule_id, f.severity) for f in found["product_credential"]] == [
        ("MG104", Severity.HIGH)
    ]


MIDDLEWARE = """\
import re
from django.conf import settings
from django.http import HttpResponseRedirect

EXEMPT_URLS = [re.compile(expr) for expr in settings.LOGIN_EXEMPT_URLS]

class LoginRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            path = request.path_info.lstrip("/")
            if not any(m.match(path) for m in EXEMPT_URLS):
                return HttpResponseRedirect(settings.LOGIN_URL)
        return self.get_response(request)
"""

PLAIN_VIEW = """\
from django.http import HttpResponse
from app.models import Credential

def rules(request):
    return HttpResponse(str(Credential.objects.count()))
"""


def test_a_login_middleware_with_exempt_urls_is_a_gate_for_some_paths(tmp_path: Path) -> None:
    # DefectDojo's LoginRequiredMiddleware redirects anonymous users unless the path matches
    # LOGIN_EXEMPT_URLS: the refusal sits under the exemption test. Which paths are exempt is
    # data: undecided, not "no authentication check".
    root = write_project(
        tmp_path,
        {
            "app/models.py": MODELS,
            "app/middleware.py": MIDDLEWARE,
            "app/views.py": PLAIN_VIEW,
            "proj/urls.py": "from django.urls import path\nfrom app import views\n\n"
            'urlpatterns = [path("rules/", views.rules)]\n',
        },
        settings_extra='MIDDLEWARE = ["django.contrib.auth.middleware.AuthenticationMiddleware",'
        ' "app.middleware.LoginRequiredMiddleware"]\nLOGIN_EXEMPT_URLS = [r"^login/"]\n',
    )
    result = scan_project(root)
    [route] = [r for r in result.routes if r.pattern == "rules/"]
    assert [(p.authenticated, p.detail) for p in route.protections] == [
        (None, "app.middleware.LoginRequiredMiddleware (only for some paths)")
    ]
    assert not [f for f in result.findings if f.rule_id == "MG101" and f.route == "rules/"]


CHECKED_AFTER = """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from app.decorators import user_has_permission_or_403
from app.models import Credential

@login_required
def checked(request, pk):
    cred = get_object_or_404(Credential, pk=pk)
    user_has_permission_or_403(request.user, cred, "view")
    return HttpResponse(str(cred.pk))

@login_required
def unchecked(request, pk):
    cred = get_object_or_404(Credential, pk=pk)
    return HttpResponse(str(cred.pk))

@login_required
def parent_only(request, pk):
    cred = get_object_or_404(Credential, pk=pk)
    product = cred.product
    user_has_permission_or_403(request.user, product, "add_credential")
    return HttpResponse(str(cred.pk))
"""


def test_an_object_handed_to_a_refusing_permission_call_with_the_user_is_checked(
    tmp_path: Path,
) -> None:
    # DefectDojo's delete_issue: obj = get_object_or_404(...), then
    # user_has_permission_or_403(request.user, obj, Permissions.Note_Delete).
    root = write_project(
        tmp_path,
        {
            "app/models.py": MODELS,
            "app/decorators.py": DECORATORS,
            "app/views.py": CHECKED_AFTER,
            "proj/urls.py": "from django.urls import path\nfrom app import views\n\n"
            'urlpatterns = [path("a/<int:pk>/", views.checked), '
            'path("b/<int:pk>/", views.unchecked), path("c/<int:pk>/", views.parent_only)]\n',
        },
    )
    result = scan_project(root)
    # Asking about the credential's product is not asking about the credential (Wagtail's
    # copy view checked the source page's parent, CVE-2026-44200).
    found = sorted((f.route or "", f.severity) for f in result.findings if f.rule_id == "MG104")
    assert found == [("b/<int:pk>/", Severity.HIGH), ("c/<int:pk>/", Severity.HIGH)]
