"""A view only members of a Django group reach is behind a role, like a global permission (ynr).

Democracy Club's ynr puts its moderation queues behind a project ``GroupRequiredMixin`` whose
``dispatch()`` refuses unless ``user_in_group(request.user, self.required_group_name)``; the
scan reported their lists as high-severity unscoped querysets (MG103), as if any signed-in user
reached them. A group over no object is a role: MG103 says low, as for a global permission
(``permission_required``). The twin, a check of the user's e-mail, stays high.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Severity
from tests.scan.projects import OWNED_NOTE_MODELS, scan

VIEWS = """\
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.http import HttpResponseForbidden
from django.utils.decorators import method_decorator
from django.views.generic import ListView

from app.models import Note


def user_in_group(user, name):
    return Group.objects.get(name=name) in user.groups.all()


def is_verified(user, name):
    return user.email.endswith(name)


class RoleRequiredMixin:
    @method_decorator(login_required)
    def dispatch(self, request, *args, **kwargs):
        if not {test}:
            return HttpResponseForbidden()
        return super().dispatch(request, *args, **kwargs)


class NoteQueue(RoleRequiredMixin, ListView):
    model = Note
    required_group_name = "moderators"
"""

URLS = """\
from django.urls import path

from app import views

urlpatterns = [path("queue/", views.NoteQueue.as_view())]
"""


@pytest.mark.parametrize(
    ("test", "severity"),
    [
        ("user_in_group(request.user, self.required_group_name)", Severity.LOW),
        ('request.user.groups.filter(name="moderators").exists()', Severity.LOW),
        ('is_verified(request.user, "@example.org")', Severity.HIGH),
    ],
)
def test_a_group_membership_check_is_a_role(tmp_path: Path, test: str, severity: Severity) -> None:
    files = {
        "app/models.py": OWNED_NOTE_MODELS,
        "app/views.py": VIEWS.replace("{test}", test),
        "proj/urls.py": URLS,
    }
    result = scan(tmp_path, files)
    mg103 = [f for f in result.findings if f.rule_id == "MG103" and f.view == "app.views.NoteQueue"]
    assert [f.severity for f in mg103] == [severity], mg103
