"""Held-out precision (issue 12, patterns B, C, H, J): API keys, signed links, login limits.

Each protected shape (not reported) sits next to its unprotected twin (still reported at its
old severity):

- B: an API-key decorator that refuses unless ``X-Api-Key`` resolves to a record, a view
  prologue doing the same with a key from the URL or a header, and a view that only dispatches
  to decorated views; versus a decorator that looks the key up but never refuses, and an
  object lookup by id followed by a 404 (not a credential);
- C: ``TimestampSigner().unsign_object`` whose ``except BadSignature`` renders an error page,
  an unsign inside a project helper, a header compared with a ``settings`` secret, a
  ``make_token()`` digest compared with the URL token; versus the same views without the check;
- H: simplejwt's ``TokenObtainPairView`` under DRF ``DEFAULT_THROTTLE_CLASSES``, a CAS login
  view, a failed-attempt lockout in a class the view calls, ``authenticate(username, token)``
  answered by a token backend; versus a plain password login;
- J: a header middleware that logs out when the header is gone (MG302), ``login()`` in a
  called helper (MG204), ``.exists()`` on an unscoped filter (MG104).
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Finding, ScanResult, Severity
from tests.scan.projects import protections, scan


def _findings(result: ScanResult, rule_id: str, view: str | None = None) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == rule_id and (view is None or f.view == view)]


MODELS = """\
from django.db import models


class ProjectManager(models.Manager):
    def for_api_key(self, api_key):
        return self.filter(api_key=api_key).first()


class Project(models.Model):
    api_key = models.CharField(max_length=128)
    owner = models.ForeignKey("auth.User", models.CASCADE)
    objects = ProjectManager()


class Check(models.Model):
    project = models.ForeignKey(Project, models.CASCADE)
    code = models.UUIDField()

    def make_token(self):
        return "digest"
"""

DECORATORS = """\
from functools import wraps

from django.http import JsonResponse

from app.models import Project


def authorize(f):
    @wraps(f)
    def wrapper(request, *args, **kwds):
        if "X-Api-Key" in request.headers:
            api_key = request.headers["X-Api-Key"]
        else:
            api_key = ""
        project = Project.objects.for_api_key(api_key)
        if project is None:
            return JsonResponse({"error": "wrong api key"}, status=401)
        request.project = project
        return f(request, *args, **kwds)

    return wrapper


def lenient(f):
    @wraps(f)
    def wrapper(request, *args, **kwds):
        api_key = request.headers.get("X-Api-Key", "")
        request.project = Project.objects.for_api_key(api_key)
        return f(request, *args, **kwds)

    return wrapper
"""

API_VIEWS = """\
from django.conf import settings
from django.core.signing import BadSignature, TimestampSigner
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, render

from app.decorators import authorize, lenient
from app.models import Check, Project
from app.signing import unsign_bounce_id


@authorize
def create_check(request):
    Check.objects.create(project=request.project)
    return JsonResponse({}, status=201)


@authorize
def get_checks(request):
    return JsonResponse({"n": Check.objects.filter(project=request.project).count()})


def checks(request):
    if request.method == "POST":
        return create_check(request)
    return get_checks(request)


def get_open(request):
    return JsonResponse({"n": Check.objects.count()})


def checks_open(request):
    if request.method == "POST":
        return create_check(request)
    return get_open(request)


@lenient
def channels_lenient(request):
    return JsonResponse({"n": Check.objects.filter(project=request.project).count()})


def metrics(request, code, key=None):
    if key is None:
        key = request.headers.get("Authorization", "").removeprefix("Bearer ")
    project = Project.objects.for_api_key(key)
    if project is None:
        return HttpResponseForbidden()
    return JsonResponse({"n": Check.objects.filter(project=project).count()})


def by_id(request):
    check = Check.objects.filter(pk=request.GET["id"]).first()
    if check is None:
        return HttpResponse(status=404)
    check.delete()
    return HttpResponse("deleted")


def change_email_verify(request, signed_payload):
    try:
        payload = TimestampSigner().unsign_object(signed_payload, max_age=900)
    except BadSignature:
        return render(request, "bad_link.html")
    return JsonResponse(payload)


