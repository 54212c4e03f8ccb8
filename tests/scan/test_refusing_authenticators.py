"""DRF authentication classes that refuse a request without their credential (sets 6 and 9).

La Suite Docs' ``ServerToServerAuthentication`` raises ``AuthenticationFailed`` when the
``Authorization`` header is missing, and the action using it sets ``permission_classes=[]``:
anonymous callers get 401, so the view is authenticated. Grafana OnCall's token class does the
same after DRF's ``get_authorization_header()``. The twin returns ``None`` for a missing
header (DRF then goes on as anonymous) and stays open.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Finding, ScanResult
from tests.scan.projects import reported_open, scan

AUTH = """\
from django.conf import settings
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed


class ServerToServer(BaseAuthentication):
    def authenticate(self, request):
        header = request.headers.get("Authorization")
        if not header:
            raise AuthenticationFailed("Authorization header is missing.")
        if header.split(" ")[-1] not in settings.SERVER_TOKENS:
            raise AuthenticationFailed("Invalid token.")
        return None


class PluginToken(BaseAuthentication):
    def authenticate(self, request):
        token = get_authorization_header(request).decode()
        if not token:
            raise AuthenticationFailed("No token provided")
        return self.check(token)

    def check(self, token):
        raise AuthenticationFailed("Invalid token.")


class TokenMissing(Exception):
    # lite-api's PermissionDeniedError: any exception from authenticate() ends the request
    pass


class HeaderBase(BaseAuthentication):
    def header_data(self, request):
        if request.META.get("HTTP_EXPORTER_USER_TOKEN"):
            return request.META.get("HTTP_EXPORTER_USER_TOKEN"), request.META.get("HTTP_ORG")
        else:
            raise TokenMissing("You must supply the correct token in your headers")


class Exporter(HeaderBase):
    # lite-api's ExporterAuthentication: a helper called first thing raises on a missing token
    def authenticate(self, request):
        token, organisation = self.header_data(request)
        return token, organisation


class Gov(BaseAuthentication):
    # lite-api's GovAuthentication: if the header is there go on, else raise
    def authenticate(self, request):
        if request.META.get("HTTP_GOV_USER_TOKEN"):
            token = request.META.get("HTTP_GOV_USER_TOKEN")
        else:
            raise TokenMissing("You must supply the correct token in your headers")
        return token, None


class ReadsPass(HeaderBase):
    # reads go on as anonymous before the refusing helper runs
    def authenticate(self, request):
        if request.method == "GET":
            return None
        token, organisation = self.header_data(request)
        return token, organisation


class GuestDefault(BaseAuthentication):
    # the default makes the test always true: nobody is refused
    def authenticate(self, request):
        if request.META.get("HTTP_GOV_USER_TOKEN", "guest"):
            token = request.META.get("HTTP_GOV_USER_TOKEN")
        else:
            raise TokenMissing("never")
        return token, None


class AnyBrowser(BaseAuthentication):
    # every client sends a User-Agent: no credential is asked for
    def authenticate(self, request):
        if request.META.get("HTTP_USER_AGENT"):
            agent = request.META.get("HTTP_USER_AGENT")
        else:
            raise TokenMissing("no agent")
        return agent, None


class ExporterMaybe(HeaderBase):
    # the helper runs only when a token was sent: a caller with none goes on as anonymous
    def authenticate(self, request):
        if request.META.get("HTTP_X"):
            return self.header_data(request)
        return None


class Optional(BaseAuthentication):
    def authenticate(self, request):
        header = request.headers.get("X-Key")
        if not header:
            return None
        raise AuthenticationFailed("Invalid key.")
"""

VIEWS = """\
from rest_framework import viewsets
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from app.auth import (
    AnyBrowser,
    Exporter,
    ExporterMaybe,
    Gov,
    GuestDefault,
    Optional,
    PluginToken,
    ReadsPass,
    ServerToServer,
)
from app.models import Doc


