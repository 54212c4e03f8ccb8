from __future__ import annotations

import re

from mtlsguard.findings.assessment import Assessment
from mtlsguard.findings.model import Severity
from mtlsguard.report.text import TextFormat
from tests.report.sample import BILLING, HEADER_TRUST, RULES, SUPPRESSED, sample_result

ANSI = re.compile(r"\x1b\[")


def test_plain_output_has_no_escape_sequences_and_every_detail() -> None:
    text = TextFormat(color=False).render(
        Assessment(sample_result(), RULES, SUPPRESSED, baselined=2, fail_on=Severity.HIGH)
    )
    assert not ANSI.search(text)
    flat = " ".join(text.split())
    assert "17 files, 1234 lines scanned; 4 findings (1 critical, 1 high, 1 medium, 1 info)" in text
    # before: "1 files could not be scanned"
    assert "1 suppressed inline; 2 accepted by the baseline; 1 file could not be scanned" in flat
    assert "fail-on high: 2 findings at or above it" in flat
    for needle in (
        "MG101",
        "[CWE-306, CWE-287]",
        "billing/views.py:12",
        "api/billing/<int:pk>/ [GET, POST]",
        "billing.views.BillingView",
        BILLING.evidence,
        BILLING.remediation,
        "broken/views.py",
        "public liveness probe",
    ):
        assert needle in flat, needle


def test_findings_are_grouped_by_severity_most_severe_first() -> None:
    text = TextFormat().render(Assessment(sample_result()))
    headers = [m.group(1) for m in re.finditer(r"(CRITICAL|HIGH|MEDIUM|LOW|INFO) \(\d+\)", text)]
    assert headers == ["CRITICAL", "HIGH", "MEDIUM", "INFO"]
    assert text.index(HEADER_TRUST.remediation) < text.index(BILLING.remediation)
    assert text.index("CRITICAL (1)") < text.index("MG301") < text.index("HIGH (1)")


def test_color_output_uses_ansi_styles() -> None:
    text = TextFormat(color=True).render(Assessment(sample_result()))
    assert ANSI.search(text)
    assert "MG301" in text


def test_untrusted_text_is_not_interpreted_as_markup() -> None:
    evil = BILLING.__class__(
        **{
            **{f: getattr(BILLING, f) for f in BILLING.__dataclass_fields__},
            "evidence": "[bold red]x[/] \x1b[31m",
        }
    )
    text = TextFormat(color=False).render(Assessment(sample_result(findings=(evil,))))
    assert "[bold red]x[/]" in text
    assert "\x1b" not in text  # control characters from the scanned code never reach a terminal


def test_no_findings_says_so() -> None:
    text = TextFormat().render(Assessment(sample_result(findings=(), errors=())))
    assert "0 findings (none)" in text
    assert "No findings." in text


def test_counts_are_worded_for_one_and_for_probe_requests() -> None:
    """Before: "1 findings", and failed probe requests counted as files not scanned."""
    from mtlsguard.findings.assessment import RunKind
    from mtlsguard.findings.model import ScanError

    errors = (
        ScanError("broken/views.py", "syntax error"),
        ScanError("https://app/api/", "probe: connection failed"),
        ScanError("https://app/b/", "probe: connection failed"),
    )
    one = Assessment(
        sample_result(findings=(BILLING,), errors=errors),
        fail_on=Severity.HIGH,
        kind=RunKind.COMBINED,
    )
    flat = " ".join(TextFormat().render(one).split())
    assert "1 finding (1 high)" in flat
    assert "fail-on high: 1 finding at or above it" in flat
    assert "1 file could not be scanned; 2 probe requests failed" in flat
    probe = Assessment(sample_result(errors=errors[1:]), kind=RunKind.PROBE)
    assert "2 requests or routes failed" in " ".join(TextFormat().render(probe).split())


def test_long_reports_end_with_the_summary() -> None:
    from dataclasses import replace

    many = tuple(replace(BILLING, route=f"r{i}/") for i in range(12))
    text = TextFormat().render(Assessment(sample_result(findings=many), fail_on=Severity.HIGH))
    lines = text.rstrip().splitlines()
    assert lines[-1] == "fail-on high: 12 findings at or above it"
    assert "summary" in lines[-4]
    short = TextFormat().render(Assessment(sample_result(findings=many[:2])))
    assert "summary ─" not in short


def test_concise_format() -> None:
    from dataclasses import replace

    from mtlsguard.report.text import ConciseFormat

    regex = replace(BILLING, route="^api/(?P<pk>[0-9]+)/$")
    text = ConciseFormat().render(
        Assessment(sample_result(findings=(regex, HEADER_TRUST)), fail_on=Severity.HIGH)
    )
    lines = text.splitlines()
    assert lines[1].startswith("billing/views.py:12:1: MG101 [high] ")
    assert lines[1].endswith("(/api/<pk>/)")  # a regex route reads as a path
    assert len(lines) == 3
    assert lines[-1].startswith("Found 2 findings (")
    assert lines[-1].endswith("; 1 file could not be scanned.")
