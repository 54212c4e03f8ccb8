"""Sign-in flows and public records (held-out patterns F and G).

Each protected or public-by-design shape has an unprotected twin that keeps its finding (a twin
that only reads a user's record, by no key the caller chooses, is weak evidence: low with low
confidence, its evidence saying why it would be high).
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import ScanResult, Severity
from tests.scan.projects import protections, scan, weak_reason

MODELS = """\
from django.conf import settings
from django.db import models


class Agreement(models.Model):
    type = models.CharField(max_length=20)
    text = models.TextField()
    is_active = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL)
    last_modified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL)


class Note(models.Model):
    kind = models.CharField(max_length=20)
    text = models.TextField()
    is_active = models.BooleanField(default=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
"""
VIEWS = """\
from django.contrib.auth import login
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from social_core.actions import do_complete

from app.models import Agreement, Note
from app.tokens import is_reset_token_valid


def deny_guests(f):
    def decorator(request, *args, **kwargs):
        if request.user.is_anonymous:
            raise PermissionDenied("sign in")
        return f(request, *args, **kwargs)

    return decorator


def confirm_view(f):
    @deny_guests
    def decorator(request, token):
        return f(request, token)

    return decorator


def plain_view(f):
    def decorator(request, token):
        return f(request, token)

    return decorator


@confirm_view
def confirm_change(request, token):
    request.user.set_password(token)
    return HttpResponse("ok")


@plain_view
def change_unguarded(request, token):
    request.user.set_password(token)
    return HttpResponse("ok")


def complete(request, backend):
    return do_complete(request.backend, None, user=request.user)


def finish(request, backend):
    return HttpResponse(request.user.email)


def reset_password(request, pk, token):
    user = User.objects.get(pk=pk, is_active=True)
    if not is_reset_token_valid(user, token):
        raise PermissionDenied("invalid link")
    user.set_password(request.POST["password"])
    user.save()
    return HttpResponse("ok")


def reset_unchecked(request, pk, token):
    user = User.objects.get(pk=pk, is_active=True)
    user.set_password(request.POST["password"])
    user.save()
    return HttpResponse("ok")


def show_agreement(request, kind):
    agreement = get_object_or_404(Agreement, type=kind, is_active=True)
    return render(request, "agreement.html", {"text": agreement.text})


def terms(request):
    return show_agreement(request, "terms")


def show_note(request, kind):
    note = get_object_or_404(Note, kind=kind, is_active=True)
    return render(request, "note.html", {"text": note.text})


def latest_note(request):
    return show_note(request, "latest")


def second_factor(request):
    if request.user.is_authenticated:
        return HttpResponseRedirect("/")
    username = request.session.get("user")
    if username:
        phone = User.objects.get(username=username).email
    else:
        return HttpResponseRedirect("/login/")
    return render(request, "2fa.html", {"phone": phone})


def verify_otp(request):
    engineer = request.POST["engineer"]
    user = User.objects.get(username=engineer)
    pending = request.session.get("user")
    if not request.user.is_authenticated:
        if pending:
            if pending != engineer:
                return JsonResponse({"status": 1})
        else:
            return JsonResponse({"status": 1})
    if user.check_otp(request.POST["otp"]) and not request.user.is_authenticated:
        login(request, user)
    return JsonResponse({"status": 0})


def configure_otp(request):
    engineer = request.POST["engineer"]
    user = User.objects.get(username=engineer)
    pending = request.session.get("user")
    if not request.user.is_authenticated:
        if pending:
            if pending != engineer:
                return JsonResponse({"status": 1})
        else:
            return JsonResponse({"status": 1})
    user.otp_device.delete()
    return JsonResponse({"status": 0})
"""
TOKENS = """\
from hashlib import sha256


def is_reset_token_valid(user, token):
    return token == sha256(str(user.pk).encode()).hexdigest()
"""
URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("confirm/<str:token>/", views.confirm_change),
    path("change/<str:token>/", views.change_unguarded),
    path("complete/<str:backend>/", views.complete),
    path("finish/<str:backend>/", views.finish),
    path("reset/<int:pk>/<str:token>/", views.reset_password),
    path("reset-unchecked/<int:pk>/<str:token>/", views.reset_unchecked),
    path("terms/", views.terms),
    path("latest-note/", views.latest_note),
    path("2fa/", views.second_factor),
    path("2fa/verify/", views.verify_otp),
    path("2fa/configure/", views.configure_otp),
]
"""


def _scan(tmp_path: Path) -> ScanResult:
    return scan(
        tmp_path,
        {
            "app/models.py": MODELS,
            "app/views.py": VIEWS,
            "app/tokens.py": TOKENS,
            "proj/urls.py": URLS,
        },
    )


def _mg101(result: ScanResult, view: str) -> Severity | None:
    found = [f.severity for f in result.findings if f.rule_id == "MG101" and f.view == view]
    return found[0] if found else None


def test_decorator_applied_inside_a_decorator_factory(tmp_path: Path) -> None:
    result = _scan(tmp_path)
    confirm = protections(result, "confirm/<str:token>/")["*"]
    assert confirm.authenticated is True
    assert "deny_guests" in confirm.detail
    assert protections(result, "change/<str:token>/")["*"].authenticated is False
    assert _mg101(result, "app.views.confirm_change") is None
    assert _mg101(result, "app.views.change_unguarded") is Severity.HIGH


def test_social_auth_callback_is_the_sign_in(tmp_path: Path) -> None:
    result = _scan(tmp_path)
    assert _mg101(result, "app.views.complete") is Severity.INFO
    found = next(f for f in result.findings if f.view == "app.views.complete")
    assert "social_core.actions.do_complete" in found.evidence
    # not the sign-in: judged as any open page (the caller's account and a key from the URL)
    assert _mg101(result, "app.views.finish") is Severity.HIGH


def test_project_reset_token_check_that_refuses_is_a_secret_gate(tmp_path: Path) -> None:
    result = _scan(tmp_path)
    reset = protections(result, "reset/<int:pk>/<str:token>/")["*"]
    assert reset.authenticated is True
    assert "is_reset_token_valid" in reset.detail
    assert _mg101(result, "app.views.reset_password") is None
    assert _mg101(result, "app.views.reset_unchecked") is Severity.HIGH


def test_public_record_with_only_audit_authors_is_informational(tmp_path: Path) -> None:
    result = _scan(tmp_path)
    assert _mg101(result, "app.views.terms") is Severity.INFO
    # The owned twin keeps its finding: it only reads a user's note (by a key the code
    # chooses), weak evidence, low with low confidence.
    found = [
        f for f in result.findings if f.rule_id == "MG101" and f.view == "app.views.latest_note"
    ]
    assert len(found) == 1
    assert (
        weak_reason(found[0]) == "it reads Note, whose records belong to a user or account (owner)"
    )


def test_second_sign_in_step_keyed_on_the_session_user(tmp_path: Path) -> None:
    result = _scan(tmp_path)
    assert _mg101(result, "app.views.second_factor") is Severity.INFO
    assert _mg101(result, "app.views.verify_otp") is Severity.INFO
    # Same anonymous check, but a signed-in caller goes on to act on the user the body names.
    assert _mg101(result, "app.views.configure_otp") is Severity.HIGH
