"""django-allauth's login limits failed attempts itself (MG106; OpenCVE, Open Humans, MediaCMS).

allauth's ``LoginView`` runs the account adapter's rate limit (``ACCOUNT_RATE_LIMITS``,
``"login_failed"`` by default since 0.54; ``ACCOUNT_LOGIN_ATTEMPTS_LIMIT = 5`` before): a
project's subclass of it is throttled unless the settings switch the limit off. The twins do
(``ACCOUNT_RATE_LIMITS = False``, ``{"login_failed": None}``, ``ACCOUNT_LOGIN_ATTEMPTS_LIMIT =
None``, ``ACCOUNT_LOGIN_ATTEMPTS_TIMEOUT = 0``, a value decided at run time), subclasses that
call Django's ``authenticate()`` themselves (in ``post()`` or their ``form_class``) skip the
adapter, and Django's own ``LoginView`` next to them is not limited by allauth: all reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scan.projects import scan

FILES = {
    "app/views.py": """\
from allauth.account.views import LoginView
from django.contrib.auth import authenticate, login
from django.shortcuts import redirect

from app.forms import EmailLoginForm


class MemberLoginView(LoginView):
    template_name = "login.html"


class PostLoginView(LoginView):
    def post(self, request, *args, **kwargs):
        user = authenticate(
            request, username=request.POST["login"], password=request.POST["password"]
        )
        if user is not None:
            login(request, user)
        return redirect("/")


class FormLoginView(LoginView):
    form_class = EmailLoginForm
""",
    "app/forms.py": """\
from django import forms
from django.contrib.auth import authenticate


class EmailLoginForm(forms.Form):
    login = forms.CharField()
    password = forms.CharField()

    def clean(self):
        self.user = authenticate(username=self.data["login"], password=self.data["password"])
        return self.cleaned_data
""",
    "proj/urls.py": """\
from django.contrib.auth import views as auth_views
from django.urls import path

from app.views import FormLoginView, MemberLoginView, PostLoginView

urlpatterns = [
    path("account/login/", MemberLoginView.as_view()),
    path("post-login/", PostLoginView.as_view()),
    path("form-login/", FormLoginView.as_view()),
    path("admin-login/", auth_views.LoginView.as_view()),
]
""",
}


def _mg106_routes(tmp_path: Path, settings_extra: str) -> set[str]:
    result = scan(tmp_path, FILES, settings_extra=settings_extra)
    return {f.route or "" for f in result.findings if f.rule_id == "MG106"}


ALWAYS = {"admin-login/", "post-login/", "form-login/"}
"""Django's own LoginView, and allauth subclasses that call authenticate() themselves."""


def test_allauth_login_is_limited_by_default(tmp_path: Path) -> None:
    assert _mg106_routes(tmp_path, "") == ALWAYS


@pytest.mark.parametrize(
    "settings_extra",
    [
        "ACCOUNT_RATE_LIMITS = False\n",
        'ACCOUNT_RATE_LIMITS = {"login_failed": None}\n',
        "ACCOUNT_LOGIN_ATTEMPTS_LIMIT = None\n",
        "ACCOUNT_LOGIN_ATTEMPTS_TIMEOUT = 0\n",
        'import os\nACCOUNT_RATE_LIMITS = {} if os.environ.get("LIMITS") else False\n',
    ],
)
def test_allauth_limits_switched_off_are_reported(tmp_path: Path, settings_extra: str) -> None:
    assert _mg106_routes(tmp_path, settings_extra) == ALWAYS | {"account/login/"}
