"""mtlsguard's own two-factor gates count as authentication for the static scanner (MG101).

``login_and_certificate_required`` and ``LoginAndCertificateRequiredMixin`` refuse a request
without a verified certificate *and* a session login of the same user; the scanner flagged
views behind them as unauthenticated until it knew their names (the hardened example's
``/api/profile/``).
"""

from __future__ import annotations

from pathlib import Path

from tests.scan.projects import scan

VIEWS = """\
from django.http import JsonResponse
from django.views import View
from mtlsguard.django.decorators import login_and_certificate_required
from mtlsguard.django.mixins import LoginAndCertificateRequiredMixin


@login_and_certificate_required
def profile(request):
    return JsonResponse({"username": request.user.username})


class Transfers(LoginAndCertificateRequiredMixin, View):
    def get(self, request):
        return JsonResponse({"transfers": []})


def open_page(request):
    return JsonResponse({"hello": "world"})
"""

URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("profile/", views.profile),
    path("transfers/", views.Transfers.as_view()),
    path("open/", views.open_page),
]
"""


def test_two_factor_gates_are_authentication(tmp_path: Path) -> None:
    result = scan(tmp_path, {"app/views.py": VIEWS, "proj/urls.py": URLS})
    unauthenticated = {f.route for f in result.findings if f.rule_id == "MG101"}
    assert unauthenticated == {"open/"}
