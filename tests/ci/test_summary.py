"""mtlsguard.ci.summary: the job summary is a pure function of the runs' assessments."""

from __future__ import annotations

from mtlsguard.ci.summary import MAX_ROWS, RunSummary, at_or_above, render_summary, result_rows
from mtlsguard.findings.assessment import Assessment
from mtlsguard.findings.model import Finding, ScanResult
from mtlsguard.probe.rules import Category
from mtlsguard.probe.scoring import CategoryScore, Score
from tests.factories import finding


def assessed(*findings: Finding, **extra: object) -> Assessment:
    return Assessment(ScanResult(root="/repo/app", findings=findings), **extra)  # type: ignore[arg-type]


def test_rows_most_severe_first() -> None:
    rows = result_rows(
        assessed(finding("MG202", "low"), finding("MG102", "critical"), finding("MG201", "medium"))
    )
    assert [(r.rule_id, r.severity) for r in rows] == [
        ("MG102", "critical"),
        ("MG201", "medium"),
        ("MG202", "low"),
    ]
    assert rows[0].title == "Title of MG102"
    assert rows[0].location == "app/views.py:7"
    assert result_rows(assessed(finding("MG101", "high")), "backend/")[0].location == (
        "backend/app/views.py:7"
    )
    assert at_or_above(rows, "critical") == 1
    assert at_or_above(rows, "medium") == 2
    assert at_or_above(rows, "info") == 3


def test_probe_results_show_the_request_and_the_grade() -> None:
    probe = finding(
        "MG402",
        "critical",
        location=None,
        route="/billing/",
        web_request={"method": "GET", "target": "https://app/billing/"},
    )
    grade = Score(12, (CategoryScore(Category.AUTHENTICATION, 12, 1),))
    text = render_summary(
        [RunSummary("mtlsguard probe https://app/", 1, assessment=assessed(probe, grade=grade))],
        "high",
    )
    assert "Probe grade: **F** (12/100)" in text
    assert (
        "| critical | MG402 | Title of MG402 | `GET https://app/billing/` | `/billing/` |" in text
    )
    assert "**Failed**: findings at or above high" in text
    assert "1 finding (1 critical); fail-on high: 1 at or above it" in text


def test_cells_stay_in_their_column() -> None:
    hostile = finding("MG101", "high", route="a|b\n| injected |", title="Pipe | in\ntitle")
    text = render_summary([RunSummary("scan", 1, assessment=assessed(hostile))], "high")
    (row,) = [line for line in text.splitlines() if line.startswith("| high")]
    assert (
        row == "| high | MG101 | Pipe \\| in title | `app/views.py:7` | `/a\\|b \\| injected \\|` |"
    )


def test_long_lists_are_cut_with_a_count() -> None:
    many = assessed(*(finding(f"MG{100 + i}", "high") for i in range(MAX_ROWS + 7)))
    text = render_summary([RunSummary("scan", 1, assessment=many, sarif_file="out.sarif")], "high")
    assert sum(1 for line in text.splitlines() if line.startswith("| high |")) == MAX_ROWS
    assert "... and 7 more in `out.sarif`." in text


def test_an_error_without_an_assessment() -> None:
    text = render_summary(
        [RunSummary("mtlsguard scan x", 2, "mtlsguard: error: x: no such file")], "high"
    )
    assert "### mtlsguard scan x" in text
    assert "**Error** (exit code 2): mtlsguard: error: x: no such file" in text
    assert "| Severity |" not in text


def test_threshold_wording() -> None:
    one = assessed(finding("MG201", "medium"))
    none = render_summary([RunSummary("scan", 0, assessment=one)], "none")
    assert "1 finding (1 medium); fail-on none: findings do not fail the job" in none
    project = render_summary([RunSummary("scan", 0, assessment=one)], "")
    assert "1 finding (1 medium)\n" in project
    assert "**Passed**" in project


def test_regex_routes_read_as_paths_in_the_job_summary() -> None:
    """Before: pretix's routes showed as ``^api/v1/(?P<organizer>[^/]+)/$``."""
    regex = finding("MG101", "high", route="^api/v1/(?P<organizer>[^/]+)/$")
    (row,) = result_rows(assessed(regex))
    assert row.route == "/api/v1/<organizer>/"
