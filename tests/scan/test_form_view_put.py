"""Django's form views answer PUT with ``self.post()`` (``ProcessFormView.put``).

zds-site's ``ForumTopicsListView`` (an ``UpdateView``) decorates only ``post()`` with
``@method_decorator(login_required)``; Django routes PUT to that same ``post()``, so PUT is as
protected as POST. The scan reported PUT open to anonymous callers. The twins: a ``put()`` of the
project's own keeps its own (missing) gate, and a view that is no form view has no such PUT.
"""

from __future__ import annotations

from pathlib import Path

from tests.scan.projects import OWNED_NOTE_MODELS, protections, scan

VIEWS = """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views.generic import UpdateView

from app.models import Note


class NoteEdit(UpdateView):
    model = Note
    fields = ["text"]

    def get(self, request, *args, **kwargs):
        return HttpResponse("form")

    @method_decorator(login_required)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class NoteEditOwnPut(NoteEdit):
    def put(self, request, *args, **kwargs):
        return HttpResponse("replaced")
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("notes/<int:pk>/", views.NoteEdit.as_view()),
    path("notes/<int:pk>/put/", views.NoteEditOwnPut.as_view()),
]
"""


def test_put_of_a_form_view_is_gated_like_its_post(tmp_path: Path) -> None:
    files = {"app/models.py": OWNED_NOTE_MODELS, "app/views.py": VIEWS, "proj/urls.py": URLS}
    result = scan(tmp_path, files)
    found = protections(result, "notes/<int:pk>/")
    assert found["POST"].authenticated is True
    assert found["PUT"].authenticated is True, found["PUT"]
    assert "login_required" in found["PUT"].detail
    own = protections(result, "notes/<int:pk>/put/")
    assert own["POST"].authenticated is True
    assert own["PUT"].authenticated is False, own["PUT"]
