"""Set A pattern T: a fetched object checked by a method of its own model, given the user.

``shelf.raise_not_deletable(request.user)`` right after the lookup, where the model method
(an override along the model's MRO) tests the user before raising ``PermissionDenied``, is the
object-level check; so is ``form.save(request)`` on a form built with ``instance=shelf`` whose
``save()`` calls ``self.instance.raise_not_editable(request.user)`` (one level). The twins hand
the user to a method that never refuses, or save through a form that checks nothing: still
reported at the old severity.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Confidence, ScanResult, Severity
from tests.scan.projects import scan

FILES = {
    "app/models.py": """\
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models


class OwnedModel(models.Model):
    class Meta:
        abstract = True

    def raise_not_editable(self, viewer):
        if not hasattr(self, "user"):
            return
        if self.user == viewer:
            return
        raise PermissionDenied()

    def raise_not_deletable(self, viewer):
        raise PermissionDenied()


class Shelf(OwnedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    name = models.CharField(max_length=50)

    def raise_not_deletable(self, viewer):
        if self.user == viewer or viewer.has_perm("app.moderate"):
            return
        raise PermissionDenied()

    def touch(self, viewer):
        self.last_viewer = viewer


class Board(OwnedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    deletable = models.BooleanField(default=True)

    def raise_not_editable(self, viewer):
        super().raise_not_editable(viewer)
        if not self.deletable:
            raise PermissionDenied()


class OpenBoard(OwnedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)

    def raise_not_editable(self, viewer):
        return
""",
    "app/forms.py": """\
from django import forms

from app.models import Shelf


class CheckedForm(forms.ModelForm):
    def save(self, request, *args, **kwargs):
        self.instance.raise_not_editable(request.user)
        return super().save(*args, **kwargs)


class ShelfForm(CheckedForm):
    class Meta:
        model = Shelf
        fields = ["name"]


class PlainShelfForm(forms.ModelForm):
    class Meta:
        model = Shelf
        fields = ["name"]

    def save(self, request, *args, **kwargs):
        return super().save(*args, **kwargs)
""",
    "app/views.py": """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from app import forms
from app.models import Board, OpenBoard, Shelf


@login_required
def delete_shelf(request, shelf_id):
    shelf = get_object_or_404(Shelf, id=shelf_id)
    shelf.raise_not_deletable(request.user)
    shelf.delete()
    return HttpResponse("gone")


@login_required
def delete_shelf_open(request, shelf_id):
    shelf = get_object_or_404(Shelf, id=shelf_id)
    shelf.touch(request.user)
    shelf.delete()
    return HttpResponse("gone")


@login_required
def edit_shelf(request, shelf_id):
    shelf = get_object_or_404(Shelf, id=shelf_id)
    form = forms.ShelfForm(request.POST, instance=shelf)
    if not form.is_valid():
        return HttpResponse("invalid", status=400)
    shelf = form.save(request)
    return HttpResponse(shelf.name)


@login_required
def edit_shelf_open(request, shelf_id):
    shelf = get_object_or_404(Shelf, id=shelf_id)
    form = forms.PlainShelfForm(request.POST, instance=shelf)
    form.save(request)
    return HttpResponse("saved")


@login_required
def edit_board(request, board_id):
    board = get_object_or_404(Board, id=board_id)
    board.raise_not_editable(request.user)
    board.delete()
    return HttpResponse("gone")


@login_required
def edit_open_board(request, board_id):
    board = get_object_or_404(OpenBoard, id=board_id)
    board.raise_not_editable(request.user)
    board.delete()
    return HttpResponse("gone")
""",
    "proj/urls.py": """\
from django.urls import path

from app import views

urlpatterns = [
    path("shelf/<int:shelf_id>/delete/", views.delete_shelf),
    path("shelf/<int:shelf_id>/delete-open/", views.delete_shelf_open),
    path("shelf/<int:shelf_id>/edit/", views.edit_shelf),
    path("shelf/<int:shelf_id>/edit-open/", views.edit_shelf_open),
    path("board/<int:board_id>/", views.edit_board),
    path("open-board/<int:board_id>/", views.edit_open_board),
]
""",
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return scan(Path(tmp_path_factory.mktemp("object_methods")), FILES)


def _mg104(result: ScanResult) -> dict[str, tuple[Severity, Confidence]]:
    return {f.view: (f.severity, f.confidence) for f in result.findings if f.rule_id == "MG104"}


def test_model_method_given_the_user_that_refuses_is_the_check(result: ScanResult) -> None:
    found = _mg104(result)
    assert "app.views.delete_shelf" not in found
    assert found["app.views.delete_shelf_open"] == (Severity.HIGH, Confidence.MEDIUM)


def test_form_save_checking_its_instance_is_the_check(result: ScanResult) -> None:
    found = _mg104(result)
    assert "app.views.edit_shelf" not in found
    assert found["app.views.edit_shelf_open"] == (Severity.HIGH, Confidence.MEDIUM)


def test_override_handing_the_user_to_super_keeps_the_check(result: ScanResult) -> None:
    found = _mg104(result)
    assert "app.views.edit_board" not in found
    # An override that lets everybody through is no check.
    assert found["app.views.edit_open_board"] == (Severity.HIGH, Confidence.MEDIUM)
