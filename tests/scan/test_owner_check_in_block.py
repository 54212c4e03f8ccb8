"""An owner check kept in a local and decided inside a ``with`` block (zds-site's ``PostEdit``).

``dispatch()`` fetches the post, keeps ``is_author = self.object.author == request.user`` and,
inside ``with transaction.atomic():``, hands on to ``super().dispatch()`` only ``if is_author
or request.user.has_perm("forum.change_post")``; ``raise PermissionDenied`` follows the block.
The scan read neither the tested local nor the refusal after the block and reported an IDOR.
The twins keep the finding: nothing refuses after the block, or the local tests no user.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scan.projects import OWNED_NOTE_MODELS, scan

VIEW = """\
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.views.generic import UpdateView

from app.models import Note


class NoteEdit(UpdateView):
    model = Note
    fields = ["text"]

    def get_object(self, queryset=None):
        return get_object_or_404(Note, pk=self.kwargs["pk"])

    @method_decorator(login_required)
    def dispatch(self, request, *args, **kwargs):
        self.object = self.get_object()
        is_author = {test}
        with transaction.atomic():
            if is_author or request.user.has_perm("app.change_note"):
                return super().dispatch(request, *args, **kwargs)
        {after}
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [path("notes/<int:pk>/edit/", views.NoteEdit.as_view())]
"""


@pytest.mark.parametrize(
    ("test", "after", "reported"),
    [
        ("self.object.owner == request.user", "raise PermissionDenied", False),
        (
            "self.object.owner == request.user",
            "return super().dispatch(request, *args, **kwargs)",
            True,
        ),
        ("self.object.text != ''", "raise PermissionDenied", True),
    ],
)
def test_an_owner_check_decided_inside_a_block(
    tmp_path: Path, test: str, after: str, reported: bool
) -> None:
    files = {
        "app/models.py": OWNED_NOTE_MODELS,
        "app/views.py": VIEW.replace("{test}", test).replace("{after}", after),
        "proj/urls.py": URLS,
    }
    result = scan(tmp_path, files)
    mg104 = [f for f in result.findings if f.rule_id == "MG104" and f.view == "app.views.NoteEdit"]
    assert bool(mg104) is reported, mg104


def test_a_block_whose_last_test_does_not_refuse_checks_nothing(tmp_path: Path) -> None:
    """Red-team case: the note is saved first; the ``if`` only notifies; the redirect after the
    block is no refusal of the edit."""
    files = {
        "app/models.py": OWNED_NOTE_MODELS,
        "app/notify.py": "def notify(user, text):\n    pass\n",
        "app/views.py": """\
            from django.contrib.auth.decorators import login_required
            from django.db import transaction
            from django.shortcuts import get_object_or_404, redirect

            from app.models import Note
            from app.notify import notify


            @login_required
            def edit_note(request, pk):
                with transaction.atomic():
                    note = get_object_or_404(Note, pk=pk)
                    note.text = request.POST["text"]
                    note.save()
                    if note.owner != request.user:
                        notify(note.owner, "your note was edited")
                return redirect("/notes/")
            """,
        "proj/urls.py": """\
            from django.urls import path

            from app import views

            urlpatterns = [path("notes/<int:pk>/edit/", views.edit_note)]
            """,
    }
    result = scan(tmp_path, files)
    assert [f.rule_id for f in result.findings if f.view == "app.views.edit_note"] == ["MG104"]
