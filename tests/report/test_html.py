from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, replace
from html.parser import HTMLParser

from mtlsguard.findings.assessment import Assessment, SourceExcerpt
from mtlsguard.findings.model import Severity
from mtlsguard.report.html_report import HtmlFormat
from tests.report.sample import BILLING, PROBE, RULES, SUPPRESSED, VALIDATORS, sample_result


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in {"meta", "br", "wbr", "!doctype"}:
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
        Assessment(sample_result(), RULES, SUPPRESSED, baselined=1, fail_on=Severity.HIGH)
    )
    assert html.startswith("<!DOCTYPE html>")
    doc = parse(html)
    names = {tag for tag, _ in doc.tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed"}
    for _tag, attrs in doc.tags:
        assert "src" not in attrs
        assert "style" not in attrs
        assert not any(name.startswith("on") for name in attrs)
        # Links only within the page, or to the CWE's definition (a navigation, not a load).
        href = attrs.get("href")
        assert href is None or href.startswith(("#", "https://cwe.mitre.org/data/definitions/"))
    assert not re.search(
        r"url\(|@import|https?://", html.split("<body>")[0].replace("http-equiv", "")
    )
    csp = [a for t, a in doc.tags if t == "meta" and a.get("http-equiv")]
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    assert csp[0]["content"] == (
        f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def test_summary_counts_and_findings_grouped_by_route() -> None:
    html = HtmlFormat().render(Assessment(sample_result(findings=(BILLING, VALIDATORS, PROBE))))
    text = " ".join("".join(parse(html).text).split())
    assert "3 findings" in text
    counts = {label: n for n, label in re.findall(r'<span class="n">(\d+)</span>(\w+)</li>', html)}
    assert counts == {"critical": "0", "high": "2", "medium": "1", "low": "0", "info": "0"}
    headings = re.findall(r"<h3>(?:<code>)?([^<]*?)(?:</code>)? <span", html)
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
        Assessment(sample_result(root="/tmp/<root>", findings=(evil,)), suppressed=SUPPRESSED)
    )
    doc = parse(html)
    assert not {tag for tag, _ in doc.tags} & {"script", "img", "b"}
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "/tmp/&lt;root&gt;" in html
    assert "<script>" not in html
    assert "<img" not in html


def test_no_findings() -> None:
    html = HtmlFormat().render(Assessment(sample_result(findings=(), errors=())))
    assert "No findings." in html
    parse(html)


def test_route_inventory_is_listed_with_status() -> None:
    html = HtmlFormat().render(Assessment(sample_result()))
    assert '<section id="routes"><h2>Routes (3)</h2>' in html
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


@dataclass(frozen=True)
class Category:
    category: str
    score: int | None
    grade: str
    findings: int


@dataclass(frozen=True)
class Grade:
    score: int
    grade: str
    categories: tuple[Category, ...]


GRADE = Grade(
    55,
    "F",
    (Category("Authentication", 75, "C", 1), Category("BOLA", None, "n/a", 0)),
)
EXCERPT = SourceExcerpt(
    "billing/views.py",
    focus=12,
    start=11,
    lines=("@decorate", "class BillingView(APIView):", "    permission_classes = [AllowAny]"),
    cut=True,
)


def test_static_scan_leads_with_what_it_has() -> None:
    """Before: a static report opened with a large "No probe grade" card."""
    html = HtmlFormat().render(Assessment(sample_result(), fail_on=Severity.HIGH))
    text = " ".join("".join(parse(html).text).split())
    assert "No probe grade" not in text
    assert 'class="card grade"' not in html
    summary = html[html.index('id="summary"') : html.index('id="findings"')]
    assert summary.index("Findings by severity") < summary.index("has no A")
    assert "mtlsguard probe" in text
    assert 'id="categories"' not in html
    assert "2 findings at or above the fail-on threshold (high)" in text
    one = HtmlFormat().render(Assessment(sample_result(findings=(BILLING,)), fail_on=Severity.HIGH))
    assert "1 finding at or above" in " ".join("".join(parse(one).text).split())


def test_the_fix_list_names_each_fix_once() -> None:
    twice = replace(BILLING, route="api/billing/other/", methods=("POST",))
    html = HtmlFormat().render(Assessment(sample_result(findings=(BILLING, twice))))
    fixes = html[html.index('id="fixes"') : html.index('id="routes"')]
    assert fixes.count("<li>") == 1
    assert fixes.count(BILLING.remediation) == 1
    assert 'href="#finding-1"' in fixes
    assert 'href="#finding-2"' in fixes


def test_view_names_break_at_dots_and_regex_routes_read_as_paths() -> None:
    route = replace(
        sample_result().routes[0],
        pattern="^api/v1/organizers/(?P<organizer>[^/]+)/$",
        view="pretix.api.views.organizer.OrganizerViewSet",
    )
    regex = replace(BILLING, route=route.pattern)
    html = HtmlFormat().render(Assessment(sample_result(findings=(regex,), routes=(route,))))
    assert "/api/v1/organizers/&lt;organizer&gt;/" in html
    assert "/^api" not in html
    assert (
        '<code class="view">pretix<wbr>.api<wbr>.views<wbr>.organizer<wbr>.OrganizerViewSet</code>'
        in html
    )
    assert "code.view{word-break:normal;overflow-wrap:normal}" in html


def test_grade_and_category_scores() -> None:
    report = Assessment(
        sample_result(findings=(PROBE,)), grade=GRADE, notes=("mTLS enforced",), title="Probe"
    )
    html = HtmlFormat().render(report)
    text = " ".join("".join(parse(html).text).split())
    assert '<div class="letter grade-F">F</div>' in html
    assert "Probe grade F" in text
    assert "Probe score 55/100" in text
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>(.*?)</td>", html)
    assert rows[0][:2] == ("Authentication", "C")
    assert 'class="w75"' in rows[0][2]
    assert rows[1][:2] == ("BOLA", "n/a")
    assert "not tested" in rows[1][2]
    assert "mTLS enforced" in text
    assert "<h1>Probe</h1>" in html


def test_excerpt_cwe_links_and_fix_list() -> None:
    report = Assessment(sample_result(findings=(BILLING, VALIDATORS)), excerpts=(EXCERPT,))
    html = HtmlFormat().render(report)
    assert '<span class="line focus"><span class="ln">12</span>class BillingView' in html
    assert '<span class="ln">11</span>@decorate' in html
    assert '<span class="ln">…</span>' in html  # the block goes on
    assert html.count('<pre class="source">') == 1  # the settings finding has no excerpt
    assert '<a href="https://cwe.mitre.org/data/definitions/306.html" rel="noreferrer">' in html
    assert '<a href="https://cwe.mitre.org/data/definitions/287.html" rel="noreferrer">' in html
    fixes = re.findall(
        r'<li><span class="sev (\w+)">\w+</span><a class="rule" href="#([\w-]+)">', html
    )
    assert fixes == [("high", "finding-1"), ("medium", "finding-2")]
    assert 'id="finding-1"' in html
    assert 'id="finding-2"' in html


def test_hostile_names_excerpts_grades_and_cwes_are_escaped() -> None:
    script = "<script>alert(1)</script>"
    evil = replace(
        BILLING,
        route=f"api/{script}/",
        view=f"app.views.{script}",
        cwe='CWE-306" onclick="alert(3)',
        cwes=("javascript:alert(4)",),
        methods=(script,),
        rule_id=script,
    )
    excerpt = replace(EXCERPT, lines=(script, '</pre><img src=x onerror="alert(2)">'))
    grade = Grade(0, script, (Category(script, 10, script, 1),))
    report = Assessment(
        sample_result(findings=(evil,), routes=(), errors=()),
        grade=grade,
        notes=(script,),
        title=script,
        excerpts=(excerpt,),
    )
    html = HtmlFormat().render(report)
    doc = parse(html)
    assert not {tag for tag, _ in doc.tags} & {"script", "img"}
    for _, attrs in doc.tags:
        assert not any(name.startswith("on") for name in attrs)
        assert "javascript:" not in (attrs.get("href") or "")
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "CWE-306&quot; onclick=&quot;alert(3)" in html
    assert '<div class="letter grade-none">' in html
