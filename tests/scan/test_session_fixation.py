"""MG204: a login by hand must rotate the session key; other session writes are not logins.

Reviewed real projects (``benchmarks/realworld/review.json``): an authentication backend's
``authenticate()`` that stores a second-factor flag (lookit, apilos), a replacement of
``django.contrib.auth.authenticate`` (jumpserver) and an HTTP Basic helper that sets only
``request.user`` (onadata) were reported; their login views call ``login()``, or there is no
session at all. A view storing the user in the session by hand (helios) stays reported.
"""

from __future__ import annotations

from pathlib import Path

from tests.scan.projects import scan

VIEWS = """\
import base64

from django.contrib.auth import authenticate, login
from django.contrib.auth.backends import ModelBackend
from django.http import HttpResponse
from django.shortcuts import redirect


class TwoFactorBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password)
        if user is not None and user.check_password(password):
            request.session["using_2fa"] = True
        return user


def basic_auth(request):
    name, _, secret = base64.b64decode(request.META["HTTP_AUTHORIZATION"][6:]).partition(b":")
    user = authenticate(request, username=name.decode(), password=secret.decode())
    if user is not None:
        request.user = user
    return user


def api(request):
    if basic_auth(request) is None:
        return HttpResponse(status=401)
    return HttpResponse("ok")


def session_login(request):
    user = authenticate(request, username=request.POST["u"], password=request.POST["p"])
    if user is not None:
        request.session["user_id"] = user.pk
        return redirect("/")
    return HttpResponse(status=401)


def login_alias(request):
    user = authenticate(request, username=request.POST["u"], password=request.POST["p"])
    if user is not None:
        session = request.session
        session["uid"] = user.pk
    return redirect("/")


def login_update(request):
    user = authenticate(request, username=request.POST["u"], password=request.POST["p"])
    if user is not None:
        request.session.update({"uid": user.pk})
    return redirect("/")


def login_default(request):
    user = authenticate(request, username=request.POST["u"], password=request.POST["p"])
    if user is not None:
        request.session.setdefault("uid", user.pk)
    return redirect("/")


class SignIn:
    def authenticate(self, request):
        user = authenticate(request, username=request.POST["u"], password=request.POST["p"])
        if user is not None:
            request.session["uid"] = user.pk
        return user

    def post(self, request):
        self.authenticate(request)
        return redirect("/")


def proper_login(request):
    user = authenticate(request, username=request.POST["u"], password=request.POST["p"])
    if user is not None:
        login(request, user)
        return redirect("/")
    return HttpResponse(status=401)
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("api/", views.api),
    path("login/", views.session_login),
    path("login2/", views.proper_login),
]
"""


def test_only_a_session_login_by_hand_is_reported(tmp_path: Path) -> None:
    result = scan(tmp_path, {"app/views.py": VIEWS, "proj/urls.py": URLS})
    reported = {f.view for f in result.findings if f.rule_id == "MG204"}
    # red team (round 18): an alias, update(), setdefault() and a view's own authenticate()
    # method are logins by hand too; a backend's authenticate() and Basic auth are not
    assert reported == {
        "app.views.session_login",
        "app.views.login_alias",
        "app.views.login_update",
        "app.views.login_default",
        "app.views.SignIn.authenticate",
    }
    for finding in (f for f in result.findings if f.rule_id == "MG204"):
        assert "writes request.session without cycle_key() or login()" in finding.evidence
