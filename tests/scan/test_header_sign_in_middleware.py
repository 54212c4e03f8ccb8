"""A middleware that signs the caller in from a header an SSO proxy sets (Mozilla Experimenter).

Experimenter's ``OpenIDCAuthMiddleware`` answers 401 when the OpenIDC e-mail header nginx sets
is missing and otherwise makes ``request.user`` the user that header names. Its settings also
drop the CSRF middleware for CI runs only (``if CI: MIDDLEWARE.remove(CSRF_MIDDLEWARE)``). The
scan took that removal for a change it could not follow, forgot the whole ``MIDDLEWARE`` and
reported every route of the project as open to anonymous callers (97 findings, all false).

Now a removal of a known item keeps the rest of the list, and such a middleware is a login wall;
since anyone who reaches the app without the proxy can send the header and name the user they
like, MG301 reports the middleware (it never checks the peer). The twins: a removal of the
login middleware itself leaves no wall, a middleware that signs in only callers who send the
header is no wall, a bearer token looked up by its key is a wall but names nobody (no MG301),
and a client-certificate header stays what it was, a certificate gate (MG102): a certificate
is no application login.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult
from tests.scan.projects import OWNED_NOTE_MODELS, protections, scan

HOOKS = {
    "IdentityHeader": """
    def __call__(self, request):
        email = request.META.get(settings.OPENIDC_EMAIL_HEADER)
        if email is None:
            return HttpResponse("Please login using OpenID Connect", status=401)
        try:
            user = User.objects.get(username=email)
        except User.DoesNotExist:
            user = User.objects.create(username=email, email=email)
        request.user = user
        return self.get_response(request)
""",
    "BearerToken": """
    def __call__(self, request):
        token = request.headers.get("Authorization")
        if not token:
            return HttpResponse(status=401)
        request.user = Token.objects.get(key=token).user
        return self.get_response(request)
""",
    "CertificateHeader": """
    def __call__(self, request):
        dn = request.META.get("HTTP_X_SSL_CLIENT_S_DN")
        if not dn:
            return HttpResponse(status=403)
        request.user = User.objects.get(username=dn)
        return self.get_response(request)
""",
    # Red-team cases: a user id is an identity too; a swallowed lookup, a hand-on to the next
    # layer and a default that is never missing make no wall.
    "UserIdHeader": """
    def __call__(self, request):
        user_id = request.headers.get("X-User-Id")
        if not user_id:
            return HttpResponse(status=401)
        request.user = User.objects.get(pk=user_id)
        return self.get_response(request)
""",
    "SwallowedKey": """
    def __call__(self, request):
        key = request.headers.get("X-Api-Key")
        if not key:
            return HttpResponse(status=401)
        try:
            request.user = Token.objects.get(key=key).user
        except Token.DoesNotExist:
            pass
        return self.get_response(request)
""",
    "HandsOn": """
    def __call__(self, request):
        email = request.META.get(settings.OPENIDC_EMAIL_HEADER)
        if not email:
            return self.process(request)
        request.user = User.objects.get(email=email)
        return self.get_response(request)

    def process(self, request):
        return self.get_response(request)
""",
    "NeverMissing": """
    def __call__(self, request):
        email = request.META.get(settings.OPENIDC_EMAIL_HEADER, "")
        if email is None:
            return HttpResponse(status=401)
        request.user = User.objects.get(email=email)
        return self.get_response(request)
""",
    "OptionalHeader": """
    def __call__(self, request):
        email = request.META.get(settings.OPENIDC_EMAIL_HEADER)
        if email:
            request.user = User.objects.get(username=email)
        return self.get_response(request)
""",
}

VIEWS = """\
from django.http import HttpResponse

from app.models import Note