def change_email_unsigned(request, payload):
    Check.objects.filter(code=payload).delete()
    return JsonResponse({"u": payload})


def bounces(request):
    try:
        unsigned = unsign_bounce_id(request.GET["to"], max_age=3600)
    except BadSignature:
        return HttpResponse("OK (bad signature)")
    return HttpResponse(f"OK {unsigned}")


def server_metrics(request):
    key = request.headers.get("X-Metrics-Key")
    if key != settings.METRICS_KEY:
        return HttpResponseForbidden()
    return JsonResponse({"checks": Check.objects.count()})


def server_metrics_open(request):
    return JsonResponse({"checks": Check.objects.count()})


def verify(request, code, token):
    check = get_object_or_404(Check, code=code)
    if check.make_token() == token:
        check.delete()
        return render(request, "ok.html")
    return render(request, "bad_link.html")


def verify_without_token(request, code, token):
    check = get_object_or_404(Check, code=code)
    check.delete()
    return render(request, "ok.html")
"""

SIGNING = """\
from django.core.signing import TimestampSigner


def unsign_bounce_id(s, max_age):
    return TimestampSigner(sep=".").unsign(s, max_age=max_age)
"""

API_URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("checks/", views.checks),
    path("checks-open/", views.checks_open),
    path("channels-lenient/", views.channels_lenient),
    path("metrics/<uuid:code>/<slug:key>", views.metrics),
    path("by-id/", views.by_id),
    path("change-email/<str:signed_payload>/", views.change_email_verify),
    path("change-email-unsigned/<str:payload>/", views.change_email_unsigned),
    path("bounces/", views.bounces),
    path("server-metrics/", views.server_metrics),
    path("server-metrics-open/", views.server_metrics_open),
    path("verify/<uuid:code>/<slug:token>/", views.verify),
    path("verify-open/<uuid:code>/<slug:token>/", views.verify_without_token),
]
"""


def _api(tmp_path: Path) -> ScanResult:
    files = {
        "app/models.py": MODELS,
        "app/decorators.py": DECORATORS,
        "app/views.py": API_VIEWS,
        "app/signing.py": SIGNING,
        "proj/urls.py": API_URLS,
    }
    return scan(tmp_path, files, settings_extra='METRICS_KEY = "x"\n')


def _authenticated(result: ScanResult, pattern: str) -> bool | None:
    return protections(result, pattern)["*"].authenticated


def test_api_key_decorator_and_dispatching_view_authenticate(tmp_path: Path) -> None:
    result = _api(tmp_path)
    assert _authenticated(result, "checks/") is True
    assert "create_check()" in protections(result, "checks/")["*"].detail
    assert _findings(result, "MG101", "app.views.checks") == []
    assert _authenticated(result, "metrics/<uuid:code>/<slug:key>") is True
    # One dispatch target without a check: the dispatching view is open.
    assert _authenticated(result, "checks-open/") is False
    # The key is looked up but a missing one is not refused.
    assert _authenticated(result, "channels-lenient/") is False
    # An object fetched by id, then a 404, is no credential.
    (by_id,) = _findings(result, "MG101", "app.views.by_id")
    assert by_id.severity is Severity.HIGH


def test_signed_links_and_settings_secrets_authenticate(tmp_path: Path) -> None:
    result = _api(tmp_path)
    for pattern in (
        "change-email/<str:signed_payload>/",
        "bounces/",
        "server-metrics/",
        "verify/<uuid:code>/<slug:token>/",
    ):
        assert _authenticated(result, pattern) is True, pattern
    for view in ("change_email_unsigned", "verify_without_token"):
        (finding,) = _findings(result, "MG101", f"app.views.{view}")
        assert finding.severity is Severity.HIGH
    # Counts of every project's checks: reported, low (a tenant's records, only read).
    (finding,) = _findings(result, "MG101", "app.views.server_metrics_open")
    assert finding.severity is Severity.LOW
    assert "belongs to a tenant" in finding.evidence


# --- MG106 ---------------------------------------------------------------------------------

