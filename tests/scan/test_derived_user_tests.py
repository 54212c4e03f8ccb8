"""A refusal tested on a local computed from the user (held-out set 7, Kitsune).

Kitsune's ``login_required`` is ``user_access_decorator(redirect_func, ...)(func)``, whose
wrapper computes ``redirect = redirect_func(request.user)`` and redirects to the login page
``if redirect``. The views it decorates were reported "no authentication check" (high). The
twin: a form built with the user (``VoteForm(review, request.user, request.POST)``) whose
invalid branch only shows messages is no login check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult, Severity
from tests.scan.projects import OWNED_NOTE_MODELS, scan

DECORATORS = """\
from django.http import HttpResponseForbidden, HttpResponseRedirect


def user_access_decorator(redirect_func, redirect_url_func, deny_func=None):
    def decorator(view_fn):
        def _wrapped_view(request, *args, **kwargs):
            redirect = redirect_func(request.user)
            if redirect and not request.headers.get("x-requested-with") == "XMLHttpRequest":
                return HttpResponseRedirect(redirect_url_func() or "/login/")
            elif redirect or (deny_func and deny_func(request.user)):
                return HttpResponseForbidden()
            return view_fn(request, *args, **kwargs)

        return _wrapped_view

    return decorator


def login_required(func, login_url=None):
    def redirect_func(user):
        return not user.is_authenticated

    return user_access_decorator(redirect_func, redirect_url_func=lambda: login_url)(func)
"""

VIEWS = """\
from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect

from app.decorators import login_required
from app.models import Note


class VoteForm(forms.Form):
    def __init__(self, note, user, data):
        super().__init__(data)
        self.note = note
        self.user = user


@login_required
def mine(request):
    return HttpResponse(str(list(Note.objects.filter(owner=request.user))))


def vote(request, pk):
    note = Note.objects.get(pk=pk)
    form = VoteForm(note, request.user, request.POST)
    if form.is_valid():
        note.text += "+1"
        note.save()
    else:
        messages.error(request, "no")
    return redirect("/")
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [path("mine/", views.mine), path("vote/<int:pk>/", views.vote)]
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root: Path = tmp_path_factory.mktemp("derived")
    files = {
        "app/decorators.py": DECORATORS,
        "app/models.py": OWNED_NOTE_MODELS,
        "app/views.py": VIEWS,
        "proj/urls.py": URLS,
    }
    return scan(root, files)


def test_decorator_refusing_on_a_predicate_of_the_user_protects(result: ScanResult) -> None:
    assert not [f for f in result.findings if f.view == "app.views.mine"]


def test_form_built_with_the_user_is_no_login_check(result: ScanResult) -> None:
    found = [f for f in result.findings if f.view == "app.views.vote" and f.rule_id == "MG101"]
    assert [f.severity for f in found] == [Severity.HIGH]