def notes(request):
    return HttpResponse(", ".join(n.text for n in Note.objects.all()))
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [path("notes/", views.notes)]
"""


def _scan(root: Path, hook: str, *, removed: str = "CSRF_MIDDLEWARE") -> ScanResult:
    middleware = (
        "from django.conf import settings\n"
        "from django.contrib.auth.models import User\n"
        "from django.http import HttpResponse\n\n"
        "from app.models import Token\n\n\n"
        "class ProxyAuthMiddleware:\n"
        "    def __init__(self, get_response):\n"
        "        self.get_response = get_response\n"
        f"{HOOKS[hook]}"
    )
    models = OWNED_NOTE_MODELS + (
        "\n\nclass Token(models.Model):\n"
        "    key = models.CharField(max_length=40)\n"
        "    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)\n"
    )
    settings = f"""
import os

CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"
PROXY_AUTH = "app.middleware.ProxyAuthMiddleware"
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    CSRF_MIDDLEWARE,
    PROXY_AUTH,
]
OPENIDC_EMAIL_HEADER = os.environ["OPENIDC_HEADER"]

if os.environ.get("CI_TEST_RUN"):
    MIDDLEWARE.remove({removed})
"""
    files = {
        "app/models.py": models,
        "app/views.py": VIEWS,
        "app/middleware.py": middleware,
        "proj/urls.py": URLS,
    }
    return scan(root, files, settings_extra=settings)


def test_an_identity_header_middleware_is_a_wall_that_mg301_reports(tmp_path: Path) -> None:
    result = _scan(tmp_path, "IdentityHeader")
    found = protections(result, "notes/")
    assert found
    assert all(p.authenticated is True for p in found.values()), found
    assert all("ProxyAuthMiddleware" in p.detail for p in found.values())
    assert not [f for f in result.findings if f.rule_id == "MG101" and f.view == "app.views.notes"]
    mg301 = [f for f in result.findings if f.rule_id == "MG301"]
    assert [f.view for f in mg301] == ["app.middleware.ProxyAuthMiddleware"]
    assert "settings.OPENIDC_EMAIL_HEADER" in mg301[0].evidence
    assert "signs the caller in" in mg301[0].evidence


def test_a_bearer_token_middleware_is_a_wall_that_names_nobody(tmp_path: Path) -> None:
    result = _scan(tmp_path, "BearerToken")
    found = protections(result, "notes/")
    assert found
    assert all(p.authenticated is True for p in found.values()), found
    assert "MG301" not in {f.rule_id for f in result.findings}


@pytest.mark.parametrize("hook", ["OptionalHeader", "SwallowedKey", "HandsOn", "NeverMissing"])
def test_a_hook_that_lets_callers_without_the_header_through_is_no_wall(
    tmp_path: Path, hook: str
) -> None:
    result = _scan(tmp_path, hook)
    assert all(p.authenticated is False for p in protections(result, "notes/").values())
    assert [f.rule_id for f in result.findings if f.view == "app.views.notes"] == ["MG101"]


def test_a_user_id_header_is_an_identity_mg301_reports(tmp_path: Path) -> None:
    result = _scan(tmp_path, "UserIdHeader")
    assert [f.view for f in result.findings if f.rule_id == "MG301"] == [
        "app.middleware.ProxyAuthMiddleware"
    ]


@pytest.mark.parametrize("hook", ["IdentityHeader", "BearerToken"])
def test_a_wall_removed_under_a_condition_no_longer_counts(tmp_path: Path, hook: str) -> None:
    result = _scan(tmp_path, hook, removed="PROXY_AUTH")
    assert all(p.authenticated is False for p in protections(result, "notes/").values())


def test_a_certificate_header_middleware_stays_a_certificate_gate(tmp_path: Path) -> None:
    result = _scan(tmp_path, "CertificateHeader")
    assert all(p.authenticated is False for p in protections(result, "notes/").values())
    rules = {f.rule_id for f in result.findings if f.view in ("app.views.notes", None)}
    assert "MG102" in {f.rule_id for f in result.findings}, rules
    assert "MG301" in {f.rule_id for f in result.findings}
