"""Viewsets registered on a router under a module-level condition are routed (django-helpdesk).

django-helpdesk registers its REST API only ``if helpdesk_settings.HELPDESK_API_ENABLED:`` (on by
default) and includes ``router.urls`` in the same block. The registrations used to be looked
for only at the module's top level, so the router was reported as unresolved ("no
router.register() the scanner can see") and the whole API was missing from the inventory.
Every branch of a module-level ``if``/``try`` is read now, as the URL includes already were.
"""

from __future__ import annotations

from pathlib import Path

from tests.scan.projects import scan

APP_SETTINGS = """\
from django.conf import settings

API_ENABLED = getattr(settings, "API_ENABLED", True)
"""

VIEWS = """\
from rest_framework import permissions, viewsets

from app.models import Ticket


class TicketViewSet(viewsets.ModelViewSet):
    queryset = Ticket.objects.all()
    permission_classes = [permissions.AllowAny]
"""

MODELS = """\
from django.conf import settings
from django.db import models


class Ticket(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    title = models.CharField(max_length=100)
"""

URLS = """\
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from app import settings as app_settings
from app.views import TicketViewSet

urlpatterns = []

if app_settings.API_ENABLED:
    router = DefaultRouter()
    router.register(r"tickets", TicketViewSet, basename="ticket")
    urlpatterns += [path("api/", include(router.urls))]
"""


def test_a_router_registered_under_a_condition_is_routed(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "app/settings.py": APP_SETTINGS,
            "app/models.py": MODELS,
            "app/views.py": VIEWS,
            "proj/urls.py": URLS,
        },
    )
    assert result.unresolved == ()
    patterns = {r.pattern for r in result.routes}
    assert {"api/tickets/", "api/tickets/<pk>/"} <= patterns
    views = {f.view for f in result.findings if f.rule_id == "MG101"}
    assert "app.views.TicketViewSet" in views
