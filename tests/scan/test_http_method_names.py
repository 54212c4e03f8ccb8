"""``http_method_names`` limits what a view serves (held-out set 4, Tandoor's ``UserViewSet``).

``View.dispatch()`` answers a method outside ``http_method_names`` with 405 before any handler
runs. A ``ModelViewSet`` with ``http_method_names = ["get", "patch"]`` never destroys; the
scanner reported its ``destroy`` action as an unscoped lookup. The same viewset without the
attribute keeps the finding.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult
from tests.scan.projects import protections, scan

MODELS = """\
from django.conf import settings
from django.db import models


class Card(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    text = models.TextField()
"""

VIEWS = """\
from django.http import HttpResponse
from django.views import View
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from app.models import Card


class CardSerializer(serializers.ModelSerializer):
    class Meta:
        model = Card
        fields = ["id", "text"]


class ReadOnlyCards(viewsets.ModelViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = CardSerializer
    queryset = Card.objects.all()
    http_method_names = ["get"]


class AllCards(viewsets.ModelViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = CardSerializer
    queryset = Card.objects.all()


class Page(View):
    http_method_names = ["get"]

    def get(self, request):
        return HttpResponse("hello")

    def post(self, request):
        Card.objects.all().delete()
        return HttpResponse("gone")
"""

URLS = """\
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from app import views

router = DefaultRouter()
router.register("readonly", views.ReadOnlyCards)
router.register("all", views.AllCards)

urlpatterns = [path("api/", include(router.urls)), path("page/", views.Page.as_view())]
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root: Path = tmp_path_factory.mktemp("methods")
    return scan(root, {"app/models.py": MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS})


def _methods(result: ScanResult, pattern: str) -> set[str]:
    return set(protections(result, pattern))


def test_declared_methods_limit_the_viewset_actions(result: ScanResult) -> None:
    detail = next(r.pattern for r in result.routes if r.pattern.startswith("api/readonly/<"))
    assert _methods(result, detail) == {"GET"}
    full = next(r.pattern for r in result.routes if r.pattern.startswith("api/all/<"))
    assert {"GET", "PUT", "PATCH", "DELETE"} <= _methods(result, full)


def test_write_actions_outside_http_method_names_are_not_reported(result: ScanResult) -> None:
    def methods(view: str) -> set[str]:
        return {m for f in result.findings if f.view == f"app.views.{view}" for m in f.methods}

    assert "POST" in methods("AllCards"), [(f.rule_id, f.view, f.methods) for f in result.findings]
    assert methods("ReadOnlyCards") == {"GET"}


def test_django_view_serves_only_declared_methods(result: ScanResult) -> None:
    assert _methods(result, "page/") == {"GET"}
