"""DRF permissions the scan must see on classes: a class decorator, a DRF-based package's views.

CodaLab decorates API classes with ``@permission_classes((permissions.IsAuthenticated,))``: on a
class the decorator only sets the ``permission_classes`` attribute, after the class body, so the
view requires a signed-in user. The twin has no decorator and DRF's implicit ``AllowAny``.
Lookit's API viewsets subclass django-rest-framework-json-api's ``ModelViewSet`` (a DRF
``ModelViewSet``): when that package is not installed where the scan runs, the class is still
a DRF view whose ``permission_classes = [IsAuthenticated]`` decide.
"""

from __future__ import annotations

from pathlib import Path

from tests.scan.projects import scan

FILES = {
    "app/models.py": """\
from django.conf import settings
from django.db import models

class Competition(models.Model):
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    title = models.CharField(max_length=50)
""",
    "app/views.py": """\
from rest_framework import permissions, views
from rest_framework.decorators import permission_classes
from rest_framework.response import Response
from rest_framework_json_api.views import ModelViewSet

from app.models import Competition


@permission_classes((permissions.IsAuthenticated,))
class CompetitionCreationApi(views.APIView):
    def post(self, request):
        competition = Competition.objects.create(creator=request.user, title=request.data["title"])
        return Response({"id": competition.pk})


class JsonApiCompetitions(ModelViewSet):
    queryset = Competition.objects.all()
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return Competition.objects.filter(creator=self.request.user)


class OpenCompetitionCreationApi(views.APIView):
    def post(self, request):
        competition = Competition.objects.create(creator=request.user, title=request.data["title"])
        return Response({"id": competition.pk})
""",
    "proj/urls.py": """\
from django.urls import path

from app import views

urlpatterns = [
    path("create/", views.CompetitionCreationApi.as_view()),
    path("open-create/", views.OpenCompetitionCreationApi.as_view()),
    path("json-api/", views.JsonApiCompetitions.as_view({"get": "list"})),
]
""",
}


def test_permission_classes_decorator_on_a_class_authenticates(tmp_path: Path) -> None:
    result = scan(tmp_path, FILES)
    open_views = {f.view for f in result.findings if f.rule_id == "MG101"}
    assert open_views == {"app.views.OpenCompetitionCreationApi"}
