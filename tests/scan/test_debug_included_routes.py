"""Routes of another module added under ``if settings.DEBUG:`` are development-only.

Joanie's URLconf ends with ``if settings.DEBUG: urlpatterns += debug_urls.urlpatterns``: the
debug module declares its routes outside any DEBUG test, but they exist only when the root
URLconf adds them, with DEBUG on. Reported low, saying so; the same view routed outside the
block keeps high.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Severity
from tests.scan.projects import scan

FILES = {
    "app/models.py": """\
from django.conf import settings
from django.db import models


class Order(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    total = models.IntegerField()
""",
    "app/views.py": """\
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from app.models import Order


def order_preview(request, pk):
    order = get_object_or_404(Order, pk=pk)
    return HttpResponse(str(order.total))


def order_page(request, pk):
    order = get_object_or_404(Order, pk=pk)
    return HttpResponse(str(order.total))
""",
    "app/debug_urls.py": """\
from django.urls import path

from app import views

urlpatterns = [path("debug/orders/<int:pk>/", views.order_preview)]
""",
    "proj/urls.py": """\
from django.conf import settings
from django.urls import path

from app import debug_urls, views

urlpatterns = [path("orders/<int:pk>/", views.order_page)]

if settings.DEBUG:
    urlpatterns += debug_urls.urlpatterns
""",
}


def test_routes_added_under_a_debug_test_are_development_only(tmp_path: Path) -> None:
    result = scan(tmp_path, FILES)
    found = {f.route: f for f in result.findings if f.rule_id == "MG101"}
    debug = found["debug/orders/<int:pk>/"]
    assert debug.severity is Severity.LOW
    assert "declared only when settings.DEBUG is on" in debug.evidence
    assert found["orders/<int:pk>/"].severity is Severity.HIGH
