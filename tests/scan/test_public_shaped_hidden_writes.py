"""An open route is "public-shaped, low" only when every write and read is in sight (red team 2).

A write four calls down (past the depth read; a helper in a file the scan has not read is
not followed yet), one three calls down, ``getattr(a, "delete")()``, ``map(Article.delete,
qs)``, ``methodcaller("delete")`` or a method named at run time (``getattr(a, name)()``) hide
what the code changes (``getattr(a, field)`` read as a value and ``map(str, rows)`` do not);
``values("author__email")`` hands out the author's account fields although the record is only
authored. Each keeps MG101 high but the first: a call chain deeper than the scan follows may
hide a write, which is weak evidence (low with low confidence, saying it would be high because
the calls go deeper). The plain catalogue read stays low, public-shaped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.model import Finding, Severity
from tests.scan.projects import scan, weak_reason

MODELS = """\
from django.conf import settings
from django.db import models


class Article(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    title = models.CharField(max_length=100)
"""

SERVICES = """\
from app.models import Article


def level1():
    level2()


def level2():
    level3()


def level3():
    Article.objects.all().delete()


def shallow():
    return list(Article.objects.values_list("title", flat=True))
"""

HEAD = """\
import operator

from django.http import JsonResponse

from app import services
from app.models import Article


def level1():
    level2()


def level2():
    level3()


def level3():
    level4()


def level4():
    Article.objects.all().delete()


def third():
    level4()


def read1():
    return read2()


def read2():
    return read3()


def read3():
    return list(Article.objects.values_list("title", flat=True))


def view(request):
"""

DEEP = "    level1()\n"  # the write is four calls down: past the depth read
BODIES = {
    "third": "    level2()\n",  # three calls down: read, and a write
    "dyn": '    for a in Article.objects.all():\n        getattr(a, "delete")()\n',
    "mapped": "    list(map(Article.delete, Article.objects.all()))\n",
    "caller": '    list(map(operator.methodcaller("delete"), Article.objects.all()))\n',
    # a method named by the caller: any of them
    "dyn_name": '    for a in Article.objects.all():\n        getattr(a, request.GET["m"])()\n',
    "caller_name": (
        '    list(map(operator.methodcaller(request.GET["m"]), Article.objects.all()))\n'
    ),
    "emails": '    list(Article.objects.values("title", "author__email", "author__password"))\n',
    "nested": '    list(Article.objects.values("author__profile__phone"))\n',
}
SAFE = {
    "plain": "    list(Article.objects.values_list('title', flat=True))\n",
    "helper": "    services.shallow()\n",
    # three calls down, all read (patchew's search, WebODM's public task JSON)
    "helper3": "    read1()\n",
    "author_id": '    list(Article.objects.values("title", "author_id"))\n',
    # an attribute read by name, a function mapped over rows (Kolibri Studio's serializers)
    "getattr_value": (
        '    [{f: getattr(a, f) for f in ("title",)} for a in Article.objects.all()]\n'
    ),
    "map_value": "    list(map(str, Article.objects.all()))\n",
}
_RETURN = '    return JsonResponse({"t": [a.title for a in Article.objects.all()]})\n'
URLS = (
    "from django.urls import path\nfrom app import views\n\n"
    "urlpatterns = [path('x/', views.view)]\n"
)


def _finding(tmp_path: Path, body: str) -> Finding:
    files = {
        "app/models.py": MODELS,
        "app/services.py": SERVICES,
        "app/views.py": HEAD + body + _RETURN,
        "proj/urls.py": URLS,
    }
    result = scan(tmp_path, files)
    (found,) = [f for f in result.findings if f.rule_id == "MG101"]
    return found


@pytest.mark.parametrize("body", BODIES.values(), ids=list(BODIES))
def test_hidden_writes_and_account_reads_stay_high(tmp_path: Path, body: str) -> None:
    assert _finding(tmp_path, body).severity == Severity.HIGH


def test_calls_deeper_than_followed_are_weak_evidence_not_public(tmp_path: Path) -> None:
    finding = _finding(tmp_path, DEEP)
    assert weak_reason(finding) == (
        "its calls go deeper than the scan follows, so a write may be further down"
    )
    assert "the shape of public content" not in finding.evidence


@pytest.mark.parametrize("body", SAFE.values(), ids=list(SAFE))
def test_a_plain_catalogue_read_stays_low(tmp_path: Path, body: str) -> None:
    finding = _finding(tmp_path, body)
    assert finding.severity == Severity.LOW
    assert weak_reason(finding) is None
    assert "the shape of public content" in finding.evidence
