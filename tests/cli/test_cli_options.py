"""The report, selection, filter and exit options of ``mtlsguard scan`` (issue 15), each
before/after on the tiny project of :mod:`tests.cli.test_cli_scan`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtlsguard.cli.main import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK
from tests.cli.test_cli_scan import project, run
from tests.report.code_scanning import assert_uploadable

__all__ = ["project"]  # the fixture, imported for these tests


def rule_ids(text: str) -> list[str]:
    return sorted(r["rule_id"] for r in json.loads(text)["findings"])


def test_the_output_extension_picks_the_format(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``-o report.sarif`` without ``-f`` wrote the text report into the file."""
    for name in ("report.sarif", "report.json", "report.html", "report.txt", "report.out"):
        target = tmp_path / name
        assert run(capsys, "scan", project, "-o", target)[0] == EXIT_FINDINGS
        text = target.read_text()
        if name.endswith(".sarif"):
            assert_uploadable(text)
        elif name.endswith(".json"):
            assert json.loads(text)["findings"]
        elif name.endswith(".html"):
            assert text.lstrip().lower().startswith("<!doctype html>")
        else:
            assert text.startswith("mtlsguard scan ")
    # -f still wins over the extension
    target = tmp_path / "forced.sarif"
    run(capsys, "scan", project, "-o", target, "-f", "json")
    assert "findings" in json.loads(target.read_text())


