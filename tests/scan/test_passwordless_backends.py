"""Deployments where no authentication backend checks a password (getgov, tock, adjutant).

``AUTHENTICATION_BACKENDS`` naming only an OpenID Connect backend (a project subclass of
``ModelBackend`` whose ``authenticate(self, request, **kwargs)`` trusts the identity provider's
answer), a single-sign-on package's backend, or nothing at all: password validators (MG201)
have nothing to validate and a login view (MG106) nothing to guess. The twins keep their
findings: ``ModelBackend`` itself, a project backend taking a password, a subclass that calls
``super().authenticate()``, a package the scan does not know, and a conditional assignment.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Finding, Severity
from tests.scan.projects import scan

BACKENDS = """\
from django.contrib.auth.backends import ModelBackend


class OpenIdConnectBackend(ModelBackend):
    def authenticate(self, request, **kwargs):
        sub = kwargs.get("sub")
        if not sub:
            return None
        return self.user_for(sub)


class PasswordBackend:
    def authenticate(self, request, username=None, password=None):
        return None


class ActiveDirectoryBackend:
    def authenticate(self, request, username=None, **kwargs):
        secret = kwargs.get("password")
        return self.bind(username, secret)


class AuditedModelBackend(ModelBackend):
    def authenticate(self, request, **kwargs):
        print("login", kwargs.get("username"))
        return super().authenticate(request, **kwargs)
"""

URLS = """\
from django.contrib.auth.views import LoginView
from django.urls import path

urlpatterns = [path("login/", LoginView.as_view())]
"""

NO_VALIDATORS = "AUTH_PASSWORD_VALIDATORS = []\n"


def _findings(root: Path, backends: str) -> dict[str, Finding]:
    files = {"app/backends.py": BACKENDS, "proj/urls.py": URLS}
    result = scan(root, files, settings_extra=NO_VALIDATORS + backends)
    return {f.rule_id: f for f in result.findings if f.rule_id in ("MG106", "MG201")}


@pytest.mark.parametrize(
    "backends",
    [
        'AUTHENTICATION_BACKENDS = ["app.backends.OpenIdConnectBackend"]\n',
        'AUTHENTICATION_BACKENDS = ("mozilla_django_oidc.auth.OIDCAuthenticationBackend",)\n',
        "AUTHENTICATION_BACKENDS = []\n",
    ],
    ids=["project-oidc", "sso-package", "none"],
)
def test_no_password_backend_means_nothing_to_validate_or_guess(
    tmp_path: Path, backends: str
) -> None:
    found = _findings(tmp_path, backends)
    assert "MG106" not in found
    validators = found["MG201"]
    assert validators.severity is Severity.INFO
    assert "no backend in AUTHENTICATION_BACKENDS checks a password" in validators.evidence


@pytest.mark.parametrize(
    "backends",
    [
        "",  # Django's default: ModelBackend
        'AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]\n',
        'AUTHENTICATION_BACKENDS = ["app.backends.PasswordBackend"]\n',
        'AUTHENTICATION_BACKENDS = ["app.backends.AuditedModelBackend"]\n',
        # red-team: a directory backend reading the password from **kwargs
        'AUTHENTICATION_BACKENDS = ["app.backends.ActiveDirectoryBackend"]\n',
        'AUTHENTICATION_BACKENDS = ["django_auth_ldap.backend.LDAPBackend"]\n',
        # an SSO package's ModelBackend (Helsinki's helusers) still checks passwords
        'AUTHENTICATION_BACKENDS = ["helusers.tunnistamo_oidc.TunnistamoOIDCAuth", '
        '"helusers.auth.HelusersModelBackend"]\n',
        "import os\nif os.environ.get('SSO'):\n"
        '    AUTHENTICATION_BACKENDS = ["app.backends.OpenIdConnectBackend"]\n',
    ],
    ids=[
        "default",
        "model-backend",
        "password-param",
        "super-authenticate",
        "kwargs-password",
        "unknown",
        "sso-package-model-backend",
        "if",
    ],
)
def test_a_backend_that_may_check_a_password_keeps_the_findings(
    tmp_path: Path, backends: str
) -> None:
    found = _findings(tmp_path, backends)
    assert found["MG201"].severity is Severity.MEDIUM
    assert found["MG106"].severity is Severity.MEDIUM


MOBILE = """\
from django.contrib.auth.models import User
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


class MobileLoginView(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        user = User.objects.get(username=request.data["username"])
        if not user.check_password(request.data["password"]):
            return Response(status=401)
        return Response({"token": "..."})
"""


def test_a_view_checking_passwords_itself_keeps_both_findings(tmp_path: Path) -> None:
    """Red-team: single sign-on for staff, and a hand-written password login for the app."""
    urls = (
        "from django.urls import path\nfrom app.views import MobileLoginView\n"
        'urlpatterns = [path("api/mobile/login/", MobileLoginView.as_view())]\n'
    )
    settings = (
        NO_VALIDATORS
        + 'INSTALLED_APPS += ["rest_framework"]\n'
        + 'AUTHENTICATION_BACKENDS = ["mozilla_django_oidc.auth.OIDCAuthenticationBackend"]\n'
    )
    result = scan(tmp_path, {"app/views.py": MOBILE, "proj/urls.py": urls}, settings_extra=settings)
    found = {f.rule_id: f.severity for f in result.findings if f.rule_id in ("MG106", "MG201")}
    assert found == {"MG106": Severity.MEDIUM, "MG201": Severity.MEDIUM}
