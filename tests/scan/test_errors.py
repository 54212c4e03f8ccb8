"""Unreadable or unparsable files become scan errors; the scan goes on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mtlsguard.scan.engine import scan_project
from mtlsguard.scan.static.source import MAX_FILE_BYTES
from tests.scan.projects import write_project

URLS = """\
from django.urls import path
from app import good, broken
urlpatterns = [path("good/", good.v), path("broken/", broken.v)]
"""


def _scan_with_broken(tmp_path: Path, write_broken) -> tuple[dict[str, str], list[str]]:
    root = write_project(
        tmp_path, {"proj/urls.py": URLS, "app/good.py": "def v(request):\n    return 1\n"}
    )
    write_broken(root / "app" / "broken.py")
    result = scan_project(root)
    routes = {r.pattern: r.view for r in result.routes}
    assert routes["good/"] == "app.good.v"
    assert [f.rule_id for f in result.findings if f.view == "app.good.v"] == ["MG101"]
    return routes, [f"{e.path}: {e.message}" for e in result.errors]


def test_syntax_error(tmp_path: Path) -> None:
    _routes, errors = _scan_with_broken(
        tmp_path, lambda p: p.write_text("def v(request:\n    pass\n")
    )
    assert len(errors) == 1
    assert errors[0].startswith("app/broken.py: syntax error at line 1")


def test_bad_encoding(tmp_path: Path) -> None:
    _routes, errors = _scan_with_broken(
        tmp_path, lambda p: p.write_bytes(b"def v(request):\n    return '\xff\xfe\xfa'\n")
    )
    assert len(errors) == 1
    assert errors[0].startswith("app/broken.py:")
    assert "utf-8" in errors[0].lower() or "decode" in errors[0].lower()


def test_null_bytes(tmp_path: Path) -> None:
    _routes, errors = _scan_with_broken(tmp_path, lambda p: p.write_bytes(b"x = 1\x00\n"))
    assert len(errors) == 1


def test_file_over_10_mb(tmp_path: Path) -> None:
    def big(path: Path) -> None:
        with path.open("wb") as fh:
            fh.write(b"def v(request):\n    return 1\n")
            fh.write(b"#" * (MAX_FILE_BYTES + 1))

    _routes, errors = _scan_with_broken(tmp_path, big)
    assert len(errors) == 1
    assert "too large" in errors[0]


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_symlink_loop(tmp_path: Path) -> None:
    def loop(path: Path) -> None:
        other = path.with_name("other.py")
        other.symlink_to(path)
        path.symlink_to(other)

    _routes, errors = _scan_with_broken(tmp_path, loop)
    assert len(errors) == 1
    assert "symlink" in errors[0]


def test_directory_symlink_loop_is_not_followed(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            "proj/urls.py": "from django.urls import path\nfrom app import good\n"
            "urlpatterns = [path('g/', good.v)]\n",
            "app/good.py": "def v(request): pass\n",
        },
    )
    (root / "app" / "loop").symlink_to(root / "app")
    result = scan_project(root)
    assert [r.pattern for r in result.routes] == ["g/"]


def test_root_that_is_not_a_directory(tmp_path: Path) -> None:
    result = scan_project(tmp_path / "missing")
    assert result.routes == ()
    assert len(result.errors) == 1
    assert result.errors[0].message == "not a directory"


def test_broken_settings_module(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"proj/urls.py": "urlpatterns = []\n"})
    (root / "proj" / "settings.py").write_text("ROOT_URLCONF = (\n")
    result = scan_project(root)
    assert result.routes == ()
    assert [e.path for e in result.errors] == ["proj/settings.py"]
