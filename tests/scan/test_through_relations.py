"""MG108 and a many-to-many field with its own ``through`` model (dejacode's ``licenses``).

DRF's ``ModelSerializer`` generates such a field read-only (``get_relation_kwargs``: a
relation through an explicit intermediary model takes no ids), so a create or update cannot
attach another tenant's records through it. The scan reported it as a writable relation (5
false findings on dejacode). The twin, the same relation without ``through``, stays reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scan.projects import scan

MODELS = """\
from django.conf import settings
from django.db import models


class License(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


class Component(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    licenses = models.ManyToManyField(License{through})


class ComponentAssignedLicense(models.Model):
    component = models.ForeignKey(Component, on_delete=models.CASCADE)
    license = models.ForeignKey(License, on_delete=models.CASCADE)
"""

VIEWS = """\
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from app.models import Component


class ComponentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Component
        fields = ["id", "licenses"]


class ComponentViewSet(viewsets.ModelViewSet):
    serializer_class = ComponentSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return Component.objects.filter(owner=self.request.user)
"""

URLS = """\
from rest_framework.routers import DefaultRouter

from app.views import ComponentViewSet

router = DefaultRouter()
router.register("components", ComponentViewSet, basename="component")
urlpatterns = router.urls
"""


@pytest.mark.parametrize(
    ("through", "reported"),
    [(', through="ComponentAssignedLicense"', False), ("", True)],
)
def test_a_relation_through_its_own_model_takes_no_ids(
    tmp_path: Path, through: str, reported: bool
) -> None:
    files = {
        "app/models.py": MODELS.replace("{through}", through),
        "app/views.py": VIEWS,
        "proj/urls.py": URLS,
    }
    result = scan(tmp_path, files)
    assert result.errors == ()
    mg108 = [f for f in result.findings if f.rule_id == "MG108"]
    assert bool(mg108) is reported, mg108
    if reported:
        assert "licenses" in mg108[0].evidence
