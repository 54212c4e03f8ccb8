"""A decorator refusing when the request carries no resolved principal (held-out set 9, Takahē).

Takahē's ``ApiTokenMiddleware`` sets ``request.identity`` and ``request.token`` from a bearer
token; its ``@scope_required`` answers 401 unless they are set (``if not request.identity and
requires_identity: return JsonResponse(..., status=401)``). Views behind it are authenticated.
The twin reads ``request.identity`` only to choose what to show and stays open.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import ScanResult
from tests.scan.projects import OWNED_NOTE_MODELS, reported_open, scan

DECORATORS = """\
from functools import wraps

from django.http import JsonResponse


def scope_required(scope, requires_identity=True):
    def decorator(function):
        @wraps(function)
        def inner(request, *args, **kwargs):
            if not request.identity and requires_identity:
                return JsonResponse({"error": "identity_token_required"}, status=401)
            return function(request, *args, **kwargs)

        return inner

    return decorator
"""

VIEWS = """\
from django.http import JsonResponse

from app.decorators import scope_required
from app.models import Note


@scope_required("read")
def notes(request):
    return JsonResponse({"n": list(Note.objects.values("text"))})


def maybe(request):
    name = request.identity.name if request.identity else "guest"
    return JsonResponse({"n": list(Note.objects.values("text")), "who": name})
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [path("notes/", views.notes), path("maybe/", views.maybe)]
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root: Path = tmp_path_factory.mktemp("principals")
    files = {
        "app/decorators.py": DECORATORS,
        "app/models.py": OWNED_NOTE_MODELS,
        "app/views.py": VIEWS,
        "proj/urls.py": URLS,
    }
    return scan(root, files)


def test_refusing_without_a_resolved_principal_authenticates(result: ScanResult) -> None:
    assert not [f for f in result.findings if f.view == "app.views.notes"]


def test_reading_the_principal_without_refusing_stays_open(result: ScanResult) -> None:
    found = [f for f in result.findings if f.view == "app.views.maybe" and f.rule_id == "MG101"]
    # reported open: high, or low only because it just reads the notes (weak evidence)
    assert [reported_open(f) for f in found] == [True]
