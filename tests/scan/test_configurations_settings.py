"""Settings written with django-configurations are read from the production class.

``class Base(Configuration)`` holds ``INSTALLED_APPS``, ``ROOT_URLCONF`` and
``REST_FRAMEWORK``; ``class Production(Base)`` turns DEBUG off and requires authentication;
``class Development(Base)`` turns DEBUG on. Joanie, Marsha, Richie, La Suite Drive and Froide
are built this way: without reading the classes the scan found no settings and judged the
project as a reusable app with DRF's ``AllowAny`` default and every debug URLconf mounted. The
report names the class it used.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult
from mtlsguard.scan.static.frontend import build_static_project
from tests.scan.projects import scan, write_project

FILES = {
    "proj/settings.py": """\
from configurations import Configuration, values


class Base(Configuration):
    SECRET_KEY = values.Value("insecure")
    DEBUG = values.BooleanValue(True)
    INSTALLED_APPS = ["django.contrib.auth", "rest_framework", "app"]
    ROOT_URLCONF = "proj.urls"
    AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    ]
    REST_FRAMEWORK = {
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    }


class Development(Base):
    DEBUG = True


class Production(Base):
    DEBUG = values.BooleanValue(False)
    REST_FRAMEWORK = {
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }
""",
    "app/models.py": """\
from django.conf import settings
from django.db import models


class Note(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    text = models.TextField()
""",
    "app/views.py": """\
from rest_framework.response import Response
from rest_framework.views import APIView

from app.models import Note


class NoteList(APIView):
    def get(self, request):
        return Response([n.text for n in Note.objects.filter(owner=request.user)])


class DebugNotes(APIView):
    def get(self, request):
        return Response([n.text for n in Note.objects.all()])
""",
    "proj/urls.py": """\
from django.conf import settings
from django.urls import path

from app import views

urlpatterns = [path("notes/", views.NoteList.as_view())]

if settings.DEBUG:
    urlpatterns += [path("debug/notes/", views.DebugNotes.as_view())]
""",
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return scan(Path(tmp_path_factory.mktemp("configurations")), FILES)


def test_the_production_class_is_read_and_named(tmp_path: Path) -> None:
    project = build_static_project(write_project(tmp_path, FILES))
    assert project.model.settings is not None
    assert project.model.settings.configuration == "Production"
    assert any("class Production" in note for note in project.assumptions)
    assert project.urlconf == "proj.urls"


def test_production_settings_decide_permissions_and_debug_routes(result: ScanResult) -> None:
    assert result.settings_module == "proj.settings"
    assert not [f for f in result.findings if f.rule_id == "MG101"]
    assert {r.pattern for r in result.routes} == {"notes/"}
