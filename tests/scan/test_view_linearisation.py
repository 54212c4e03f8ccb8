"""Which ``dispatch()`` runs first: Python's C3 order with Django's view classes expanded.

Real-world shape (a held-out accounting app): ``class YearList(YearArchiveView, ProtectedList)``
where ``ProtectedList(SecurityMixin, ArchiveIndexView)`` and ``SecurityMixin(LoginRequiredMixin,
PermissionRequiredMixin)``. ``View`` is shared by both bases, so Python puts it after everything
of ``ProtectedList``: ``LoginRequiredMixin.dispatch`` runs before ``View.dispatch``. The scanner
used to stop at the first generic view of the bases list and reported the view high.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.linearisation import DJANGO_CLASSES, django_mro, full_mro
from mtlsguard.scan.static.frontend import build_static_project
from tests.scan.projects import protections, reported_open, rule_ids, scan, write_project

URLS = """\
from django.urls import path
from app import views
urlpatterns = [path("v/", views.V.as_view())]
"""

HEADER = """\
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import HttpResponse
from django.views import View
from django.views.generic import ArchiveIndexView, DetailView, ListView, YearArchiveView
from app.models import Entry
"""

MODELS = """\
from django.db import models
class Entry(models.Model):
    owner = models.ForeignKey("auth.User", on_delete=models.CASCADE)
    created = models.DateTimeField()
"""

# (classes defined after HEADER, is the view protected?)
SHAPES = {
    "mixin in the second base, shared View": (
        """\
        class Security(LoginRequiredMixin, PermissionRequiredMixin):
            permission_required = []
        class ProtectedList(Security, ArchiveIndexView):
            model = Entry
            date_field = "created"
        class V(YearArchiveView, ProtectedList):
            make_object_list = True
        """,
        True,
    ),
    "mixin after a generic view in the same bases list": (
        """\
        class V(YearArchiveView, LoginRequiredMixin):
            model = Entry
            date_field = "created"
        """,
        False,
    ),
    "mixin-only base (no View) after a generic view": (
        """\
        class Security(LoginRequiredMixin):
            pass
        class V(DetailView, Security):
            model = Entry
        """,
        False,
    ),
    "first base defines dispatch without super()": (
        """\
        class Maintenance(View):
            def dispatch(self, request, *args, **kwargs):
                return HttpResponse("down")
        class ProtectedList(LoginRequiredMixin, ListView):
            model = Entry
        class V(Maintenance, ProtectedList):
            pass
        """,
        False,
    ),
    "no mixin in either base": (
        """\
        class PlainList(ArchiveIndexView):
            model = Entry
            date_field = "created"
        class V(YearArchiveView, PlainList):
            make_object_list = True
        """,
        False,
    ),
}


def _views(body: str) -> str:
    return HEADER + textwrap.dedent(body)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_auth_mixin_counts_where_python_runs_it(tmp_path: Path, shape: str) -> None:
    body, protected = SHAPES[shape]
    files = {"app/views.py": _views(body), "app/models.py": MODELS, "proj/urls.py": URLS}
    result = scan(tmp_path, files)
    assert protections(result, "v/")["GET"].authenticated is protected
    findings = [f for f in result.findings if f.rule_id == "MG101" and f.view == "app.views.V"]
    if protected:
        assert findings == []
    else:
        assert len(findings) == 1
        # a user-owned model, no check at all: reported open (it only reads, so high or low
        # with low confidence for weak evidence, never lowered by a mixin that does not run)
        assert reported_open(findings[0])


def _python_mros(source: str, names: list[str]) -> dict[str, list[str]]:
    """Ask the installed Django (in a fresh interpreter) for the real MROs, by class name."""
    script = textwrap.dedent(
        """\
        import json, sys
        import django
        from django.conf import settings
        settings.configure(INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"])
        django.setup()
        import django.contrib.auth.mixins as mixins
        import django.contrib.auth.views as auth_views
        from django.views.generic import base, dates, detail, edit, list as lists
        source, names = json.loads(sys.stdin.read())
        space = {}
        for module in (base, lists, detail, edit, dates, mixins, auth_views):
            space.update(vars(module))
        exec(source, space)
        print(json.dumps({n: [c.__name__ for c in space[n].__mro__][:-1] for n in names}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps([source, names]),
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, list[str]] = json.loads(done.stdout)
    return result


def test_modelled_django_hierarchy_matches_installed_django() -> None:
    expected = _python_mros("", sorted(DJANGO_CLASSES))
    for short in DJANGO_CLASSES:
        got = django_mro(short)
        assert got is not None, short
        assert [short_of(e) for e in got] == expected[short], short


def test_project_linearisation_matches_python(tmp_path: Path) -> None:
    bodies = {name: textwrap.dedent(body) for name, (body, _) in SHAPES.items()}
    for index, (name, body) in enumerate(sorted(bodies.items())):
        root = write_project(
            tmp_path / str(index),
            {"app/views.py": _views(body), "app/models.py": MODELS, "proj/urls.py": URLS},
        )
        model = build_static_project(root).model
        cls = model.class_named("app.views.V")
        assert cls is not None, name
        source = body.replace("model = Entry", "pass")
        expected = _python_mros("from django.http import HttpResponse\n" + source, ["V"])["V"]
        assert [short_of(e) for e in full_mro(model, cls)] == expected, name


def test_corpus_rule_ids_unchanged_for_plain_mixin_order(tmp_path: Path) -> None:
    views = _views(
        """\
        class V(LoginRequiredMixin, YearArchiveView):
            model = Entry
            date_field = "created"
        """
    )
    result = scan(tmp_path, {"app/views.py": views, "app/models.py": MODELS, "proj/urls.py": URLS})
    assert "MG101" not in rule_ids(result, "app.views.V")
