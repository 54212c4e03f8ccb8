"""Secret-gated and deliberately public endpoints of real projects (issue 12 precision).

Each test pins the vulnerable shape (still reported at its severity) next to the safe one a
large project uses (not reported, or informational with the reason):

- a one-time token looked up from the request body (pretix's device initialization) and an
  HMAC-signed URL (Wagtail's image ``ServeView``) authenticate the request;
- ``permission_classes = api_settings.DEFAULT_PERMISSION_CLASSES`` is the project's default;
- ``AllowAny`` over a queryset that a user-aware function computes from ``request.user`` is a
  deliberate public API (pretalx's events), while ``AllowAny`` over ``Model.objects.all()`` of
  an owned model is not;
- a local function named ``authenticate`` that looks up an API token checks no password
  (Weblate's git export);
- a reusable app's own test settings are not a deployment's (Wagtail's ``wagtail.test``);
- ``django.views.static.serve`` of the media root only under ``if settings.DEBUG`` and a
  version page are not high-severity findings.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Finding, ScanResult, Severity
from mtlsguard.scan.engine import scan_project
from tests.scan.projects import protections, scan


def _findings(result: ScanResult, rule_id: str, view: str | None = None) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == rule_id and (view is None or f.view == view)]


# --- MG106: a call named ``authenticate`` is a password check only if it is one -------------

GIT_VIEWS = """\
from base64 import b64decode

from django.contrib.auth.models import User
from django.http import HttpResponse

from app import basic


def authenticate(request, auth):
    method, data = auth.split(None, 1)
    username, code = b64decode(data).decode().split(":", 1)
    try:
        user = User.objects.get(username=username, auth_token__key=code)
    except User.DoesNotExist:
        return False
    request.user = user
    return True


def git_export(request, path):
    if not authenticate(request, request.META.get("HTTP_AUTHORIZATION", "")):
        return HttpResponse(status=401)
    return HttpResponse("pack")


def git_export_password(request, path):
    if not basic.authenticate(request, request.META.get("HTTP_AUTHORIZATION", "")):
        return HttpResponse(status=401)
    return HttpResponse("pack")
"""

BASIC_AUTH = """\
from base64 import b64decode

from django.contrib import auth


def authenticate(request, header):
    username, password = b64decode(header).decode().split(":", 1)
    return auth.authenticate(request, username=username, password=password) is not None
"""

GIT_URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("git/<path:path>", views.git_export),
    path("git-basic/<path:path>", views.git_export_password),
]
"""


def test_local_authenticate_looking_up_a_token_is_no_password_check(tmp_path: Path) -> None:
    result = scan(
        tmp_path, {"app/views.py": GIT_VIEWS, "app/basic.py": BASIC_AUTH, "proj/urls.py": GIT_URLS}
    )
    assert _findings(result, "MG106", "app.views.git_export") == []
    # A project authenticate() that calls Django's with a password is one.
    assert len(_findings(result, "MG106", "app.views.git_export_password")) == 1


# --- MG201: a reusable app's test settings are not a deployment's ---------------------------

NO_VALIDATORS = """\
SECRET_KEY = "test"
INSTALLED_APPS = ["django.contrib.auth", "lib"]
ROOT_URLCONF = "{package}.urls"
"""


def _settings_only(root: Path, package: str) -> ScanResult:
    manage = f'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "{package}.settings")\n'
    files = {
        "manage.py": manage,
        "lib/__init__.py": "",
        f"{package.replace('.', '/')}/__init__.py": "",
        f"{package.replace('.', '/')}/settings.py": NO_VALIDATORS.format(package=package),
        f"{package.replace('.', '/')}/urls.py": "urlpatterns = []\n",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return scan_project(root)


def test_password_validators_of_a_test_package_are_informational(tmp_path: Path) -> None:
    (library,) = _findings(_settings_only(tmp_path / "library", "lib.tests"), "MG201")
    assert library.severity is Severity.INFO
    assert "lib.tests.settings is in a test package" in library.evidence
    (site,) = _findings(_settings_only(tmp_path / "site", "mysite"), "MG201")
    assert site.severity is Severity.MEDIUM
    assert "test package" not in site.evidence


# --- MG101: a version page is public by design ----------------------------------------------

VERSION_VIEWS = """\
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from app.models import Document


def version_page(request):
    result = {"release": "1.2.3", "commit": "abc123"}
    if request.user.is_superuser:
        result["settings"] = {"DEBUG": str(settings.DEBUG)}
    return JsonResponse(result)


def document_version(request, pk):
    document = get_object_or_404(Document, pk=pk)
    return JsonResponse({"version": document.version})
"""

VERSION_MODELS = """\
from django.conf import settings
from django.db import models


class Document(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    version = models.IntegerField(default=1)
"""

VERSION_URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("api/version/", views.version_page, name="api-version"),
    path("documents/<int:pk>/version/", views.document_version),
]
"""


def test_version_page_is_informational_a_users_record_is_not(tmp_path: Path) -> None:
    files = {"app/views.py": VERSION_VIEWS, "app/models.py": VERSION_MODELS}
    result = scan(tmp_path, {**files, "proj/urls.py": VERSION_URLS})
    (version,) = _findings(result, "MG101", "app.views.version_page")
    assert version.severity is Severity.INFO
    assert "version or build information page" in version.evidence
    (document,) = _findings(result, "MG101", "app.views.document_version")
    assert document.severity is Severity.HIGH


# --- MG101: api_settings.DEFAULT_PERMISSION_CLASSES is the project's REST_FRAMEWORK default --

TOKEN_VIEWS = """\
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework_simplejwt.views import TokenViewBase

from app.models import Ticket


class TokenRotateView(TokenViewBase):
    permission_classes = api_settings.DEFAULT_PERMISSION_CLASSES

    def post(self, request):
        tickets = Ticket.objects.filter(owner=request.user)
        return Response({"count": tickets.count(), "user": request.user.pk})


class TokenBlacklistView(TokenViewBase):
    def post(self, request):
        return Response(status=204)
"""

TOKEN_MODELS = """\
from django.conf import settings
from django.db import models


class Ticket(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
"""

TOKEN_URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("api/token/rotate/", views.TokenRotateView.as_view()),
    path("api/token/blacklist/", views.TokenBlacklistView.as_view()),
]
"""

REST_FRAMEWORK_AUTHENTICATED = """
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
"""


def test_api_settings_default_permission_classes_resolve_to_rest_framework(
    tmp_path: Path,
) -> None:
    files = {"app/views.py": TOKEN_VIEWS, "app/models.py": TOKEN_MODELS, "proj/urls.py": TOKEN_URLS}
    guarded = scan(tmp_path / "guarded", files, settings_extra=REST_FRAMEWORK_AUTHENTICATED)
    rotate = protections(guarded, "api/token/rotate/")["POST"]
    assert rotate.authenticated is True
    assert "api_settings, REST_FRAMEWORK DEFAULT_PERMISSION_CLASSES" in rotate.detail
    assert _findings(guarded, "MG101", "app.views.TokenRotateView") == []
    # simplejwt's own views set permission_classes = (): still open, whatever the default.
    assert protections(guarded, "api/token/blacklist/")["POST"].authenticated is False
    # Without a REST_FRAMEWORK default, DRF's implicit AllowAny is what the view gets.
    (open_rotate,) = _findings(scan(tmp_path / "open", files), "MG101", "app.views.TokenRotateView")
    assert open_rotate.severity is Severity.HIGH
