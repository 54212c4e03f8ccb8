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
    assert "1 suppressed inline; 2 accepted by the baseline; 1 files could not be scanned" in flat
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
