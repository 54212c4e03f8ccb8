"""``FunctionModel.may_authenticate``: a cheap, certain "no" before a body's facts are computed.

A call's resolved name ends in a name of the module's own text, so a module that never names
``authenticate``/``check_password`` as a whole identifier (``is_authenticated`` does not count)
has no credential check; MG204, MG106 and login-view detection then skip computing the body's
facts. The answer must never be "no" for a body whose ``facts.authenticates`` is true: aliases,
attribute calls and module-level assignments resolve to such names too, and non-ASCII source
may spell them in characters Python reads as the same identifier (NFKC).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.scan.project_model import FunctionModel
from mtlsguard.scan.static.frontend import build_static_project
from tests.scan.projects import write_project

URLS = """\
from django.urls import path
from app import views
urlpatterns = [path("v/", views.v)]
"""


def _function(tmp_path: Path, views: str, *, encoding: str = "utf-8") -> FunctionModel:
    root = write_project(tmp_path, {"proj/urls.py": URLS})
    (root / "app" / "views.py").write_bytes(views.encode(encoding))
    project = build_static_project(root).model
    func = project.function_named("app.views.v")
    assert func is not None
    return func


@pytest.mark.parametrize(
    "views",
    [
        # the plain call, an alias, an attribute call, a module-level assignment
        "from django.contrib.auth import authenticate\n"
        "def v(request):\n    return authenticate(request, username='a', password='b')\n",
        "from django.contrib.auth import authenticate as dj_auth\n"
        "def v(request):\n    return dj_auth(request, username='a', password='b')\n",
        "def v(request):\n    return request.user.check_password(request.POST['p'])\n",
        "from django.contrib import auth\nverify = auth.authenticate\n"
        "def v(request):\n    return verify(request, username='a', password='b')\n",
        # fullwidth letters are the same identifier for Python (NFKC)
        "from django.contrib.auth import \uff41uthenticate\n"
        "def v(request):\n    return \uff41uthenticate(request, username='a', password='b')\n",
    ],
)
def test_a_credential_call_is_never_ruled_out(tmp_path: Path, views: str) -> None:
    func = _function(tmp_path, views)
    assert func.facts.authenticates
    assert func.may_authenticate()


def test_is_authenticated_alone_rules_the_credential_check_out(tmp_path: Path) -> None:
    views = (
        "# no credential check here\n"
        "def v(request):\n"
        "    if not request.user.is_authenticated:\n"
        "        return None\n"
        "    return request.user.authenticated_at\n"
    )
    func = _function(tmp_path, views)
    assert not func.may_authenticate()
    assert not func.facts.authenticates


def test_other_non_ascii_text_does_not_make_it_a_maybe(tmp_path: Path) -> None:
    views = (
        "def v(request):\n"
        "    return request.user.is_authenticated and 'Gr\u00f6\u00dfe \u2013 \u20ac'\n"
    )
    assert not _function(tmp_path, views).may_authenticate()


def test_another_encoding_is_a_maybe(tmp_path: Path) -> None:
    views = "# -*- coding: latin-1 -*-\ndef v(request):\n    return 'ª'\n"
    func = _function(tmp_path, views, encoding="latin-1")
    assert func.may_authenticate()
    assert not func.facts.authenticates
