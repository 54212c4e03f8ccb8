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
from tests.scan.projects import protections, scan, weak_reason


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


def test_settings_of_a_test_project_under_tests_are_informational(tmp_path: Path) -> None:
    """django-SHOP's ``tests/testshop/settings.py``, imported as ``testshop.settings``."""
    root = tmp_path / "shop"
    files = {
        "lib/__init__.py": "",
        "tests/manage.py": (
            'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "testshop.settings")\n'
        ),
        "tests/testshop/__init__.py": "",
        "tests/testshop/settings.py": NO_VALIDATORS.format(package="testshop"),
        "tests/testshop/urls.py": "urlpatterns = []\n",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (found,) = _findings(scan_project(root), "MG201")
    assert found.severity is Severity.INFO
    assert "in a test package" in found.evidence


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


# --- MG101: a secret the caller must hold authenticates the request -------------------------

SECRET_MODELS = """\
import string

from django.conf import settings
from django.db import models
from django.utils.crypto import get_random_string


def generate_initialization_token():
    return get_random_string(length=16, allowed_chars=string.ascii_lowercase + string.digits)


class Device(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
    initialization_token = models.CharField(max_length=16, default=generate_initialization_token)
    pairing_token = models.CharField(max_length=16, blank=True)
    api_token = models.CharField(max_length=64, null=True)


class Image(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
"""

SECRET_VIEWS = """\
import hashlib
import hmac

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.crypto import constant_time_compare, get_random_string
from django.views import View
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from app.models import Device, Image


class InitializeView(APIView):
    authentication_classes = ()
    permission_classes = ()

    def post(self, request):
        serializer = InitializationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            device = Device.objects.get(
                initialization_token=serializer.validated_data.get("token")
            )
        except Device.DoesNotExist:
            raise ValidationError({"token": ["Unknown initialization token."]})
        device.api_token = get_random_string(64)
        device.save()
        return Response({"api_token": device.api_token})


class RenameView(APIView):
    permission_classes = ()

    def post(self, request):
        device = Device.objects.get(name=request.data["name"])
        device.name = request.data["new_name"]
        device.save()
        return Response({"name": device.name})


class PairView(APIView):
    permission_classes = ()

    def post(self, request):
        device = Device.objects.get(pairing_token=request.data["token"])
        return Response({"api_token": device.api_token})


class LenientInitializeView(APIView):
    permission_classes = ()

    def post(self, request):
        try:
            device = Device.objects.get(initialization_token=request.data["token"])
        except Device.DoesNotExist:
            device = Device.objects.first()
        return Response({"api_token": device.api_token})


def generate_signature(image_id, spec):
    message = f"{image_id}/{spec}/".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha1).hexdigest()


def verify_signature(signature, image_id, spec):
    return constant_time_compare(signature, generate_signature(image_id, spec))


def image_exists(image_id):
    return Image.objects.filter(pk=image_id).exists()


class ServeView(View):
    def get(self, request, signature, image_id, spec):
        if not verify_signature(signature, image_id, spec):
            raise PermissionDenied
        image = get_object_or_404(Image, id=image_id)
        return self.serve(image)

    def serve(self, image):
        return HttpResponse(str(image.pk))


class SendFileView(ServeView):
    def serve(self, image):
        return HttpResponse(str(image.pk), content_type="image/png")


class UncheckedServeView(View):
    def get(self, request, signature, image_id, spec):
        if not image_exists(image_id):
            raise PermissionDenied
        image = get_object_or_404(Image, id=image_id)
        return HttpResponse(str(image.pk))


def download(request, token):
    try:
        image_id = signing.loads(token, max_age=3600)
    except signing.BadSignature:
        raise Http404
    image = get_object_or_404(Image, id=image_id)
    return JsonResponse({"id": image.pk, "owner": image.owner_id})
"""

SECRET_URLS = """\
from django.urls import path, re_path
from app import views

urlpatterns = [
    path("device/initialize", views.InitializeView.as_view()),
    path("device/rename", views.RenameView.as_view()),
    path("device/pair", views.PairView.as_view()),
    path("device/lenient", views.LenientInitializeView.as_view()),
    re_path(r"^images/([^/]*)/(\\d*)/([^/]*)/$", views.ServeView.as_view()),
    re_path(r"^sendfile/([^/]*)/(\\d*)/([^/]*)/$", views.SendFileView.as_view()),
    re_path(r"^unchecked/([^/]*)/(\\d*)/([^/]*)/$", views.UncheckedServeView.as_view()),
    path("download/<str:token>/", views.download),
]
"""


def _secret_project(tmp_path: Path) -> ScanResult:
    files = {"app/models.py": SECRET_MODELS, "app/views.py": SECRET_VIEWS}
    return scan(tmp_path, {**files, "proj/urls.py": SECRET_URLS})


def test_lookup_by_a_random_token_from_the_request_authenticates(tmp_path: Path) -> None:
    result = _secret_project(tmp_path)
    initialize = protections(result, "device/initialize")["POST"]
    assert initialize.authenticated is True
    assert "Device.initialization_token (random default)" in initialize.detail
    assert _findings(result, "MG101", "app.views.InitializeView") == []
    # Not a secret (a name), a token field without a random default, or a miss that carries on.
    for view in ("RenameView", "PairView", "LenientInitializeView"):
        (found,) = _findings(result, "MG101", f"app.views.{view}")
        assert found.severity is Severity.HIGH, view


def test_signature_check_before_any_work_is_a_signed_url(tmp_path: Path) -> None:
    result = _secret_project(tmp_path)
    for pattern in (r"^images/([^/]*)/(\d*)/([^/]*)/$", r"^sendfile/([^/]*)/(\d*)/([^/]*)/$"):
        get = protections(result, pattern)["GET"]
        assert (get.authenticated, get.detail) == (
            True,
            "signature check verify_signature() in get()",
        )
    assert _findings(result, "MG101", "app.views.ServeView") == []
    assert _findings(result, "MG101", "app.views.SendFileView") == []  # inherited get()
    assert _findings(result, "MG101", "app.views.download") == []  # signing.loads + BadSignature
    (unchecked,) = _findings(result, "MG101", "app.views.UncheckedServeView")
    assert unchecked.severity is Severity.HIGH
    # The signed link names the image: fetching it by that id is no IDOR (MG104) either.
    for view in ("ServeView", "SendFileView", "download"):
        assert _findings(result, "MG104", f"app.views.{view}") == [], view


# --- MG101: AllowAny over a queryset computed per user is a deliberate public API ------------

PUBLIC_API_MODELS = """\
from django.conf import settings
from django.db import models


class Event(models.Model):
    organiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    is_public = models.BooleanField(default=False)
"""

PUBLIC_API_RULES = """\
from django.db.models import Q

from app.models import Event


def get_events_for_user(user):
    queryset = Event.objects.all()
    if user.is_anonymous:
        return queryset.filter(is_public=True)
    return queryset.filter(Q(is_public=True) | Q(organiser=user))
"""

PUBLIC_API_VIEWS = """\
from rest_framework import permissions, viewsets

from app.models import Event
from app.rules import get_events_for_user


class EventViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        return get_events_for_user(self.request.user).order_by("-pk")


class EventEditViewSet(viewsets.ModelViewSet):
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        return get_events_for_user(self.request.user)


class AllEventsViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.AllowAny]
    queryset = Event.objects.all()
"""

PUBLIC_API_URLS = """\
from rest_framework.routers import DefaultRouter
from app import views

router = DefaultRouter()
router.register("events", views.EventViewSet, basename="event")
router.register("edit-events", views.EventEditViewSet, basename="edit-event")
router.register("all-events", views.AllEventsViewSet, basename="all-event")
urlpatterns = router.urls
"""


def test_allow_any_over_a_user_aware_queryset_is_a_public_api(tmp_path: Path) -> None:
    files = {
        "app/models.py": PUBLIC_API_MODELS,
        "app/rules.py": PUBLIC_API_RULES,
        "app/views.py": PUBLIC_API_VIEWS,
        "proj/urls.py": PUBLIC_API_URLS,
    }
    result = scan(tmp_path, files)
    (events,) = _findings(result, "MG101", "app.views.EventViewSet")
    assert events.severity is Severity.INFO
    assert "its queryset is get_events_for_user(request.user)" in events.evidence
    # Writes open to anyone: still high.
    (edit,) = _findings(result, "MG101", "app.views.EventEditViewSet")
    assert edit.severity is Severity.HIGH
    # Every owned record to anyone: no public API, an open read of the organisers' events
    # (weak evidence: low with low confidence, saying why it would be high).
    (every,) = _findings(result, "MG101", "app.views.AllEventsViewSet")
    assert weak_reason(every) == (
        "it reads Event, whose records belong to a user or account (organiser)"
    )
    assert "get_events_for_user" not in every.evidence


# --- MG101: media served only under ``if settings.DEBUG`` -----------------------------------

MEDIA_URLS = """\
from django.conf import settings
from django.urls import path, re_path
from django.views.static import serve

urlpatterns = [
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
]

if settings.DEBUG:
    urlpatterns += [
        path("uploads/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
"""


def test_media_served_only_under_debug_is_low(tmp_path: Path) -> None:
    result = scan(tmp_path, {"proj/urls.py": MEDIA_URLS}, settings_extra='MEDIA_ROOT = "/m"\n')
    severities = {
        f.route: (f.severity, "only when settings.DEBUG is on" in f.evidence)
        for f in _findings(result, "MG101", "django.views.static.serve")
    }
    assert severities == {
        "^media/(?P<path>.*)$": (Severity.HIGH, False),
        "uploads/<path:path>": (Severity.LOW, True),
    }
