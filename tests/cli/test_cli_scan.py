"""`mtlsguard scan` and `mtlsguard routes` end to end on a tiny project tree."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from mtlsguard.cli.main import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, main

ASSETS = Path(__file__).parent.parent / "assets"

SETTINGS = """\
SECRET_KEY = "x"
INSTALLED_APPS = ["django.contrib.auth", "shop"]
MIDDLEWARE = ["django.contrib.auth.middleware.AuthenticationMiddleware"]
ROOT_URLCONF = "proj.urls"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
"""
MANAGE = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")\n'
URLS = """\
from django.urls import path

from shop import views

urlpatterns = [
    path("orders/", views.orders, name="orders"),
    path("invoices/", views.invoices, name="invoices"),
    path("account/", views.account, name="account"),
    path("cert/", views.cert_only, name="cert"),
]
"""
MODELS = """\
from django.conf import settings
from django.db import models


class Order(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    total = models.IntegerField()
"""
VIEWS = """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseForbidden
from shop.models import Order

def orders(request):
    return HttpResponse(str(Order.objects.get(pk=request.GET["order"]).total))


def invoices(request):  # mtlsguard: ignore[MG101] -- served behind the SSO gateway
    return HttpResponse("invoices")


@login_required
def account(request):
    return HttpResponse(request.user.username)


def cert_only(request):
    if request.META.get("HTTP_X_SSL_CLIENT_VERIFY") != "SUCCESS":
        return HttpResponseForbidden()
    return HttpResponse("secret")
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "shopsite"
    for name, text in {
        "manage.py": MANAGE,
        "proj/__init__.py": "",
        "proj/settings.py": SETTINGS,
        "proj/urls.py": URLS,
        "shop/__init__.py": "",
        "shop/views.py": VIEWS,
        "shop/models.py": MODELS,
    }.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else EXIT_ERROR
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def add_view(project: Path, name: str, *, lines_above: int = 0) -> None:
    views = project / "shop" / "views.py"
    text = views.read_text()
    views.write_text(
        "\n" * lines_above
        + text
        + f"\n\ndef {name}(request):\n"
        + '    return HttpResponse(str(Order.objects.get(pk=request.GET["order"]).total))\n'
    )
    urls = project / "proj" / "urls.py"
    urls.write_text(urls.read_text().replace("]\n", f'    path("{name}/", views.{name}),\n]\n'))


def test_text_report_and_exit_code(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "scan", project)
    assert code == EXIT_FINDINGS
    assert "\x1b[" not in out  # not a TTY: plain text
    assert "2 findings (1 critical, 1 high)" in out
    assert "1 suppressed inline" in out
    assert "MG102" in out
    assert "shop/views.py:5" in out
    assert "served behind the SSO gateway" in out
    assert all(line == line.rstrip() for line in out.splitlines())
    assert err == ""


@pytest.mark.parametrize(
    ("config", "fail_on", "expected"),
    [
        ("", None, EXIT_FINDINGS),  # default high: MG101 (high), MG102 (critical)
        ("", "critical", EXIT_FINDINGS),
        ('severity = { MG102 = "medium", MG101 = "low" }', None, EXIT_OK),
        ('severity = { MG102 = "medium", MG101 = "low" }', "medium", EXIT_FINDINGS),
        ('severity = { MG102 = "medium", MG101 = "low" }\nfail-on = "low"', None, EXIT_FINDINGS),
        ('severity = { MG102 = "medium", MG101 = "low" }\nfail-on = "low"', "high", EXIT_OK),
        ('disable = ["MG101", "MG102"]', "info", EXIT_OK),
        ('exclude = ["shop/**"]', "info", EXIT_OK),
    ],
)
def test_fail_on_thresholds_and_project_config(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    config: str,
    fail_on: str | None,
    expected: int,
) -> None:
    (project / "pyproject.toml").write_text(f"[tool.mtlsguard]\n{config}\n")
    args: list[str | Path] = ["scan", project, "--format", "json"]
    if fail_on:
        args += ["--fail-on", fail_on]
    code, out, _ = run(capsys, *args)
    assert code == expected
    doc = json.loads(out)
    assert doc["fail_on"] == (fail_on or ("low" if "fail-on" in config else "high"))


def test_json_sarif_and_html_written_to_files(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = {fmt: tmp_path / f"report.{fmt}" for fmt in ("json", "sarif", "html")}
    for fmt, path in outputs.items():
        code, out, _ = run(capsys, "scan", project, "--format", fmt, "--output", path)
        assert code == EXIT_FINDINGS
        assert out == ""
    doc = json.loads(outputs["json"].read_text())
    assert {f["rule_id"] for f in doc["findings"]} == {"MG101", "MG102"}
    assert doc["suppressed"][0]["finding"]["view"] == "shop.views.invoices"

    sarif = json.loads(outputs["sarif"].read_text())
    schema = json.loads((ASSETS / "sarif-schema-2.1.0.json").read_text())
    assert list(Draft4Validator(schema).iter_errors(sarif)) == []
    run_ = sarif["runs"][0]
    assert run_["originalUriBaseIds"]["SRCROOT"]["uri"] == project.resolve().as_uri() + "/"
    rule_ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert {"MG001", "MG101", "MG102"} <= set(rule_ids)
    results = {r["ruleId"]: r for r in run_["results"] if "suppressions" not in r}
    cert = results["MG102"]["locations"][0]
    assert cert["physicalLocation"]["artifactLocation"]["uri"] == "shop/views.py"
    assert cert["logicalLocations"][0] == {
        "fullyQualifiedName": "shop.views.cert_only",
        "name": "cert_only",
        "kind": "function",
    }
    assert results["MG102"]["properties"]["route"] == "cert/"

    html = outputs["html"].read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "shop.views.cert_only" in html


def test_baseline_round_trip_only_new_findings_fail(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = tmp_path / "mtlsguard-baseline.json"
    code, _, err = run(capsys, "scan", project, "--write-baseline", baseline)
    assert code == EXIT_OK
    assert "wrote 2 finding(s)" in err
    assert run(capsys, "scan", project, "--baseline", baseline)[0] == EXIT_OK

    # Lines move (20 blank lines on top): still known.
    views = project / "shop" / "views.py"
    views.write_text("\n" * 20 + views.read_text())
    code, out, _ = run(capsys, "scan", project, "--baseline", baseline, "--format", "json")
    assert code == EXIT_OK
    assert json.loads(out)["summary"]["baselined"] == 2

    add_view(project, "refunds")
    code, out, _ = run(capsys, "scan", project, "--baseline", baseline, "--format", "json")
    assert code == EXIT_FINDINGS
    doc = json.loads(out)
    assert [f["view"] for f in doc["findings"]] == ["shop.views.refunds"]


def test_suppression_without_reason_is_reported(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    views = project / "shop" / "views.py"
    views.write_text(
        views.read_text()
        .replace("-- served behind the SSO gateway", "")
        .replace(
            "def orders(request):", "def orders(request):  # mtlsguard: ignore[MG101] -- internal"
        )
    )
    code, out, _ = run(capsys, "scan", project, "--format", "json", "--fail-on", "critical")
    assert code == EXIT_FINDINGS
    doc = json.loads(out)
    found = sorted((f["rule_id"], f["view"]) for f in doc["findings"])
    assert found == [
        ("MG001", "shop.views.invoices"),
        ("MG101", "shop.views.invoices"),
        ("MG102", "shop.views.cert_only"),
    ]
    assert [s["finding"]["view"] for s in doc["suppressed"]] == ["shop.views.orders"]


def test_routes_formats_and_routes_baseline(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # before: exit 1 whenever a page was public; the inventory is a report
    code, out, _ = run(capsys, "routes", project)
    assert code == EXIT_OK
    assert run(capsys, "routes", project, "--fail-on-open")[0] == EXIT_FINDINGS
    assert "account/" in out
    assert "decorator: @login_required" in out

    code, out, _ = run(capsys, "routes", project, "--format", "csv")
    rows = {r["pattern"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["account/"]["status"] == "authenticated"
    assert rows["orders/"]["status"] == "OPEN"

    baseline = tmp_path / "routes-baseline.json"
    assert run(capsys, "routes", project, "--write-baseline", baseline)[0] == EXIT_OK
    assert json.loads(baseline.read_text())["kind"] == "routes"
    code, out, _ = run(capsys, "routes", project, "--baseline", baseline, "--format", "json")
    assert code == EXIT_OK
    assert all(r["open_methods"] == [] for r in json.loads(out)["routes"])

    add_view(project, "exports")
    code, out, _ = run(capsys, "routes", project, "--baseline", baseline, "--format", "json")
    assert code == EXIT_FINDINGS
    opened = {r["pattern"]: r["open_methods"] for r in json.loads(out)["routes"]}
    assert [p for p, methods in opened.items() if methods] == ["exports/"]

    # a findings baseline is not a routes baseline
    findings_baseline = tmp_path / "findings.json"
    run(capsys, "scan", project, "--write-baseline", findings_baseline)
    code, _, err = run(capsys, "routes", project, "--baseline", findings_baseline)
    assert code == EXIT_ERROR
    assert "'findings' baseline" in err


def test_a_broken_file_fails_the_scan_unless_partial_results_are_allowed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "shop" / "broken.py").write_text("def x(:\n")
    urls = project / "proj" / "urls.py"
    urls.write_text(
        "from shop import broken\n"
        + urls.read_text().replace("]\n", '    path("broken/", broken.x),\n]\n')
    )
    code, out, err = run(capsys, "scan", project, "--format", "json")
    assert code == EXIT_ERROR  # a file on a route's path that does not parse: never a pass
    assert out == ""
    assert "shop/broken.py: could not be scanned: syntax error" in err
    code, out, err = run(capsys, "scan", project, "--format", "json", "--allow-partial")
    doc = json.loads(out)
    assert code == EXIT_FINDINGS
    assert [e["path"] for e in doc["errors"]] == ["shop/broken.py"]
    assert "could not be scanned" in err
    assert "shop/broken.py" in err


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (None, ["scan", "{root}/missing"], "no such file or directory"),
        (None, ["scan", "{root}/proj/settings.py"], "not a directory"),
        (None, ["scan", "{root}", "--output", "{root}/nope/out.txt"], "cannot write the report"),
        (None, ["scan", "{root}", "--baseline", "{root}/none.json"], "cannot read baseline"),
        ("[tool.mtlsguard]\nfail-on = 'severe'\n", ["scan", "{root}"], "unknown severity"),
        ("[tool.mtlsguard\n", ["routes", "{root}"], "not valid TOML"),
        (None, ["scan", "{root}", "--fail-on", "urgent"], "invalid choice: 'urgent'"),
        (None, ["scan", "{root}", "--format", "xml"], "invalid choice: 'xml'"),
        (None, ["routes", "{root}", "--format", "sarif"], "invalid choice: 'sarif'"),
    ],
)
def test_usage_and_input_errors_exit_2_with_a_message(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    setup: str | None,
    args: list[str],
    message: str,
) -> None:
    if setup is not None:
        (project / "pyproject.toml").write_text(setup)
    code, _, err = run(capsys, *[a.format(root=project) for a in args])
    assert code == EXIT_ERROR
    assert message in err


def test_nothing_scannable_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "scan", tmp_path)
    assert code == EXIT_ERROR
    assert "could be scanned" in err


def test_console_entry_point_never_shows_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mtlsguard", "scan", str(tmp_path / "absent")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == EXIT_ERROR
    assert result.stderr.startswith("mtlsguard: error: ")
    assert "Traceback" not in result.stderr


def test_a_terminal_that_cannot_encode_the_output_still_gets_the_report(
    project: Path, tmp_path: Path
) -> None:
    renamed = project.rename(tmp_path / "prøject")
    result = subprocess.run(
        [sys.executable, "-m", "mtlsguard", "scan", str(renamed)],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
        check=False,
    )
    assert b"Traceback" not in result.stderr
    assert result.returncode == EXIT_FINDINGS
    assert b"pr\\xf8ject" in result.stdout
    assert b"MG102" in result.stdout


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('disable = ["MG999"]', "no rule matches 'MG999'"),
        ('disable = ["XY"]', "which is not a rule id like 'MG101'"),
        ("[tool.mtlsguard.options.MG999]\nx = 10", "no rule matches 'MG999'"),
        ("[tool.mtlsguard.options.MG202]\nmax-age = 10", "MG202 has no option 'max-age'"),
        ('[tool.mtlsguard.options.MG405]\nattempts = "x"', "MG405 has no option 'attempts'"),
        ('[tool.mtlsguard.options.MG202]\nmax-age-seconds = "x"', "must be int"),
    ],
)
def test_a_rule_or_option_nobody_knows_is_a_configuration_error(
    project: Path, capsys: pytest.CaptureFixture[str], table: str, message: str
) -> None:
    """A typo in ``disable`` or an option table must not leave a rule running unnoticed."""
    if not table.startswith("["):
        table = "[tool.mtlsguard]\n" + table
    (project / "pyproject.toml").write_text(table + "\n")
    code, _, err = run(capsys, "scan", project)
    assert code == EXIT_ERROR
    assert message in err
    assert "pyproject.toml" in err


def test_disable_takes_rule_ids_and_prefixes(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text('[tool.mtlsguard]\ndisable = ["MG1"]\n')
    code, out, _ = run(capsys, "scan", project, "--format", "json")
    assert code == EXIT_OK
    assert not [f for f in json.loads(out)["findings"] if f["rule_id"].startswith("MG1")]


@pytest.mark.parametrize(
    "argv",
    [["--fail-under", "B"], ["--cert", "a.pem"], ["--credential-probes"]],
)
def test_probe_options_without_probe_are_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, _, err = run(capsys, "scan", project, *argv)
    assert code == EXIT_ERROR
    assert "needs --probe URL" in err
