"""An owner test whose refusal follows a message kept in a local, or a log line (EvalAI).

EvalAI's ``get_submission_by_pk`` serves the submission only ``if request.user.id ==
submission.created_by.id or <the caller hosts its challenge>``; after that block it sets
``response_data = {"error": "Sorry, you are not authorized..."}`` and returns it with a 401. The
scan looked only at the statement right after the ``if`` for the refusal, found the message and
reported an IDOR. The twins stay reported: the same shape answering 200 after the block, and a
statement with an effect (a save) between the block and the refusal.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scan.projects import OWNED_NOTE_MODELS, scan

VIEW = """\
import logging

from rest_framework import permissions, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from app.models import Note

logger = logging.getLogger(__name__)


@api_view(["GET"])
@permission_classes((permissions.IsAuthenticated,))
def note(request, note_id):
    note = Note.objects.get(pk=note_id)
    if request.user.id == note.owner.id:
        return Response({"text": note.text})
    {between}
    return Response(response_data, status={status})
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [path("notes/<int:note_id>/", views.note)]
"""


@pytest.mark.parametrize(
    ("between", "status", "reported"),
    [
        ('response_data = {"error": "not yours"}', "status.HTTP_401_UNAUTHORIZED", False),
        (
            'logger.warning("refused %s", request.user)\n    response_data = {"error": "no"}',
            "status.HTTP_403_FORBIDDEN",
            False,
        ),
        ('response_data = {"error": "not yours"}', "status.HTTP_200_OK", True),
        ('note.save()\n    response_data = {"error": "no"}', "status.HTTP_403_FORBIDDEN", True),
    ],
)
def test_a_refusal_after_its_message(
    tmp_path: Path, between: str, status: str, reported: bool
) -> None:
    view = VIEW.replace("{between}", between).replace("{status}", status)
    result = scan(
        tmp_path, {"app/models.py": OWNED_NOTE_MODELS, "app/views.py": view, "proj/urls.py": URLS}
    )
    assert result.errors == ()
    mg104 = [f for f in result.findings if f.rule_id == "MG104"]
    assert bool(mg104) is reported, mg104
