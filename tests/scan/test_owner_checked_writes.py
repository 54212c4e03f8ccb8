"""MG108 and a viewset whose ``create()``/``update()`` check the posted ids (wger, set B L).

wger's base viewset loads each ``(Model, key)`` listed by ``self.get_owner_objects()`` from
``request.data`` and raises ``PermissionDenied`` unless its owner is ``request.user``; each
concrete viewset lists its keys. The posted ids are checked: no finding. The same viewset
without the refusal, and a plain ``ModelViewSet``, keep their high finding. Behind
``DjangoModelPermissions`` (a subclass too) writes need the model's global ``add``/``change``
permission, as behind ``permission_required``: medium, low confidence, saying so.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Confidence, Finding, Severity
from tests.scan.projects import scan

MODELS = """\
from django.db import models
from django.conf import settings

class Workout(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

class Session(models.Model):
    workout = models.ForeignKey(Workout, on_delete=models.CASCADE)
    notes = models.TextField()
"""

SERIALIZERS = """\
from rest_framework import serializers
from app.models import Session

class SessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Session
        fields = ("id", "workout", "notes")
"""

VIEWS = """\
from rest_framework import exceptions, viewsets
from rest_framework.permissions import DjangoModelPermissions, IsAuthenticated
from app.models import Session, Workout
from app.serializers import SessionSerializer


class OwnerCheckedViewSet(viewsets.ModelViewSet):
    def create(self, request, *args, **kwargs):
        for model, key in self.get_owner_objects():
            if request.data.get(key):
                obj = model.objects.get(pk=request.data.get(key))
                if obj.user != request.user:
                    raise exceptions.PermissionDenied("not yours")
        return super().create(request, *args, **kwargs)


class LoadsOnlyViewSet(viewsets.ModelViewSet):
    def create(self, request, *args, **kwargs):
        for model, key in self.get_owner_objects():
            if request.data.get(key):
                model.objects.get(pk=request.data.get(key))
        return super().create(request, *args, **kwargs)


class CheckedSessions(OwnerCheckedViewSet):
    serializer_class = SessionSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return Session.objects.filter(workout__user=self.request.user)

    def get_owner_objects(self):
        return [(Workout, "workout")]


class UnrefusedSessions(LoadsOnlyViewSet):
    serializer_class = SessionSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return Session.objects.filter(workout__user=self.request.user)

    def get_owner_objects(self):
        return [(Workout, "workout")]


class PlainSessions(viewsets.ModelViewSet):
    serializer_class = SessionSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return Session.objects.filter(workout__user=self.request.user)


class StaffModelPermissions(DjangoModelPermissions):
    pass


class ModelPermissionSessions(viewsets.ModelViewSet):
    serializer_class = SessionSerializer
    permission_classes = [IsAuthenticated, StaffModelPermissions]

    def get_queryset(self):
        return Session.objects.filter(workout__user=self.request.user)
"""

URLS = """\
from rest_framework.routers import DefaultRouter
from app import views

router = DefaultRouter()
router.register("checked", views.CheckedSessions, basename="checked")
router.register("unrefused", views.UnrefusedSessions, basename="unrefused")
router.register("plain", views.PlainSessions, basename="plain")
router.register("model-perms", views.ModelPermissionSessions, basename="model-perms")
urlpatterns = router.urls
"""


def _mg108(tmp_path: Path) -> dict[str, Finding]:
    result = scan(
        tmp_path,
        {
            "app/models.py": MODELS,
            "app/serializers.py": SERIALIZERS,
            "app/views.py": VIEWS,
            "proj/urls.py": URLS,
        },
    )
    return {(f.view or "").rsplit(".", 1)[-1]: f for f in result.findings if f.rule_id == "MG108"}


def test_create_override_refusing_foreign_ids_is_a_check(tmp_path: Path) -> None:
    assert "CheckedSessions" not in _mg108(tmp_path)


def test_unchecked_twins_stay_high(tmp_path: Path) -> None:
    found = _mg108(tmp_path)
    for name in ("UnrefusedSessions", "PlainSessions"):
        assert found[name].severity is Severity.HIGH, name
        assert "SessionSerializer.workout accepts the id of any Workout" in found[name].evidence


def test_model_permission_writes_are_a_global_permission_gate(tmp_path: Path) -> None:
    found = _mg108(tmp_path)["ModelPermissionSessions"]
    assert (found.severity, found.confidence) == (Severity.MEDIUM, Confidence.LOW)
    assert "only users with a global permission reach it (StaffModelPermissions)" in found.evidence
