"""Set A pattern S: DRF bases written as subscripted generics (djangorestframework-stubs).

``class PassUserMixin(GenericAPIView[Any])`` and ``viewsets.ModelViewSet[Note]`` are the
unsubscripted bases at run time, so their ``permission_classes`` apply; ``typing.Generic[T]``
adds nothing. The unprotected twin ``Open(GenericAPIView[Any])`` is still reported.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import ScanResult
from tests.scan.projects import protections, reported_open, scan

FILES = {
    "app/models.py": """\
from django.conf import settings
from django.db import models


class Folder(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)


class Note(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    folder = models.ForeignKey(Folder, models.CASCADE, null=True)
""",
    "app/views.py": """\
from typing import Any, Generic, TypeVar

from rest_framework import serializers, viewsets
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from app.models import Note

T = TypeVar("T")


class PassUserMixin(GenericAPIView[Any]):
    permission_classes = (IsAuthenticated,)


class Mine(PassUserMixin):
    def get(self, request):
        return Response(list(Note.objects.filter(owner=request.user).values()))


class Open(GenericAPIView[Any]):
    def get(self, request):
        return Response(list(Note.objects.values()))


class FixedFolderSerializer(serializers.ModelSerializer[Note]):
    folder: Any = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Note
        fields = ["id", "folder"]


class AnyFolderSerializer(serializers.ModelSerializer[Note]):
    class Meta:
        model = Note
        fields = ["id", "folder"]


class Typed(Generic[T], viewsets.ModelViewSet[Note]):
    permission_classes = (IsAuthenticated,)
    queryset = Note.objects.all()
    serializer_class = FixedFolderSerializer

    def get_queryset(self):
        return Note.objects.filter(owner=self.request.user)


class AnyFolder(viewsets.ModelViewSet[Note]):
    permission_classes = (IsAuthenticated,)
    queryset = Note.objects.all()
    serializer_class = AnyFolderSerializer

    def get_queryset(self):
        return Note.objects.filter(owner=self.request.user)
""",
    "proj/urls.py": """\
from django.urls import path
from rest_framework.routers import DefaultRouter

from app import views

router = DefaultRouter()
router.register("typed", views.Typed)
router.register("any-folder", views.AnyFolder)
urlpatterns = [
    path("mine/", views.Mine.as_view()),
    path("open/", views.Open.as_view()),
] + router.urls
""",
}


def _scan(tmp_path: Path) -> ScanResult:
    return scan(tmp_path, FILES, settings_extra='INSTALLED_APPS += ["rest_framework"]\n')


def test_subscripted_drf_bases_carry_their_permission_classes(tmp_path: Path) -> None:
    result = _scan(tmp_path)
    mine = protections(result, "mine/")["GET"]
    assert mine.authenticated is True
    assert "IsAuthenticated" in mine.detail
    typed = protections(result, "typed/<pk>/")
    assert typed["GET"].authenticated is True
    assert typed["PUT"].authenticated is True
    views = {f.view for f in result.findings if f.rule_id == "MG101"}
    assert "app.views.Mine" not in views
    assert "app.views.Typed" not in views


def test_unprotected_subscripted_twin_is_still_reported(tmp_path: Path) -> None:
    result = _scan(tmp_path)
    found = [f for f in result.findings if f.rule_id == "MG101" and f.view == "app.views.Open"]
    # reported open: high, or low only because it just reads the notes (weak evidence)
    assert [reported_open(f) for f in found] == [True]
    assert protections(result, "open/")["GET"].authenticated is False


def test_annotated_read_only_field_is_not_a_writable_relation(tmp_path: Path) -> None:
    """``folder: Any = PrimaryKeyRelatedField(read_only=True)`` overrides the generated field."""
    result = _scan(tmp_path)
    writable = {f.view for f in result.findings if f.rule_id == "MG108"}
    assert "app.views.Typed" not in writable
    assert "app.views.AnyFolder" in writable  # the generated relation accepts any Folder id