LOGIN_VIEWS = """\
from django.contrib.auth import authenticate, login
from django.http import HttpResponse

from app.models import Account


class Auth:
    def __init__(self, request):
        self.request = request

    def authenticate(self):
        account = Account.objects.get(username=self.request.POST["username"])
        if account.failed_login_count >= 5:
            return None
        return authenticate(
            self.request,
            username=self.request.POST["username"],
            password=self.request.POST["password"],
        )


def locked_login(request):
    user = Auth(request).authenticate()
    if user is None:
        return HttpResponse(status=401)
    login(request, user)
    return HttpResponse("ok")


def password_login(request):
    user = authenticate(
        request, username=request.POST["username"], password=request.POST["password"]
    )
    if user is None:
        return HttpResponse(status=401)
    login(request, user)
    return HttpResponse("ok")


def check_token(request, username, token):
    user = authenticate(username=username, token=token)
    if user is None:
        return HttpResponse(status=401)
    login(request, user)
    return HttpResponse("ok")
"""

LOGIN_MODELS = """\
from django.db import models


class Account(models.Model):
    username = models.CharField(max_length=100)
    failed_login_count = models.IntegerField(default=0)
"""

BACKENDS = """\
class ProfileBackend:
    def authenticate(self, request, username=None, token=None):
        return None


class EmailBackend:
    def authenticate(self, request, username=None, password=None):
        return None
"""

LOGIN_URLS = """\
from django.urls import path
from django_cas_ng.views import LoginView as CasLoginView
from rest_framework_simplejwt.views import TokenObtainPairView

from app import views

urlpatterns = [
    path("token/", TokenObtainPairView.as_view()),
    path("cas/login/", CasLoginView.as_view()),
    path("locked/", views.locked_login),
    path("login/", views.password_login),
    path("check-token/<str:username>/<str:token>/", views.check_token),
]
"""

BACKEND_SETTINGS = """\
AUTHENTICATION_BACKENDS = ["app.backends.EmailBackend", "app.backends.ProfileBackend"]
"""

THROTTLE_SETTINGS = """\
REST_FRAMEWORK = {
    "DEFAULT_THROTTLE_CLASSES": ("rest_framework.throttling.AnonRateThrottle",),
    "DEFAULT_THROTTLE_RATES": {"anon": "120/min"},
}
"""


def _mg106(tmp_path: Path, settings_extra: str) -> set[str]:
    files = {
        "app/models.py": LOGIN_MODELS,
        "app/views.py": LOGIN_VIEWS,
        "app/backends.py": BACKENDS,
        "proj/urls.py": LOGIN_URLS,
    }
    result = scan(tmp_path, files, settings_extra=settings_extra)
    return {f.route or "" for f in _findings(result, "MG106")}


def test_login_limits_and_logins_without_a_password(tmp_path: Path) -> None:
    routes = _mg106(tmp_path / "throttled", BACKEND_SETTINGS + THROTTLE_SETTINGS)
    assert routes == {"login/"}
    # Without DRF's default throttle, simplejwt's view is reported; so is a token login whose
    # keywords a password backend could take (no backend configured: Django's ModelBackend).
    assert _mg106(tmp_path / "plain", "") == {
        "login/",
        "token/",
        "check-token/<str:username>/<str:token>/",
    }


# --- J: MG302, MG204, MG104 -----------------------------------------------------------------

MIDDLEWARE = """\
from django.contrib import auth


class HeaderLoginMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        email = request.META.get("HTTP_X_EMAIL")
        if not email:
            if request.user.is_authenticated:
                auth.logout(request)
            return self.get_response(request)
        if request.user.is_authenticated and request.user.email == email:
            return self.get_response(request)
        user = auth.authenticate(request, remote_user_email=email)
        if user:
            auth.login(request, user)
        return self.get_response(request)


class StickyLoginMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        email = request.META.get("HTTP_X_EMAIL")
        if email:
            user = auth.authenticate(request, remote_user_email=email)
            if user:
                auth.login(request, user)
        return self.get_response(request)
"""