def test_several_formats_from_one_run(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sarif, html, js = tmp_path / "r.sarif", tmp_path / "r.html", tmp_path / "r.json"
    code, out, _ = run(
        capsys,
        "scan",
        project,
        "-f",
        "concise",
        "--sarif-output",
        sarif,
        "--html-output",
        html,
        "--json-output",
        js,
    )
    assert code == EXIT_FINDINGS
    assert out.splitlines()[-1].startswith("Found 2 findings")
    assert_uploadable(sarif.read_text())
    assert "<!DOCTYPE html>" in html.read_text()
    assert rule_ids(js.read_text()) == ["MG101", "MG102"]
    code, _, err = run(capsys, "scan", project, "-o", js, "--json-output", js)
    assert code == EXIT_ERROR
    assert "same file" in err


def test_concise_is_one_line_per_finding(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "scan", project, "-f", "concise")
    lines = out.splitlines()
    assert code == EXIT_FINDINGS
    assert lines[:2] == [
        "shop/views.py:18:1: MG102 [critical] Endpoint relies solely on an mTLS "
        "client-certificate header (/cert/)",
        "shop/views.py:5:1: MG101 [high] Endpoint reachable without application "
        "authentication (/orders/)",
    ]
    assert lines[2] == "Found 2 findings (1 critical, 1 high); 2 at or above high."


def test_select_and_ignore(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert rule_ids(run(capsys, "scan", project, "-f", "json")[1]) == ["MG101", "MG102"]
    only = run(capsys, "scan", project, "-f", "json", "--select", "MG102")[1]
    assert rule_ids(only) == ["MG102"]
    without = run(capsys, "scan", project, "-f", "json", "--ignore", "mg102,MG2")[1]
    assert rule_ids(without) == ["MG101"]
    code, _, err = run(capsys, "scan", project, "--select", "MG999")
    assert code == EXIT_ERROR
    assert "no rule matches 'MG999'" in err


def test_exit_zero(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "scan", project)[0] == EXIT_FINDINGS
    assert run(capsys, "scan", project, "--exit-zero")[0] == EXIT_OK
    assert run(capsys, "scan", project / "missing", "--exit-zero")[0] == EXIT_ERROR


def test_severity_and_confidence_filter_what_is_shown_and_fails(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "scan", project, "-f", "json", "--severity", "critical")
    assert rule_ids(out) == ["MG102"]
    assert code == EXIT_FINDINGS
    code, out, _ = run(capsys, "scan", project, "-f", "json", "--confidence", "HIGH")
    assert rule_ids(out) == ["MG101", "MG102"]
    code, _, err = run(capsys, "scan", project, "--severity", "urgent")
    assert code == EXIT_ERROR
    assert "invalid choice" in err


def test_quiet_and_verbose(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "shop" / "broken.py").write_text("def (:\n", encoding="utf-8")
    baseline = tmp_path / "b.json"
    _, _, err = run(capsys, "scan", project, "--write-baseline", baseline)
    assert "wrote 2 finding(s)" in err
    _, out, err = run(capsys, "scan", project, "-q", "--write-baseline", baseline)
    assert err == ""
    assert out.startswith("mtlsguard scan ")
    _, _, err = run(capsys, "scan", project, "-v")
    assert "configuration: none (defaults)" in err
    code, _, err = run(capsys, "scan", project, "-q", "-v")
    assert code == EXIT_ERROR
    assert "not allowed with" in err


def test_config_is_found_upward_and_given_explicitly(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``[tool.mtlsguard]`` in a parent directory was silently ignored."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mtlsguard]\ndisable = ["MG102"]\n', encoding="utf-8"
    )
    _, out, err = run(capsys, "scan", project, "-f", "json", "-v")
    assert rule_ids(out) == ["MG101"]
    assert str(tmp_path / "pyproject.toml") in err
    # a pyproject.toml without the table is passed over, as Ruff does
    (project / "pyproject.toml").write_text("[project]\nname = 'shop'\n", encoding="utf-8")
    assert rule_ids(run(capsys, "scan", project, "-f", "json")[1]) == ["MG101"]
    # --config names the file
    other = tmp_path / "strict.toml"
    other.write_text('[tool.mtlsguard]\ndisable = ["MG101"]\n', encoding="utf-8")
    assert rule_ids(run(capsys, "scan", project, "-f", "json", "--config", other)[1]) == ["MG102"]
    code, _, err = run(capsys, "scan", project, "--config", tmp_path / "nope.toml")
    assert code == EXIT_ERROR
    assert "no such configuration file" in err
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")
    code, _, err = run(capsys, "scan", project, "--config", tmp_path / "empty.toml")
    assert code == EXIT_ERROR
    assert "has no [tool.mtlsguard] table" in err


def test_config_search_stops_at_the_repository_root(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mtlsguard]\ndisable = ["MG102"]\n', encoding="utf-8"
    )
    (project / ".git").mkdir()
    assert rule_ids(run(capsys, "scan", project, "-f", "json")[1]) == ["MG101", "MG102"]


def test_stale_and_misspelt_suppressions_are_reported_and_can_fail_ci(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``ignore[MG1O1]`` and a suppression of a fixed view were accepted silently."""
    views = project / "shop" / "views.py"
    views.write_text(
        views.read_text().replace(
            "def account(request):",
            "def account(request):  # mtlsguard: ignore[MG101, MG1O1] -- fixed long ago",
        ),
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "scan", project, "-f", "concise")
    assert code == EXIT_FINDINGS
    stale = [line for line in out.splitlines() if " MG002 " in line]
    assert stale == [
        "shop/views.py:14:1: MG002 [low] Unused or unknown suppression: "
        "ignore[MG101]: MG101 reported nothing here",
        "shop/views.py:14:1: MG002 [low] Unused or unknown suppression: "
        "ignore[MG1O1]: no rule has the id MG1O1",
    ]
    # low by default: it fails CI when the project says so
    (project / "pyproject.toml").write_text(
        '[tool.mtlsguard]\nseverity = { MG002 = "high" }\ndisable = ["MG1"]\n', encoding="utf-8"
    )
    code, out, _ = run(capsys, "scan", project, "-f", "json")
    assert code == EXIT_FINDINGS
    assert {f["severity"] for f in json.loads(out)["findings"] if f["rule_id"] == "MG002"} == {
        "high"
    }
    (project / "pyproject.toml").write_text(
        '[tool.mtlsguard]\ndisable = ["MG002", "MG1"]\n', encoding="utf-8"
    )
    assert "MG002" not in run(capsys, "scan", project, "-f", "concise")[1]


def test_routes_takes_the_format_from_the_extension_and_a_config(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = tmp_path / "routes.json"
    assert run(capsys, "routes", project, "-o", inventory)[0] == EXIT_OK
    assert {r["pattern"] for r in json.loads(inventory.read_text())["routes"]} >= {"orders/"}
    table = tmp_path / "routes.csv"
    run(capsys, "routes", project, "-o", table)
    assert table.read_text().startswith("pattern,name,view,")
    config = tmp_path / "cfg.toml"
    config.write_text('[tool.mtlsguard]\nexclude = ["shop/**"]\n', encoding="utf-8")
    code, out, _ = run(capsys, "routes", project, "--config", config, "-f", "json")
    assert code == EXIT_OK
    assert json.loads(out)["routes"] == []


def test_suppressions_in_excluded_files_are_not_judged(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    views = project / "shop" / "views.py"
    views.write_text(
        views.read_text().replace(
            "def account(request):", "def account(request):  # mtlsguard: ignore[MG101] -- old"
        ),
        encoding="utf-8",
    )
    assert "MG002" in run(capsys, "scan", project, "-f", "concise")[1]
    (project / "pyproject.toml").write_text(
        '[tool.mtlsguard]\nexclude = ["shop/**"]\n', encoding="utf-8"
    )
    assert "MG002" not in run(capsys, "scan", project, "-f", "concise")[1]
