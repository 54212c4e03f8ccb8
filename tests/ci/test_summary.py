"""mtlsguard.ci.summary: the job summary is a pure function of SARIF logs."""

from __future__ import annotations

from typing import Any

from mtlsguard.ci.summary import (
    MAX_ROWS,
    Outcome,
    RunSummary,
    at_or_above,
    render_summary,
    result_rows,
)


def result(rule: str, severity: str, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "ruleId": rule,
        "message": {"text": f"Title of {rule}. Route: x/. Evidence: e"},
        "properties": {"severity": severity, **extra.pop("properties", {})},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "app/views.py", "uriBaseId": "SRCROOT"},
                    "region": {"startLine": 7},
                }
            }
        ],
    }
    entry.update(extra)
    return entry


def log(*results: dict[str, Any], **run_properties: Any) -> dict[str, Any]:
    return {"version": "2.1.0", "runs": [{"results": list(results), "properties": run_properties}]}


def test_rows_most_severe_first_without_suppressed_results() -> None:
    sarif = log(
        result("MG202", "low"),
        result("MG102", "critical"),
        result("MG101", "high", suppressions=[{"kind": "inSource", "justification": "why"}]),
        result("MG201", "medium"),
    )
    rows = result_rows(sarif)
    assert [(r.rule_id, r.severity) for r in rows] == [
        ("MG102", "critical"),
        ("MG201", "medium"),
        ("MG202", "low"),
    ]
    assert rows[0].title == "Title of MG102"
    assert rows[0].location == "app/views.py:7"
    assert at_or_above(rows, "critical") == 1
    assert at_or_above(rows, "medium") == 2
    assert at_or_above(rows, "info") == 3


def test_probe_results_show_the_request_and_the_grade() -> None:
    probe = result("MG402", "critical", properties={"route": "/billing/"})
    del probe["locations"]
    probe["webRequest"] = {"method": "GET", "target": "https://app/billing/"}
    sarif = log(probe, probe={"grade": "F", "score": 12})
    text = render_summary([RunSummary("mtlsguard probe https://app/", Outcome(1), sarif)], "high")
    assert "Probe grade: **F** (12/100)" in text
    assert (
        "| critical | MG402 | Title of MG402 | `GET https://app/billing/` | `/billing/` |" in text
    )
    assert "**Failed**: findings at or above high" in text
    assert "1 finding (1 critical); fail-on high: 1 at or above it" in text


def test_cells_stay_in_their_column() -> None:
    hostile = result("MG101", "high", properties={"route": "a|b\n| injected |"})
    hostile["message"]["text"] = "Pipe | in\ntitle. rest"
    text = render_summary([RunSummary("scan", Outcome(1), log(hostile))], "high")
    (row,) = [line for line in text.splitlines() if line.startswith("| high")]
    assert (
        row == "| high | MG101 | Pipe \\| in title | `app/views.py:7` | `a\\|b \\| injected \\|` |"
    )


def test_long_lists_are_cut_with_a_count() -> None:
    sarif = log(*(result(f"MG{100 + i}", "high") for i in range(MAX_ROWS + 7)))
    text = render_summary([RunSummary("scan", Outcome(1), sarif, "out.sarif")], "high")
    assert sum(1 for line in text.splitlines() if line.startswith("| high |")) == MAX_ROWS
    assert "... and 7 more in `out.sarif`." in text


def test_error_and_missing_log() -> None:
    text = render_summary(
        [RunSummary("mtlsguard scan x", Outcome(2, "mtlsguard: error: x: no such file"), None)],
        "high",
    )
    assert "### mtlsguard scan x" in text
    assert "**Error** (exit code 2): mtlsguard: error: x: no such file" in text
    assert "| Severity |" not in text


def test_threshold_wording() -> None:
    sarif = log(result("MG201", "medium"))
    none = render_summary([RunSummary("scan", Outcome(0), sarif)], "none")
    assert "1 finding (1 medium); fail-on none: findings do not fail the job" in none
    project = render_summary([RunSummary("scan", Outcome(0), sarif)], "")
    assert "1 finding (1 medium)\n" in project
    assert "**Passed**" in project
