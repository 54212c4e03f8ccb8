"""URLs of the test project: the same JSON view under API, browser and public prefixes."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import authenticate, login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from mtlsguard.django.decorators import certificate_required, login_and_certificate_required
from mtlsguard.django.mixins import CertificateRequiredMixin, LoginAndCertificateRequiredMixin


def whoami(request: HttpRequest) -> JsonResponse:
    user = request.user
    cert = request.client_cert
    error = request.client_cert_error
    return JsonResponse(
        {
            "user": user.get_username() if user.is_authenticated else None,
            "cert": cert.sha256 if cert is not None else None,
            "error": error.reason if error is not None else None,
            "session_user": request.session.get("_auth_user_id"),
        }
    )


@csrf_exempt
def password_login(request: HttpRequest) -> HttpResponse:
    user = authenticate(
        request, username=request.POST.get("username"), password=request.POST.get("password")
    )
    if user is None:
        return HttpResponse(status=401)
    login(request, user)
    return HttpResponse("ok")


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


async def aok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


class CertView(CertificateRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")


class MfaView(LoginAndCertificateRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")


class AsyncMfaView(LoginAndCertificateRequiredMixin, View):
    async def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")


urlpatterns = [
    path("api/cert", certificate_required(ok)),
    path("api/acert", certificate_required(aok)),
    path("api/mfa", login_and_certificate_required(ok)),
    path("api/amfa", login_and_certificate_required(aok)),
    path("app/cbv-cert", CertView.as_view()),
    path("app/cbv-mfa", MfaView.as_view()),
    path("app/cbv-amfa", AsyncMfaView.as_view()),
    path("api/whoami", whoami),
    path("app/whoami", whoami),
    path("public/whoami", whoami),
    path("public/login", password_login),
    path("admin/", admin.site.urls),
]
