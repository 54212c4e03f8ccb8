"""A project package whose directory name has a hyphen (``adhocracy-plus/config/settings``).

Django loads ``DJANGO_SETTINGS_MODULE`` and ``ROOT_URLCONF`` with ``import_module()``, which
takes any directory name; only the ``import`` statement needs identifiers. The scan must resolve
them the same way, or it silently scans the project as a reusable app with default settings
(adhocracy+ gave 89 routes instead of 351).
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Severity
from tests.scan.projects import scan

FILES = {
    "manage.py": """\
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "my-site.config.settings")
""",
    "my-site/__init__.py": "",
    "my-site/config/__init__.py": "",
    "my-site/config/settings.py": """\
ROOT_URLCONF = "my-site.config.urls"
INSTALLED_APPS = ["django.contrib.auth", "rest_framework", "app"]
MIDDLEWARE = ["django.contrib.auth.middleware.LoginRequiredMiddleware"]
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
""",
    "my-site/config/urls.py": """\
from django.urls import path

from app import views

urlpatterns = [path("notes/<int:pk>/", views.note)]
""",
    "app/__init__.py": "",
    "app/models.py": """\
from django.conf import settings
from django.db import models


class Note(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    text = models.TextField()
""",
    "app/views.py": """\
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from app.models import Note


def note(request, pk):
    return HttpResponse(get_object_or_404(Note, pk=pk, owner=request.user).text)
""",
}


def test_hyphenated_settings_and_urlconf_are_resolved(tmp_path: Path) -> None:
    result = scan(tmp_path, FILES)
    assert result.settings_module == "my-site.config.settings"
    assert result.urlconf == "my-site.config.urls"
    assert not result.unresolved
    assert [r.pattern for r in result.routes] == ["notes/<int:pk>/"]
    # The project's LoginRequiredMiddleware is read, so the view is not reported as open.
    assert not [f for f in result.findings if f.rule_id == "MG101" and f.severity >= Severity.LOW]


def test_a_hyphenated_folder_is_no_settings_candidate(tmp_path: Path) -> None:
    """Only a name the project gives loads a hyphenated package: a demo's settings never win."""
    files = {
        "manage.py": "import sys\n",
        "a-demo/__init__.py": "",
        "a-demo/settings.py": 'ROOT_URLCONF = "proj.urls"\nINSTALLED_APPS = ["app"]\n',
        "proj/urls.py": "urlpatterns = []\n",
    }
    result = scan(tmp_path, files)
    assert result.settings_module == "proj.settings"
