"""``manage.py mtlsguard``: runtime introspection through the shared rule engine.

Every project runs in its own interpreter (``tests/django/scanner/runner.py`` or the real
``manage.py``) with its own ``DJANGO_SETTINGS_MODULE``, so settings never collide with each
other or with ``tests/django``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from mtlsguard.scan.engine import scan_project
from tests.scan.corpus_labels import CORPUS, read_labels

REPO = Path(__file__).resolve().parents[3]
RUNTIME_CORPUS = REPO / "tests" / "introspect_corpus"
EXAMPLES = REPO / "examples"

# Labelled projects that import with what is installed here (the other static corpus projects
# need third-party apps: axes, django-otp, two_factor, stronghold).
LABELLED = (
    (RUNTIME_CORPUS / "runtime", "rtproj.settings"),
    (CORPUS / "drf", "api_project.settings"),
    (CORPUS / "fviews", "fvproj.settings"),
    (CORPUS / "loginmw", "portal.settings"),
    (CORPUS / "seed", "seedproj.settings"),
)
EXAMPLE_PROJECTS = (
    (EXAMPLES / "vulnerable", "vulnerable_site.settings"),
    (EXAMPLES / "hardened", "hardened_site.settings"),
)

Item = tuple[str, str, str, int]


def _env(settings_module: str) -> dict[str, str]:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = settings_module
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO / "src"), str(REPO), *filter(None, [env.get("PYTHONPATH")])]
    )
    return env


def introspect(project: Path, settings_module: str) -> dict[str, Any]:
    """Findings and routes of ``project`` as the runtime front-end sees them."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.django.scanner.runner", str(project), settings_module],
        cwd=REPO,
        env=_env(settings_module),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def runtime_results() -> dict[str, dict[str, Any]]:
    return {p.name: introspect(p, s) for p, s in LABELLED + EXAMPLE_PROJECTS}


def _evaluation(results: dict[str, dict[str, Any]]) -> tuple[set[Item], set[Item], int]:
    expected: set[Item] = set()
    found: set[Item] = set()
    cases = 0
    for project, _settings in LABELLED:
        labels = read_labels(project)
        cases += labels.view_cases + labels.settings_cases
        expected |= labels.positives
        data = results[project.name]
        assert data["errors"] == [], data["errors"]
        for f in data["findings"]:
            found.add((project.name, f["rule"], f["path"], f["line"]))
    return expected, found, cases


def test_introspection_precision_and_recall_at_least_098(
    runtime_results: dict[str, dict[str, Any]],
) -> None:
    expected, found, cases = _evaluation(runtime_results)
    assert cases >= 100
    assert len(expected) >= 50
    true_pos = expected & found
    precision = len(true_pos) / len(found) if found else 0.0
    recall = len(true_pos) / len(expected) if expected else 0.0
    print(f"introspection: precision={precision:.3f} recall={recall:.3f} tp={len(true_pos)}")
    assert precision >= 0.98, f"false positives: {sorted(found - expected)}"
    assert recall >= 0.98, f"false negatives: {sorted(expected - found)}"


def test_labelled_negatives_have_no_runtime_findings(
    runtime_results: dict[str, dict[str, Any]],
) -> None:
    _expected, found, _cases = _evaluation(runtime_results)
    negatives: set[tuple[str, str, int]] = set()
    for project, _settings in LABELLED:
        negatives |= read_labels(project).negatives
    assert sorted(f for f in found if (f[0], f[2], f[3]) in negatives) == []


def test_runtime_sees_what_the_source_cannot(runtime_results: dict[str, dict[str, Any]]) -> None:
    # Routes made in a loop and a view class made by a factory: only the resolver knows them.
    data = runtime_results["runtime"]
    open_routes = {
        route
        for f in data["findings"]
        if f["rule"] == "MG101"
        for route in (f["route"], *f.get("also_routes", ()))
    }
    assert {"slot-0/<slot>/", "slot-1/<slot>/", "slot-2/<slot>/", "api/report/"} <= open_routes
    static = scan_project(RUNTIME_CORPUS / "runtime")
    static_routes = {f.route for f in static.findings}
    assert "slot-1/<slot>/" not in static_routes
    assert "api/report/" not in static_routes
    routes = {r["pattern"]: r for r in data["routes"]}
    # Decorators applied in urls.py are read from the __wrapped__ chain.
    assert routes["pages/wrapped/"]["protections"] == [["*", True, "decorator"]]
    static_by_route = {r.pattern: r for r in static.routes}
    wrapped_cbv = static_by_route["pages/decorated-in-urls/"].protections
    assert routes["pages/decorated-in-urls/"]["protections"] == [
        [p.method, p.authenticated, p.decided_by] for p in wrapped_cbv
    ]
    assert wrapped_cbv[0].authenticated is True
    assert routes["pages/wrapped-twice/"]["protections"] == [["*", True, "decorator"]]
    # as_view(permission_classes=...) and @action(permission_classes=...) override the class.
    assert routes["api/opened/"]["protections"] == [["GET", False, "class"]]
    assert routes["api/closed/"]["protections"] == [["GET", True, "class"]]
    assert routes["api/currencies/refresh/"]["protections"][0][:2] == ["POST", False]
    # @api_view functions are routed to the function, not DRF's generated class.
    assert routes["api/open-fn/"]["view"] == "casebook.api.open_function"


