"""MG106 on views that verify no existing password, and throttling inside the login form.

pretix's ``register``/``invite`` views create the account with the password just submitted and
then ``authenticate()`` with it to sign the new user in: no existing credential can be guessed
there. Weblate's ``LoginForm.clean`` calls ``check_rate_limit("login", request)`` before
``authenticate()``: the view is throttled even though its decorators say nothing. A login view
whose form checks passwords without any limit (pretix's customer login) is still reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.scan.engine import scan_project
from tests.scan.projects import write_project

RATELIMIT = """\
from django.core.cache import cache

def check_rate_limit(scope, request):
    key = f"{scope}:{request.META.get('REMOTE_ADDR')}"
    attempts = cache.get(key, 0) + 1
    cache.set(key, attempts, 300)
    return attempts <= 5
"""

FORMS = """\
from django import forms
from django.contrib.auth import authenticate
from app.ratelimit import check_rate_limit

class LoginForm(forms.Form):
    username = forms.CharField()
    password = forms.CharField()

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean(self):
{limit}
        self.user_cache = authenticate(
            self.request,
            username=self.cleaned_data.get("username"),
            password=self.cleaned_data.get("password"),
        )
        return self.cleaned_data
"""

LIMIT = """\
        if not check_rate_limit("login", self.request):
            raise forms.ValidationError("Too many attempts")"""

VIEWS = """\
from django.contrib.auth import authenticate, login
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView as BaseLoginView
from django.shortcuts import redirect, render
from app.forms import LoginForm

def register(request):
    if request.method == "POST":
        user = User.objects.create_user(request.POST["email"], password=request.POST["password"])
        user = authenticate(request, username=user.username, password=request.POST["password"])
        login(request, user)
        return redirect("/")
    return render(request, "register.html")

def password_login(request):
    user = authenticate(request, username=request.POST["u"], password=request.POST["p"])
    if user is not None:
        login(request, user)
    return redirect("/")

class SiteLoginView(BaseLoginView):
    form_class = LoginForm
"""

URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("register/", views.register),
    path("plain-login/", views.password_login),
    path("login/", views.SiteLoginView.as_view()),
]
"""


def _mg106(tmp_path: Path, limit: str) -> list[str]:
    root = write_project(
        tmp_path,
        {
            "app/ratelimit.py": RATELIMIT,
            "app/forms.py": FORMS.replace("{limit}", limit),
            "app/views.py": VIEWS,
            "proj/urls.py": URLS,
        },
    )
    result = scan_project(root)
    assert result.errors == ()
    return sorted(f.view or "" for f in result.findings if f.rule_id == "MG106")


@pytest.mark.parametrize("limit", ["        pass", LIMIT], ids=["no-limit", "limit"])
def test_registration_that_signs_in_the_new_account_is_not_a_login(
    tmp_path: Path, limit: str
) -> None:
    found = _mg106(tmp_path, limit)
    assert "app.views.register" not in found
    assert "app.views.password_login" in found


def test_rate_limit_in_the_login_form_counts(tmp_path: Path) -> None:
    assert "app.views.SiteLoginView" not in _mg106(tmp_path, LIMIT)


def test_login_form_without_a_limit_is_still_reported(tmp_path: Path) -> None:
    assert "app.views.SiteLoginView" in _mg106(tmp_path, "        pass")


PROVIDER_PICKER = """\
from django.contrib.auth import authenticate, login
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.generic import TemplateView, View


class LoginView(TemplateView):
    template_name = "login.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("idp"):
            return redirect("social:begin", request.GET["idp"])
        return super().get(request, *args, **kwargs)


class PasswordLoginView(View):
    def post(self, request):
        user = authenticate(
            request, username=request.POST["username"], password=request.POST["password"]
        )
        if user is None:
            return JsonResponse({}, status=401)
        login(request, user)
        return JsonResponse({})
"""


def test_a_project_view_named_login_view_is_judged_by_what_it_does(tmp_path: Path) -> None:
    """tunnistamo's ``LoginView(TemplateView)`` lists identity providers: no password in it."""
    urls = (
        "from django.urls import path\nfrom app import views\n"
        'urlpatterns = [path("accounts/login/", views.LoginView.as_view()),\n'
        '               path("api/login/", views.PasswordLoginView.as_view())]\n'
    )
    root = write_project(tmp_path, {"app/views.py": PROVIDER_PICKER, "proj/urls.py": urls})
    reported = {f.view for f in scan_project(root).findings if f.rule_id == "MG106"}
    assert reported == {"app.views.PasswordLoginView"}
