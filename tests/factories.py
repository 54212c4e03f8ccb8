"""Shared builders for tests: assessments rendered the way the commands render them."""

from __future__ import annotations

from mtlsguard.app.probe import assess_probe
from mtlsguard.findings.assessment import Assessment
from mtlsguard.findings.model import Severity
from mtlsguard.probe.runner import ProbeResult
from mtlsguard.report.html_report import HtmlFormat
from mtlsguard.report.json_report import JsonFormat
from mtlsguard.report.sarif import SarifFormat
from mtlsguard.report.text import TextFormat

FORMATS = {
    "text": lambda: TextFormat(color=False, width=100),
    "json": JsonFormat,
    "sarif": SarifFormat,
    "html": HtmlFormat,
}


def render(assessment: Assessment, fmt: str) -> str:
    """``assessment`` in ``fmt`` (text without colour, 100 columns), as the CLI writes it."""
    return FORMATS[fmt]().render(assessment)


def render_probe(result: ProbeResult, fmt: str) -> str:
    """A probe result as ``mtlsguard probe --format FMT`` renders it (default threshold)."""
    return render(assess_probe(result, fail_on=Severity.HIGH, fail_under=None), fmt)
