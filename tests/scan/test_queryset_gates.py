"""A DRF generic view whose ``get_queryset()`` refuses unless a predicate about the caller holds.

Real-world shape (a held-out mailing-list archive API): ``ListAPIView.get_queryset()`` fetches
the list named in the URL and raises ``PermissionDenied`` unless ``is_authorized(self.request,
mlist)`` (public list, superuser or subscriber: it reads ``request.user``). MG101 reported the
GET as open to anyone (AllowAny by default). The same view without the predicate, or with a
predicate that never looks at the user, stays reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Finding, Severity
from tests.scan.projects import scan

URLS = """\
from django.urls import path
from app import views
urlpatterns = [path("l/<str:name>/entries/", views.Entries.as_view())]
"""

MODELS = """\
from django.db import models
class MList(models.Model):
    name = models.CharField(max_length=50)
    private = models.BooleanField(default=False)
class Entry(models.Model):
    owner = models.ForeignKey("auth.User", on_delete=models.CASCADE)
    mlist = models.ForeignKey(MList, on_delete=models.CASCADE)
"""

VIEWS = """\
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied
from app.models import Entry, MList

def is_authorized(request, mlist):
    if not mlist.private:
        return True
    return request.user.is_authenticated and request.user.is_superuser

def is_public(request, mlist):
    return not mlist.private

class EntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Entry
        fields = ["id"]

class Entries(generics.ListAPIView):
    serializer_class = EntrySerializer

    def get_queryset(self):
        mlist = MList.objects.get(name=self.kwargs["name"])
        {check}
        return Entry.objects.filter(mlist=mlist)
"""


def _findings(tmp_path: Path, check: str) -> list[Finding]:
    files = {
        "app/views.py": VIEWS.format(check=check),
        "app/models.py": MODELS,
        "proj/urls.py": URLS,
    }
    result = scan(tmp_path, files)
    return [f for f in result.findings if f.rule_id == "MG101" and f.view == "app.views.Entries"]


def test_predicate_about_the_caller_in_get_queryset_gates_the_list(tmp_path: Path) -> None:
    check = "if not is_authorized(self.request, mlist):\n            raise PermissionDenied"
    assert _findings(tmp_path, check) == []


@pytest.mark.parametrize(
    "check",
    [
        "pass",
        "if not is_public(self.request, mlist):\n            raise PermissionDenied",
        "is_authorized(self.request, mlist)",
    ],
)
def test_no_caller_predicate_stays_reported(tmp_path: Path, check: str) -> None:
    found = _findings(tmp_path, check)
    assert len(found) == 1
    assert found[0].severity is Severity.HIGH