@pytest.mark.parametrize(("project", "settings_module"), EXAMPLE_PROJECTS)
def test_static_scan_and_introspection_agree_on_the_examples(
    runtime_results: dict[str, dict[str, Any]], project: Path, settings_module: str
) -> None:
    runtime: dict[str | None, set[str]] = defaultdict(set)
    for f in runtime_results[project.name]["findings"]:
        runtime[f["route"]].add(f["rule"])
    static: dict[str | None, set[str]] = defaultdict(set)
    for finding in scan_project(project).findings:
        static[finding.route].add(finding.rule_id)
    assert dict(runtime) == dict(static)
    runtime_routes = {(r["pattern"], r["view"]) for r in runtime_results[project.name]["routes"]}
    static_routes = {(r.pattern, r.view) for r in scan_project(project).routes}
    assert runtime_routes == static_routes
    if project.name == "vulnerable":
        assert runtime["billing/"] >= {"MG102"}
        assert "MG101" in runtime["api/accounts/<int:pk>/"]


# --- the management command --------------------------------------------------------------

_COMMAND = (
    "import sys, django; django.setup(); "
    "from mtlsguard.django.management.commands.mtlsguard import Command; "
    "Command().run_from_argv(['manage.py', 'mtlsguard', *sys.argv[1:]])"
)


