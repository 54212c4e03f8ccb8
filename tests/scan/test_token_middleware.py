"""A middleware that refuses only bad credentials is no login wall (Tecken).

Mozilla Tecken's ``APITokenAuthenticationMiddleware`` reads ``request.headers.get("Auth-Token")``
and, only ``if key:``, calls ``self.authenticate(request, key)``, which raises
``PermissionDenied`` for an unknown, expired or inactive token. A caller that sends no header is
never refused, so every route behind it stays open to anonymous callers. The scanner took the
refusal in ``authenticate()`` for a login wall and could not report a single route of the project.

The twins are walls: a hook that refuses a caller without the header (``else: return 401``, or
``if not key: return 401`` first), and one that calls the refusing method for every request.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult
from tests.scan.projects import protections, reported_open, scan

_AUTHENTICATE = """
    def authenticate(self, request, key):
        try:
            token = Token.objects.select_related("user").get(key=key)
        except Token.DoesNotExist as exc:
            raise PermissionDenied("API Token not matched") from exc
        user = token.user
        if not user.is_active:
            raise PermissionDenied("API Token's user no longer active")
        request.user = user
"""

MIDDLEWARES = {
    # Tecken's shape: only a caller who sends a token is checked.
    "OptionalToken": """
    def __call__(self, request):
        key = request.headers.get("Auth-Token")
        if key:
            try:
                self.authenticate(request, key)
            except PermissionDenied:
                raise
        return self.get_response(request)
""",
    "OptionalTokenInline": """
    def __call__(self, request):
        if request.headers.get("Auth-Token"):
            self.authenticate(request, request.headers["Auth-Token"])
        return self.get_response(request)
""",
    # Walls: no header, no entry; or every request authenticated.
    "RequiredTokenElse": """
    def __call__(self, request):
        key = request.headers.get("Auth-Token")
        if key:
            self.authenticate(request, key)
        else:
            return HttpResponse(status=401)
        return self.get_response(request)
""",
    "RequiredTokenFirst": """
    def __call__(self, request):
        key = request.headers.get("Auth-Token")
        if not key:
            return HttpResponse(status=401)
        self.authenticate(request, key)
        return self.get_response(request)
""",
    "EveryRequest": """
    def __call__(self, request):
        self.authenticate(request, request.headers.get("Auth-Token", ""))
        return self.get_response(request)
""",
}

MODELS = """\
from django.conf import settings
from django.db import models


class Token(models.Model):
    key = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


class Symbol(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=64)
"""

VIEWS = """\
from django.http import HttpResponse

from app.models import Symbol


def symbols(request):
    return HttpResponse(", ".join(s.name for s in Symbol.objects.all()))
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [path("symbols/", views.symbols)]
"""


def _scan(root: Path, middleware: str) -> ScanResult:
    source = (
        "from django.core.exceptions import PermissionDenied\n"
        "from django.http import HttpResponse\n\n"
        "from app.models import Token\n\n\n"
        f"class {middleware}:\n"
        "    def __init__(self, get_response):\n"
        "        self.get_response = get_response\n"
        f"{MIDDLEWARES[middleware]}{_AUTHENTICATE}"
    )
    files = {
        "app/models.py": MODELS,
        "app/views.py": VIEWS,
        "app/middleware.py": source,
        "proj/urls.py": URLS,
    }
    settings = (
        "\nMIDDLEWARE = [\n"
        '    "django.contrib.sessions.middleware.SessionMiddleware",\n'
        '    "django.contrib.auth.middleware.AuthenticationMiddleware",\n'
        f'    "app.middleware.{middleware}",\n'
        "]\n"
    )
    return scan(root, files, settings_extra=settings)


@pytest.mark.parametrize("middleware", ["OptionalToken", "OptionalTokenInline"])
def test_a_middleware_checking_only_sent_tokens_leaves_routes_open(
    tmp_path: Path, middleware: str
) -> None:
    result = _scan(tmp_path, middleware)
    assert all(p.authenticated is False for p in protections(result, "symbols/").values())
    found = [f for f in result.findings if f.rule_id == "MG101" and f.view == "app.views.symbols"]
    # reported open: high, or low only because it just reads the symbols (weak evidence)
    assert [reported_open(f) for f in found] == [True], found


@pytest.mark.parametrize("middleware", ["RequiredTokenElse", "RequiredTokenFirst", "EveryRequest"])
def test_a_middleware_refusing_callers_without_a_token_is_a_wall(
    tmp_path: Path, middleware: str
) -> None:
    result = _scan(tmp_path, middleware)
    found = protections(result, "symbols/")
    assert found
    assert all(p.authenticated is True for p in found.values()), found
    assert all(p.decided_by == "middleware" for p in found.values())