SESSION_VIEWS = """\
from django.contrib.auth import authenticate, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.shortcuts import redirect


def _finish(request, user):
    login(request, user)
    return redirect("/")


def email_change(request, username, new_email):
    user = authenticate(request, username=username, password=request.POST["password"])
    if user is None:
        request.session["bad_link"] = True
        return redirect("/login/")
    if User.objects.filter(email=new_email).exists():
        return HttpResponse(status=409)
    return _finish(request, user)


def manual_login(request):
    user = authenticate(request, username=request.POST["u"], password=request.POST["p"])
    if user is None:
        return HttpResponse(status=401)
    request.session["user_id"] = user.pk
    return redirect("/")


@login_required
def take_email(request, new_email):
    user = User.objects.filter(email=new_email).first()
    user.email = ""
    user.save()
    return HttpResponse("ok")
"""

SESSION_URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("email/<str:username>/<str:new_email>/", views.email_change),
    path("manual/", views.manual_login),
    path("take/<str:new_email>/", views.take_email),
]
"""


def test_logout_without_header_helper_login_and_existence_tests(tmp_path: Path) -> None:
    files = {
        "app/middleware.py": MIDDLEWARE,
        "app/views.py": SESSION_VIEWS,
        "proj/urls.py": SESSION_URLS,
    }
    extra = (
        'MIDDLEWARE = ["django.contrib.auth.middleware.AuthenticationMiddleware",'
        ' "app.middleware.HeaderLoginMiddleware", "app.middleware.StickyLoginMiddleware"]\n'
        "RATELIMIT_ENABLE = True\n"
    )
    result = scan(tmp_path, files, settings_extra=extra)
    assert [f.view for f in _findings(result, "MG302")] == ["app.middleware.StickyLoginMiddleware"]
    assert [f.view for f in _findings(result, "MG204")] == ["app.views.manual_login"]
    assert _findings(result, "MG104", "app.views.email_change") == []
    (taken,) = _findings(result, "MG104", "app.views.take_email")
    assert taken.severity is Severity.MEDIUM


# --- C: a lookup through a relation to a random token field ---------------------------------

PING_MODELS = """\
from secrets import token_urlsafe

from django.db import models


class Project(models.Model):
    name = models.CharField(max_length=100)
    ping_key = models.CharField(max_length=128, null=True, unique=True)
    owner = models.ForeignKey("auth.User", models.CASCADE)

    def set_ping_key(self):
        self.ping_key = token_urlsafe(16).lower()
        self.save()


class Check(models.Model):
    project = models.ForeignKey(Project, models.CASCADE)
    slug = models.CharField(max_length=100)
"""

PING_VIEWS = """\
from django.http import HttpResponse, HttpResponseNotFound

from app.models import Check, Project


def ping_by_slug(request, ping_key, slug):
    try:
        check = Check.objects.get(slug=slug, project__ping_key=ping_key)
    except Check.DoesNotExist:
        if request.GET.get("create") != "1":
            return HttpResponseNotFound("not found")
        try:
            project = Project.objects.get(ping_key=ping_key)
        except Project.DoesNotExist:
            return HttpResponseNotFound("not found")
        check = Check(project=project, slug=slug)
        check.save()
    except Check.MultipleObjectsReturned:
        return HttpResponse("ambiguous slug", status=409)
    check.delete()
    return HttpResponse("OK")


def ping_by_name(request, name, slug):
    try:
        check = Check.objects.get(slug=slug, project__name=name)
    except Check.DoesNotExist:
        return HttpResponseNotFound("not found")
    check.delete()
    return HttpResponse("OK")
"""

PING_URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("ping/<slug:ping_key>/<slug:slug>", views.ping_by_slug),
    path("by-name/<slug:name>/<slug:slug>", views.ping_by_name),
]
"""


def test_lookup_through_a_relation_to_a_random_token(tmp_path: Path) -> None:
    files = {"app/models.py": PING_MODELS, "app/views.py": PING_VIEWS, "proj/urls.py": PING_URLS}
    result = scan(tmp_path, files)
    protection = protections(result, "ping/<slug:ping_key>/<slug:slug>")["*"]
    assert protection.authenticated is True
    assert "project__ping_key" in protection.detail
    assert [f.rule_id for f in result.findings if f.view == "app.views.ping_by_slug"] == []
    (by_name,) = _findings(result, "MG101", "app.views.ping_by_name")
    assert by_name.severity is Severity.HIGH
