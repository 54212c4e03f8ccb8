"""MG104 and an object-level permission check on the fetched object (found on Weblate).

``obj = get_object_or_404(Model, pk=pk)`` followed by ``request.user.has_perm(perm, obj)`` (or
DRF's ``check_object_permissions``, or ``obj.project.has_permission(request.user)``) is
authorized per object: no IDOR. A lookup without such a check still is.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.scan.engine import scan_project
from tests.scan.projects import write_project

MODELS = """\
from django.db import models
from django.conf import settings

class Comment(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
"""

URLS = """\
from django.urls import path
from app import views

urlpatterns = [path("comment/<int:pk>/", views.comment)]
"""

VIEW = """\
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.http import HttpResponse
from app.models import Comment

@login_required
def comment(request, pk):
    obj = get_object_or_404(Comment, pk=pk)
{check}
    return HttpResponse(str(obj.pk))
"""

CHECKS = {
    "has_perm": (
        "    if not request.user.has_perm('comment.delete', obj):\n        raise PermissionDenied"
    ),
    "has_permission": (
        "    if not obj.project.has_permission(request.user):\n        raise PermissionDenied"
    ),
}


def _mg104(tmp_path: Path, check: str) -> list[int]:
    root = write_project(
        tmp_path,
        {
            "app/models.py": MODELS,
            "app/views.py": VIEW.replace("{check}", check),
            "proj/urls.py": URLS,
        },
    )
    result = scan_project(root)
    assert result.errors == ()
    return [f.location.line for f in result.findings if f.rule_id == "MG104" and f.location]


def test_unchecked_lookup_is_still_reported(tmp_path: Path) -> None:
    assert _mg104(tmp_path, "    pass") == [9]


def test_model_permission_without_the_object_is_still_reported(tmp_path: Path) -> None:
    check = "    if not request.user.has_perm('comment.delete'):\n        raise PermissionDenied"
    assert _mg104(tmp_path, check) == [9]


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_object_permission_check_after_lookup_is_not_reported(tmp_path: Path, name: str) -> None:
    assert _mg104(tmp_path, CHECKS[name]) == []