class Docs(viewsets.ViewSet):
    @action(
        detail=False,
        methods=["post"],
        authentication_classes=[ServerToServer],
        permission_classes=[],
    )
    def create_for_owner(self, request):
        return Response({"n": Doc.objects.count()})


class Plugin(APIView):
    authentication_classes = [PluginToken]
    permission_classes = []

    def get(self, request):
        return Response({"n": list(Doc.objects.values("text"))})


class Layered(APIView):
    # healthsites: session and basic auth return None for an anonymous caller, the key class raises
    authentication_classes = [SessionAuthentication, BasicAuthentication, PluginToken]
    permission_classes = []

    def get(self, request):
        return Response({"n": list(Doc.objects.values("text"))})


class LayeredLoose(APIView):
    authentication_classes = [SessionAuthentication, Optional]
    permission_classes = []

    def get(self, request):
        return Response({"n": list(Doc.objects.values("text"))})


class ExporterView(APIView):
    authentication_classes = (Exporter,)

    def get(self, request):
        return Response({"n": list(Doc.objects.values("text"))})


class GovView(APIView):
    authentication_classes = (Gov,)

    def get(self, request):
        return Response({"n": list(Doc.objects.values("text"))})


class MaybeView(APIView):
    authentication_classes = (ExporterMaybe,)

    def get(self, request):
        return Response({"n": list(Doc.objects.values("text"))})


class ReadsPassView(APIView):
    authentication_classes = (ReadsPass,)

    def get(self, request):
        return Response({"n": list(Doc.objects.values("text"))})


class GuestView(APIView):
    authentication_classes = (GuestDefault,)

    def get(self, request):
        return Response({"n": list(Doc.objects.values("text"))})


class BrowserView(APIView):
    authentication_classes = (AnyBrowser,)

    def get(self, request):
        return Response({"n": list(Doc.objects.values("text"))})


class Loose(APIView):
    authentication_classes = [Optional]
    permission_classes = []

    def get(self, request):
        return Response({"n": list(Doc.objects.values("text"))})
"""

MODELS = """\
from django.conf import settings
from django.db import models


class Doc(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    text = models.TextField()
"""

URLS = """\
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from app import views

router = DefaultRouter()
router.register("docs", views.Docs, basename="doc")

urlpatterns = [
    path("api/", include(router.urls)),
    path("plugin/", views.Plugin.as_view()),
    path("loose/", views.Loose.as_view()),
    path("exporter/", views.ExporterView.as_view()),
    path("gov/", views.GovView.as_view()),
    path("maybe/", views.MaybeView.as_view()),
    path("reads-pass/", views.ReadsPassView.as_view()),
    path("guest/", views.GuestView.as_view()),
    path("browser/", views.BrowserView.as_view()),
    path("layered/", views.Layered.as_view()),
    path("layered-loose/", views.LayeredLoose.as_view()),
]
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root: Path = tmp_path_factory.mktemp("authenticators")
    files = {"app/auth.py": AUTH, "app/models.py": MODELS, "app/views.py": VIEWS}
    return scan(root, {**files, "proj/urls.py": URLS})


def _mg101(result: ScanResult, view: str) -> list[Finding]:
    name = f"app.views.{view}"
    return [f for f in result.findings if f.rule_id == "MG101" and f.view == name]


@pytest.mark.parametrize("view", ["Docs", "Plugin", "Layered", "ExporterView", "GovView"])
def test_authenticators_refusing_a_missing_credential_authenticate(
    result: ScanResult, view: str
) -> None:
    assert not _mg101(result, view)


@pytest.mark.parametrize(
    "view", ["Loose", "LayeredLoose", "MaybeView", "ReadsPassView", "GuestView", "BrowserView"]
)
def test_authenticator_returning_none_leaves_the_view_open(result: ScanResult, view: str) -> None:
    # reported open: high, or low only because the view just reads the docs (weak evidence)
    assert [reported_open(f) for f in _mg101(result, view)] == [True]
