"""A scan that could not see everything never passes silently (exit 2), unless asked to.

Each case is one way the static front-end goes blind on a real project: a file on a route's
path that does not parse, a settings module or URLconf it cannot resolve, an ``include()`` of
a package installed nowhere, no route in a tree with views. ``mtlsguard scan`` and ``routes``
exit 2 and say what and why; with ``--allow-partial`` they report it and exit by findings.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from mtlsguard.cli.main import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, main
from tests.scan.projects import write_project

CORPUS = Path(__file__).parent.parent / "scan" / "resolution_corpus"

VIEWS = "from django.http import HttpResponse\n\ndef a(request):\n    return HttpResponse()\n"
URLS = 'from django.urls import path\nfrom app import views\nurlpatterns = [path("a/", views.a)]\n'
MISSING_INCLUDE = (
    'from django.urls import include\nurlpatterns += [path("p/", include("nopkg.urls"))]\n'
)


def _run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else EXIT_ERROR
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def _project(tmp_path: Path, files: dict[str, str], settings_extra: str = "") -> Path:
    base = {"app/views.py": VIEWS, "proj/urls.py": URLS}
    return write_project(tmp_path, {**base, **files}, settings_extra=settings_extra)


SILENT_CASES = [
    pytest.param(
        {"app/views.py": "def a(request:\n"},
        "",
        [],
        "app/views.py: could not be scanned: syntax error",
        id="unparsable-file-on-a-route",
    ),
    pytest.param(
        {},
        "ROOT_URLCONF = compute_urlconf()\n",
        [],
        "urlconf ROOT_URLCONF: computed at run time",
        id="computed-urlconf",
    ),
    pytest.param(
        {},
        "",
        ["--settings", "proj.missing"],
        "settings proj.missing: the --settings module is not in the project",
        id="missing-settings-override",
    ),
    pytest.param(
        {"manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "gone.conf")\n'},
        "",
        [],
        "settings gone.conf: DJANGO_SETTINGS_MODULE in manage.py names a module that is not",
        id="declared-settings-missing",
    ),
    pytest.param(
        {},
        "",
        ["--urlconf", "proj.nowhere"],
        "urlconf proj.nowhere: the root URLconf module is not in the project",
        id="missing-urlconf",
    ),
    pytest.param(
        {"proj/urls.py": URLS + MISSING_INCLUDE},
        "",
        [],
        "proj/urls.py:5: include nopkg.urls: not found in the project nor in the environment",
        id="include-installed-nowhere",
    ),
    pytest.param(
        {"proj/urls.py": "urlpatterns = []\n"},
        "",
        [],
        "routes proj.urls: the URLconf yields no route although the tree has Django views",
        id="no-route-but-views",
    ),
]


@pytest.mark.parametrize(("files", "settings_extra", "options", "message"), SILENT_CASES)
@pytest.mark.parametrize("command", ["scan", "routes"])
def test_a_partial_scan_exits_2_with_what_and_why(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, str],
    settings_extra: str,
    options: list[str],
    message: str,
    command: str,
) -> None:
    root = _project(tmp_path, files, settings_extra)
    code, out, err = _run(capsys, command, root, *options)
    assert code == EXIT_ERROR
    assert out == ""
    assert "is incomplete" in err
    assert message in " ".join(err.split())
    assert "--allow-partial" in err


@pytest.mark.parametrize(("files", "settings_extra", "options", "message"), SILENT_CASES)
def test_allow_partial_reports_the_unresolved_items_and_exits_by_findings(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, str],
    settings_extra: str,
    options: list[str],
    message: str,
) -> None:
    root = _project(tmp_path, files, settings_extra)
    code, out, _err = _run(capsys, "scan", root, *options, "--allow-partial", "-f", "json")
    assert code in (EXIT_OK, EXIT_FINDINGS)
    doc = json.loads(out)
    reported = [
        f"{u['kind']} {u['item']}: {u['reason']}" for u in doc["resolution"]["unresolved"]
    ] + [f"{e['path']}: could not be scanned: {e['message']}" for e in doc["errors"]]
    assert any(message.split(": ", 1)[-1] in line for line in reported), reported


def test_every_format_says_what_was_used_and_what_is_unresolved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(
        tmp_path,
        {"proj/urls.py": URLS + MISSING_INCLUDE},
    )
    partial = ("--allow-partial",)
    for fmt in ("text", "html"):
        _code, out, _ = _run(capsys, "scan", root, *partial, "-f", fmt)
        assert "settings: proj.settings; URLconf: proj.urls" in out, fmt
        assert "unresolved" in out, fmt
        assert "nopkg.urls" in out, fmt
    _code, out, _ = _run(capsys, "scan", root, *partial, "-f", "sarif")
    run = json.loads(out)["runs"][0]
    assert run["properties"]["resolution"]["urlconf"] == "proj.urls"
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("nopkg.urls" in n["message"]["text"] for n in notes)
    _code, out, _ = _run(capsys, "routes", root, *partial, "-f", "table")
    assert "settings: proj.settings; URLconf: proj.urls" in out
    assert "nopkg.urls" in out
    _code, out, _ = _run(capsys, "routes", root, *partial, "-f", "json")
    assert json.loads(out)["resolution"]["settings_module"] == "proj.settings"
    _code, out, _ = _run(capsys, "routes", root, *partial, "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {"pattern": "<urlconf>", "view": "proj.urls"}.items() <= rows[-2].items()
    assert (rows[-1]["pattern"], rows[-1]["status"]) == ("nopkg.urls", "unresolved")


def test_site_packages_option_resolves_an_installed_include(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = CORPUS / "installed"
    code, _out, err = _run(capsys, "routes", root, "-f", "json")
    assert code == EXIT_ERROR
    assert "vendored_reports.urls" in err
    code, out, _err = _run(
        capsys, "routes", root, "-f", "json", "--site-packages", CORPUS / "_site"
    )
    patterns = [r["pattern"] for r in json.loads(out)["routes"]]
    assert "reports/export/" in patterns
    assert "accounts/login/" in patterns
    assert code in (EXIT_OK, EXIT_FINDINGS)


def test_a_reusable_app_says_so_instead_of_nothing_scanned(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = _run(capsys, "scan", CORPUS / "reusable_urls")
    assert code == EXIT_FINDINGS, err
    assert "scanned as a reusable app" in out
    assert "MG101" in out
