"""A package's file-serving view mounted under ``files/`` hands out user uploads (Nautobot).

GHSA-75mc-3pjc-727q: Nautobot 2.0.5 mounted ``path("files/", include("db_file_storage.urls"))``;
the package's ``get_file`` view returns any stored upload by name, to anyone. The fix routes
``files/get/`` to a project view that requires a login and a permission on the file. A package
view is judged by its name: ``serve``/``get_file``/``download_file`` under a media, upload or
files prefix serves user uploads (MG101), not public static assets.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Severity
from mtlsguard.scan.engine import Resolution, scan_project
from tests.scan.projects import write_project

PACKAGE = {
    "filestore/__init__.py": "",
    "filestore/views.py": """\
from django.http import HttpResponse

def get_file(request, add_attachment_headers):
    return HttpResponse(open(request.GET["name"], "rb"))
""",
    "filestore/urls.py": """\
from django.urls import re_path
from . import views

urlpatterns = [
    re_path(r"^download/", views.get_file, {"add_attachment_headers": True}),
    re_path(r"^get/", views.get_file, {"add_attachment_headers": False}),
]
""",
}

VULNERABLE = """\
from django.urls import include, path

urlpatterns = [path("files/", include("filestore.urls"))]
"""

FIXED = """\
from django.contrib.auth.decorators import login_required
from django.urls import path
from filestore.views import get_file

urlpatterns = [
    path("files/download/", login_required(get_file), {"add_attachment_headers": True}),
    path("files/get/", login_required(get_file), {"add_attachment_headers": False}),
]
"""


def _mg101(tmp_path: Path, urls: str) -> dict[str, Severity]:
    site = tmp_path / "site"
    for name, text in PACKAGE.items():
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    root = write_project(tmp_path / "project", {"proj/urls.py": urls})
    result = scan_project(root, resolution=Resolution(site_packages=(site,)))
    assert result.errors == ()
    assert result.unresolved == ()
    return {f.route or "": f.severity for f in result.findings if f.rule_id == "MG101"}


def test_a_package_file_view_under_files_is_unauthenticated_uploads(tmp_path: Path) -> None:
    assert _mg101(tmp_path, VULNERABLE) == {
        "files/download/": Severity.HIGH,
        "files/get/": Severity.HIGH,
    }


def test_the_same_view_behind_login_is_not_reported(tmp_path: Path) -> None:
    assert _mg101(tmp_path, FIXED) == {}
