"""Set A pattern V: who last edited a record does not own it.

Catalogue records edited by many (``last_edited_by``/``updated_by`` foreign keys to the user
model and nothing else) are not a user's data: a lookup by id is no IDOR. A record with an
owner-style relation (``user``) next to the attribution stays reported at its old severity.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Confidence, Severity
from tests.scan.projects import scan

FILES = {
    "app/models.py": """\
from django.conf import settings
from django.db import models


class Edition(models.Model):
    title = models.CharField(max_length=100)
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )


class Review(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField()
""",
    "app/views.py": """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from app.models import Edition, Review


@login_required
def edit_edition(request, edition_id):
    edition = get_object_or_404(Edition, id=edition_id)
    edition.title = request.POST["title"]
    edition.last_edited_by = request.user
    edition.save()
    return HttpResponse()


@login_required
def edit_review(request, review_id):
    review = get_object_or_404(Review, id=review_id)
    review.text = request.POST["text"]
    review.last_edited_by = request.user
    review.save()
    return HttpResponse()
""",
    "proj/urls.py": """\
from django.urls import path

from app import views

urlpatterns = [
    path("edition/<int:edition_id>/", views.edit_edition),
    path("review/<int:review_id>/", views.edit_review),
]
""",
}


def test_edit_attribution_alone_is_no_owner(tmp_path: Path) -> None:
    result = scan(tmp_path, FILES)
    found = {
        f.view: (f.severity, f.confidence, f.evidence)
        for f in result.findings
        if f.rule_id == "MG104"
    }
    assert "app.views.edit_edition" not in found
    severity, confidence, evidence = found["app.views.edit_review"]
    assert (severity, confidence) == (Severity.HIGH, Confidence.MEDIUM)
    assert "owned via user" in evidence
