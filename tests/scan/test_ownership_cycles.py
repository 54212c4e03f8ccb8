"""An ownership path never leads back to the record itself (Normandy's recipes).

Normandy's ``Recipe`` points at its ``latest_revision``, and a ``RecipeRevision`` points back at
its ``recipe`` (and at an ``action``), written by a ``user``. Revisions made ``Recipe`` look
like something users join, so MG103 said a recipe was "owned via latest_revision__recipe": the
recipe owned by itself. The evidence names only paths to another model.
"""

from __future__ import annotations

from pathlib import Path

from tests.scan.projects import scan

MODELS = """\
from django.conf import settings
from django.db import models


class Action(models.Model):
    name = models.CharField(max_length=100)


class Recipe(models.Model):
    latest_revision = models.ForeignKey(
        "RecipeRevision", null=True, on_delete=models.SET_NULL, related_name="+"
    )


class RecipeRevision(models.Model):
    recipe = models.ForeignKey(Recipe, on_delete=models.CASCADE, related_name="revisions")
    action = models.ForeignKey(Action, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
"""

VIEWS = """\
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from app.models import Recipe


class RecipeViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Recipe.objects.all()
    permission_classes = [IsAuthenticated]
"""

URLS = """\
from rest_framework.routers import DefaultRouter

from app import views

router = DefaultRouter()
router.register("recipe", views.RecipeViewSet)
urlpatterns = router.urls
"""


def test_no_ownership_path_returns_to_the_record(tmp_path: Path) -> None:
    result = scan(tmp_path, {"app/models.py": MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS})
    evidence = " ".join(f.evidence for f in result.findings if f.view == "app.views.RecipeViewSet")
    assert "owned via latest_revision__" in evidence  # the finding is there, its path not circular
    assert "latest_revision__recipe" not in evidence