def command(project: Path, settings_module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``manage.py mtlsguard ARGS`` in ``project`` (the command class run as manage.py would;
    the vulnerable example does not list mtlsguard.django in INSTALLED_APPS)."""
    return subprocess.run(
        [sys.executable, "-c", _COMMAND, *args],
        cwd=project,
        env=_env(settings_module) | {"PYTHONPATH": f"{project}{os.pathsep}{REPO / 'src'}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_manage_py_scan_on_the_hardened_example_is_clean() -> None:
    project = EXAMPLES / "hardened"  # lists mtlsguard.django: the real manage.py finds it
    done = subprocess.run(
        [sys.executable, "manage.py", "mtlsguard", "scan", "--format", "json"],
        cwd=project,
        env=_env("hardened_site.settings"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["findings"] == []


def test_manage_py_scan_formats_and_exit_codes(tmp_path: Path) -> None:
    project, settings_module = EXAMPLE_PROJECTS[0]
    done = command(project, settings_module, "scan", "--format", "sarif")
    assert done.returncode == 1, done.stderr
    sarif = json.loads(done.stdout)
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"MG101", "MG102"}
    billing = next(r for r in results if r["ruleId"] == "MG102")
    assert billing["properties"]["route"] == "billing/"
    logical = billing["locations"][0]["logicalLocations"][0]
    assert logical["fullyQualifiedName"] == "bank.views.BillingView"
    # --fail-on above every finding: exit 0; the report still lists them.
    out = tmp_path / "report.json"
    done = command(
        project, settings_module, "scan", "-f", "json", "--fail-on", "critical", "-o", str(out)
    )
    severities = {f["severity"] for f in json.loads(out.read_text())["findings"]}
    assert done.returncode == (1 if "critical" in severities else 0), done.stderr
    # A baseline written now accepts every current finding.
    baseline = tmp_path / "baseline.json"
    assert (
        command(project, settings_module, "scan", "--write-baseline", str(baseline)).returncode == 0
    )
    done = command(project, settings_module, "scan", "--baseline", str(baseline))
    assert done.returncode == 0, done.stdout + done.stderr


def test_manage_py_routes_and_usage_errors(tmp_path: Path) -> None:
    project, settings_module = EXAMPLE_PROJECTS[0]
    # open routes: an inventory exits 0; --fail-on-open makes them fail (issue 15)
    done = command(project, settings_module, "routes", "--format", "csv", "--fail-on-open")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("billing/,") for line in lines), lines[:5]
    hardened = command(EXAMPLES / "hardened", "hardened_site.settings", "routes", "-f", "json")
    assert hardened.returncode == 0, hardened.stderr
    assert command(project, settings_module, "scan", "--format", "yaml").returncode == 2
    missing = command(project, settings_module, "scan", "--baseline", str(tmp_path / "none"))
    assert missing.returncode == 2
    assert "mtlsguard: error:" in missing.stderr


def test_manage_py_urlconf_option_and_what_the_reports_say_was_used() -> None:
    project, settings_module = EXAMPLE_PROJECTS[0]
    whole = command(project, settings_module, "routes", "-f", "json")
    document = json.loads(whole.stdout)
    assert document["resolution"]["settings_module"] == settings_module
    assert document["resolution"]["urlconf"] == "vulnerable_site.urls"
    # --urlconf: the live resolver walks bank.urls alone, mounted at the root
    done = command(project, settings_module, "routes", "-f", "json", "--urlconf", "bank.urls")
    document = json.loads(done.stdout)
    assert document["resolution"]["urlconf"] == "bank.urls"
    patterns = {r["pattern"] for r in document["routes"]}
    mounted = {r["pattern"] for r in json.loads(whole.stdout)["routes"]}
    assert patterns == {p.removeprefix("api/") for p in mounted if p.startswith("api/")}
    assert patterns
    # Django's own --settings keeps its meaning; the static-only options are not offered.
    assert command(project, settings_module, "routes", "--site-packages", "x").returncode == 2


LIVEPROJ = Path(__file__).parent / "liveproj"


def test_querysets_and_project_objects_are_described_never_evaluated() -> None:
    # The database has no tables: a queryset's repr() would fail with "no such table".
    result = introspect(LIVEPROJ, "liveproj.settings")
    views = {r["pattern"]: r["view"] for r in result["routes"]}
    assert views["list/"] == "django.views.generic.list.ListView"
    assert views["api/list/"] == views["api/manager/"] == "shelf.views.BookList"
    assert views["api/books/<pk>/"] == "shelf.views.BookViewSet"


def test_describe_names_querysets_by_their_model_and_objects_by_their_type() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, django; sys.path.insert(0, sys.argv[1]); django.setup()\n"
            "from mtlsguard.django.scanner.values import describe, to_expr\n"
            "from shelf.models import Book\n"
            "from shelf.views import Settings\n"
            "print(describe(Book.objects.filter(title='x')))\n"
            "print(describe(Book.objects))\n"
            "print(describe(Book(title='x')))\n"
            "print(to_expr(Settings()).text)\n"
            "print(describe(b'x' * 500))",
            str(LIVEPROJ),
        ],
        cwd=REPO,
        env=_env("liveproj.settings"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "<QuerySet of shelf.Book>",
        "shelf.Book.objects",
        "<shelf.Book instance>",
        "<shelf.views.Settings object>",
        repr(b"x" * 60)[:60],
    ]


def test_views_wrapped_without_functools_wraps_are_found_in_the_closure() -> None:
    result = introspect(LIVEPROJ, "liveproj.settings")
    routes = {r["pattern"]: r for r in result["routes"]}
    edit = routes["edit/<int:pk>/"]
    # the class and its methods, not the decorator's nested wrapper
    assert edit["view"] == "shelf.views.EditBook"
    assert [p[0] for p in edit["protections"]] == ["GET", "POST"]
    # the decorator's body (has_perm) is followed as a wrapper of the view
    assert all(p[1] is True for p in edit["protections"])
    assert routes["index/"]["view"] == "shelf.views.shelf_index"  # two layers
    # two functions in the closure: the one taking ``request`` is the view
    assert routes["checked/"]["view"] == "shelf.views.reader"
    assert routes["login/"]["view"] == "shelf.views.reader"  # wraps above, closure below


def test_manage_py_scan_applies_the_projects_declarations(tmp_path: Path) -> None:
    """``[tool.mtlsguard] public`` and an unused guard through the live resolver's engine."""
    project, settings_module = EXAMPLE_PROJECTS[0]
    config = tmp_path / "mtlsguard.toml"
    config.write_text(
        '[tool.mtlsguard]\npublic = ["bank.views.AccountList"]\nguards = ["bank.nothing.here"]\n',
        encoding="utf-8",
    )
    done = command(project, settings_module, "scan", "-f", "json", "--config", str(config))
    findings = json.loads(done.stdout)["findings"]
    (accounts,) = [
        f for f in findings if f["rule_id"] == "MG101" and f["view"] == "bank.views.AccountList"
    ]
    assert accounts["severity"] == "info"
    assert accounts["evidence"].startswith("declared public ('bank.views.AccountList' in ")
    (unused,) = [f for f in findings if f["rule_id"] == "MG003"]
    assert unused["view"] == "guards bank.nothing.here"
