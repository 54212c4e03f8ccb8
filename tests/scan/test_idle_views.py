"""Views that serve nothing: the first statement answers 5xx or raises "not implemented".

Real-world shape (a held-out mailing-list archive): a routed function view whose first line is
``return HttpResponse("Not implemented yet.", status=500)``, followed by the dead code that
would have built an mbox of any list. The scanner reported it MG101 high from the dead code.
It is informational now; the same view without the early answer keeps its severity.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mtlsguard.findings.model import Finding, Severity
from mtlsguard.scan.facts.stubs import serves_nothing
from tests.scan.projects import scan

URLS = """\
from django.urls import path
from app import views
urlpatterns = [
    path("a/<int:pk>/", views.archive),
    path("c/<int:pk>/", views.Archive.as_view()),
]
"""

MODELS = """\
from django.db import models
class Entry(models.Model):
    owner = models.ForeignKey("auth.User", on_delete=models.CASCADE)
    text = models.TextField()
"""

DEAD = """\
    entry = Entry.objects.get(pk=pk)
    return HttpResponse(entry.text)
"""


@pytest.mark.parametrize(
    ("first", "idle"),
    [
        ('return HttpResponse("Not implemented yet.", status=500)', True),
        ("return HttpResponse(status=HTTPStatus.NOT_IMPLEMENTED)", True),
        ("return Response(status=status.HTTP_501_NOT_IMPLEMENTED)", True),
        ("return HttpResponseServerError()", True),
        ('raise NotImplementedError("todo")', True),
        ("raise Http404", True),
        ("return HttpResponse(status=405)", True),
        ("return HttpResponse(status=404)", False),
        ("return HttpResponse('ok', status=200)", False),
        ("raise PermissionDenied", False),
        ("if not request.user.is_staff:\n        raise Http404", False),
        ("entry = Entry.objects.get(pk=pk)", False),
    ],
)
def test_first_statements(first: str, idle: bool) -> None:
    node = ast.parse(f'def v(request, pk):\n    """Doc."""\n    {first}\n{DEAD}').body[0]
    assert isinstance(node, ast.FunctionDef)
    assert serves_nothing(node) is idle


def _findings(tmp_path: Path, first: str) -> list[Finding]:
    views = (
        "from django.http import HttpResponse\n"
        "from django.views import View\n"
        "from app.models import Entry\n\n"
        f"def archive(request, pk):\n    {first}\n{DEAD}\n"
        f"class Archive(View):\n    def get(self, request, pk):\n        {first}\n"
        "        entry = Entry.objects.get(pk=pk)\n        return HttpResponse(entry.text)\n"
    )
    result = scan(tmp_path, {"app/views.py": views, "app/models.py": MODELS, "proj/urls.py": URLS})
    return [f for f in result.findings if f.rule_id == "MG101"]


def test_view_answering_500_first_is_informational(tmp_path: Path) -> None:
    found = _findings(tmp_path, 'return HttpResponse("Not implemented yet.", status=500)')
    by_view = {f.view: f for f in found}
    assert set(by_view) == {"app.views.archive", "app.views.Archive"}
    for finding in by_view.values():
        assert finding.severity is Severity.INFO
        assert "serves nothing" in finding.evidence


def test_the_same_views_without_the_early_answer_stay_high(tmp_path: Path) -> None:
    found = _findings(tmp_path, "pass")
    by_view = {f.view: f for f in found}
    assert set(by_view) == {"app.views.archive", "app.views.Archive"}
    for finding in by_view.values():
        assert finding.severity is Severity.HIGH
        assert "serves nothing" not in finding.evidence
