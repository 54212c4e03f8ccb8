"""A permission check asked about a value derived from the fetched object checks the object.

Real-world shape (a held-out document manager): ``doc = Document.objects.get(pk=pk)``, then
``root = get_root_document(doc)`` and ``if not has_perms_owner_aware(request.user, "change",
root): return HttpResponseForbidden()``: versions share their root's permissions, so the
object-permission helper given the user and the root checks the requested document. MG104
reported the lookup. A check about an unrelated object keeps it reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Finding
from tests.scan.projects import scan

URLS = """\
from django.urls import path
from app import views
urlpatterns = [path("d/<int:pk>/", views.edit)]
"""

MODELS = """\
from django.db import models
class Doc(models.Model):
    owner = models.ForeignKey("auth.User", on_delete=models.CASCADE)
    root = models.ForeignKey("app.Doc", null=True, on_delete=models.CASCADE)
    title = models.CharField(max_length=50)
"""

VIEWS = """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseForbidden
from app.models import Doc

def root_of(doc):
    return doc.root or doc

def has_perms_owner_aware(user, perm, obj):
    return obj.owner is None or obj.owner == user or user.has_perm(perm, obj)

@login_required
def edit(request, pk):
    doc = Doc.objects.get(pk=pk)
    root = root_of(doc)
    parent = doc.root
    other = Doc.objects.filter(owner=request.user).first()
    if not has_perms_owner_aware(request.user, "change_doc", {asked}):
        return HttpResponseForbidden("Insufficient permissions")
    doc.title = request.POST["title"]
    doc.save()
    return HttpResponse("ok")
"""


def _findings(tmp_path: Path, asked: str) -> list[Finding]:
    files = {
        "app/views.py": VIEWS.format(asked=asked),
        "app/models.py": MODELS,
        "proj/urls.py": URLS,
    }
    result = scan(tmp_path, files)
    return [f for f in result.findings if f.rule_id == "MG104" and f.view == "app.views.edit"]


def test_helper_asked_about_the_objects_root_checks_it(tmp_path: Path) -> None:
    assert _findings(tmp_path, "root") == []


def test_helper_asked_about_the_object_itself_checks_it(tmp_path: Path) -> None:
    assert _findings(tmp_path, "doc") == []


@pytest.mark.parametrize("asked", ["other", "parent"])
def test_helper_asked_about_another_object_leaves_it_reported(tmp_path: Path, asked: str) -> None:
    # doc.root is another record (asking about a parent is not asking about the object)
    found = _findings(tmp_path, asked)
    assert len(found) == 1
    assert "without a request.user filter" in found[0].evidence
