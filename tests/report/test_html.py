from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

from mtlsguard.report.html_report import HtmlFormat
from mtlsguard.report.interface import ScanReport
from mtlsguard.scan.model import Severity
from tests.report.sample import BILLING, PROBE, RULES, SUPPRESSED, VALIDATORS, sample_result


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in {"meta", "br", "!doctype"}:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1:] == [tag], f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Collector:
    collector = Collector()
    collector.feed(html)
    collector.close()
    assert collector.stack == [], collector.stack
    return collector


def test_document_is_well_formed_and_self_contained() -> None:
    html = HtmlFormat().render(
        ScanReport(sample_result(), RULES, SUPPRESSED, baselined=1, fail_on=Severity.HIGH)
    )
    assert html.startswith("<!DOCTYPE html>")
    doc = parse(html)
    names = {tag for tag, _ in doc.tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed"}
    for _, attrs in doc.tags:
        for name in ("src", "href"):
            assert name not in attrs
    assert not re.search(
        r"url\(|@import|https?://", html.split("<body>")[0].replace("http-equiv", "")
    )
    csp = [a for t, a in doc.tags if t == "meta" and a.get("http-equiv")]
    assert csp[0]["content"] == "default-src 'none'; style-src 'unsafe-inline'"


def test_summary_counts_and_findings_grouped_by_route() -> None:
    html = HtmlFormat().render(ScanReport(sample_result(findings=(BILLING, VALIDATORS, PROBE))))
    text = " ".join("".join(parse(html).text).split())
    assert "3 findings" in text
    counts = dict(re.findall(r'<span class="sev (\w+)">\w+</span></td><td>(\d+)</td>', html))
    assert counts == {"critical": "0", "high": "2", "medium": "1", "low": "0", "info": "0"}
    headings = re.findall(r"<h3><code>([^<]*)</code>", html)
    assert headings == [
        "/api/accounts/",
        "/api/billing/&lt;int:pk&gt;/",
        "Project settings and code",
    ]
    assert BILLING.remediation in text
    assert BILLING.evidence in text
    assert "Fix" in text
    assert "Evidence" in text


def test_everything_from_the_scanned_project_is_escaped() -> None:
    evil = replace(
        BILLING,
        title='<script>alert("t")</script>',
        evidence="<img src=x onerror=alert(1)>",
        remediation='" onmouseover="alert(2)',
        route="<b>r</b>",
        view="x<y",
    )
    html = HtmlFormat().render(
        ScanReport(sample_result(root="/tmp/<root>", findings=(evil,)), suppressed=SUPPRESSED)
    )
    doc = parse(html)
    assert not {tag for tag, _ in doc.tags} & {"script", "img", "b"}
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "/tmp/&lt;root&gt;" in html
    assert "<script>" not in html
    assert "<img" not in html


def test_no_findings() -> None:
    html = HtmlFormat().render(ScanReport(sample_result(findings=(), errors=())))
    assert "No findings." in html
    parse(html)


def test_route_inventory_is_listed_with_status() -> None:
    html = HtmlFormat().render(ScanReport(sample_result()))
    assert '<h2 id="routes">Routes (3)</h2>' in html
    rows = re.findall(
        r"<tr><td><code>([^<]*)</code></td><td>([^<]*)</td><td><span[^>]*>(\w+)</span>", html
    )
    assert rows == [
        ("/api/billing/&lt;int:pk&gt;/", "GET", "OPEN"),
        ("/api/billing/&lt;int:pk&gt;/", "POST", "authenticated"),
        ("/health/", "*", "unknown"),
        ("/legacy/", "*", "unknown"),
    ]
    parse(html)
