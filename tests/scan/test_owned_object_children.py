"""MG107 and a computed collection of an object the caller owns (wger ``SetViewSet``, set B M).

``get_queryset()`` returns ``Set.objects.filter(day__workout__user=self.request.user)``: every
object ``self.get_object()`` returns in an ``@action`` belongs to the caller, so what its model
computes from it (``set.computed``) is the caller's data. A queryset filtered by membership
(``day__workout__members=request.user``: shared with the user, not owned) keeps the finding.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Confidence, Severity
from tests.scan.projects import scan

MODELS = """\
from django.db import models
from django.conf import settings

class Workout(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="shared")

class Day(models.Model):
    workout = models.ForeignKey(Workout, on_delete=models.CASCADE)

class Set(models.Model):
    day = models.ForeignKey(Day, on_delete=models.CASCADE)

    @property
    def computed(self):
        return self.setting_set.filter(reps__gt=0)

class Setting(models.Model):
    set = models.ForeignKey(Set, on_delete=models.CASCADE)
    reps = models.IntegerField()
"""

VIEWS = """\
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from app.models import Set
from app.serializers import SettingSerializer


class OwnSetViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return Set.objects.filter(day__workout__user=self.request.user)

    @action(detail=True)
    def computed_settings(self, request, pk):
        return Response(SettingSerializer(self.get_object().computed, many=True).data)


class SharedSetViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return Set.objects.filter(day__workout__members=self.request.user)

    @action(detail=True)
    def computed_settings(self, request, pk):
        return Response(SettingSerializer(self.get_object().computed, many=True).data)
"""

URLS = """\
from rest_framework.routers import SimpleRouter
from app import views

router = SimpleRouter()
router.register("own", views.OwnSetViewSet, basename="own")
router.register("shared", views.SharedSetViewSet, basename="shared")
urlpatterns = router.urls
"""


def test_computed_children_of_an_owned_object_are_the_callers(tmp_path: Path) -> None:
    files = {"app/models.py": MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS}
    files["app/serializers.py"] = "class SettingSerializer:\n    pass\n"
    result = scan(tmp_path, files)
    found = {f.view: f for f in result.findings if f.rule_id == "MG107"}
    assert "app.views.OwnSetViewSet" not in found
    shared = found["app.views.SharedSetViewSet"]
    assert shared.severity is Severity.HIGH
    assert "a queryset Set computes" in shared.evidence


LINKED_MODELS = """\
from django.conf import settings
from django.db import models


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


class Ticket(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    viewers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="visible_tickets")
    assignees = models.ManyToManyField(Profile, related_name="assigned_tickets")
"""

LINKED_VIEWS = """\
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, render
from django.views.generic import View

from app.models import Ticket


class TicketView(LoginRequiredMixin, View):
    def get(self, request, pk):
        ticket = get_object_or_404(Ticket.objects.filter(viewers=request.user), pk=pk)
        names = ticket.assignees.values_list("user__username", flat=True)
        return render(request, "ticket.html", {"ticket": ticket, "names": names})
"""

LINKED_URLS = """\
from django.urls import path

from app import views

urlpatterns = [path("tickets/<int:pk>/", views.TicketView.as_view())]
"""


def test_records_a_checked_object_links_to_are_low(tmp_path: Path) -> None:
    """online-judge's ticket assignees, dejacode's licences: what the object's page names.

    On the hand-reviewed projects none of 12 such high findings was true (2 defensible).
    """
    files = {
        "app/models.py": LINKED_MODELS,
        "app/views.py": LINKED_VIEWS,
        "proj/urls.py": LINKED_URLS,
    }
    result = scan(tmp_path, files)
    (finding,) = [f for f in result.findings if f.rule_id == "MG107"]
    assert finding.severity is Severity.LOW
    assert finding.confidence is Confidence.LOW
    assert "many-to-many: not owned by ticket" in finding.evidence
    assert "usually what the object's own page shows" in finding.evidence
