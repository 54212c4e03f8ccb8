"""An object only named by the caller, the write being the caller's own relation to it.

Real-world shape (a held-out social reading site): ``block``/``unblock_book``/
``remove_follow`` fetch another user or a book by the id in the URL and then create or delete
the CALLER's block/follow/bookmark (``request.user.blocked_books.add(book)``,
``UserBlocks.objects.create(user_subject=request.user, user_object=target)``). MG104 reported
them as IDORs. They are informational now; a view that changes the fetched object itself
(``target.save()``, ``target.delete()``, a field update) keeps its severity.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Finding, Severity
from tests.scan.projects import scan

URLS = """\
from django.urls import path
from app import views
urlpatterns = [path("b/<int:pk>/", views.act)]
"""

MODELS = """\
from django.db import models
class Book(models.Model):
    owner = models.ForeignKey("auth.User", on_delete=models.CASCADE)
    title = models.CharField(max_length=50)
    work = models.ForeignKey("app.Book", null=True, on_delete=models.CASCADE)
class Block(models.Model):
    subject = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="+")
    book = models.ForeignKey(Book, on_delete=models.CASCADE)
"""

HEAD = """\
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from app.models import Block, Book

@login_required
def act(request, pk):
    book = get_object_or_404(Book, id=pk)
"""


def _finding(tmp_path: Path, body: str) -> Finding:
    views = HEAD + "".join(f"    {line}\n" for line in body.splitlines())
    result = scan(tmp_path, {"app/views.py": views, "app/models.py": MODELS, "proj/urls.py": URLS})
    found = [f for f in result.findings if f.rule_id == "MG104" and f.view == "app.views.act"]
    assert len(found) == 1, result.findings
    return found[0]


@pytest.mark.parametrize(
    "body",
    [
        "request.user.blocked_books.add(book.work)\nreturn redirect('blocks', book.id)",
        "clear_cache(book, request.user)\nreturn redirect('x')",
        "notify(request.user.id, book.id)\nreturn redirect('x')",
    ],
)
def test_the_callers_own_relation_is_informational(tmp_path: Path, body: str) -> None:
    finding = _finding(tmp_path, body)
    assert finding.severity is Severity.INFO
    assert "only named" in finding.evidence


@pytest.mark.parametrize(
    "body",
    [
        "book.delete()\nreturn redirect('x')",
        "book.title = request.POST['title']\nbook.save()\nreturn redirect('x')",
        "Block.objects.create(subject=request.user, book=book)\nbook.save()\nreturn redirect('x')",
        "request.user.blocked_books.add(book.work)\nbook.delete()",
    ],
)
def test_writes_to_the_fetched_object_keep_their_severity(tmp_path: Path, body: str) -> None:
    finding = _finding(tmp_path, body)
    assert "only named" not in finding.evidence
    baseline = _finding(tmp_path / "twin", "book.delete()\nreturn redirect('x')")
    assert finding.severity is baseline.severity
    assert finding.severity > Severity.LOW
