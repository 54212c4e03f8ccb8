"""``mtlsguard probe --format html``: the grade and category scores in the report's own sections."""

from __future__ import annotations

from mtlsguard.findings.registry import get_rule
from mtlsguard.probe.rules import Category, load
from mtlsguard.probe.runner import ProbeResult
from mtlsguard.probe.scoring import score_findings
from tests.factories import render_probe as render

load()


def test_probe_html_shows_grade_categories_and_notes() -> None:
    bola = get_rule("MG404").finding(
        route="/api/accounts/{pk}/",
        view="bank.views.AccountDetail",
        evidence="GET /api/accounts/2/: <b>B's</b> object",
        remediation="Scope the queryset to request.user.",
    )
    result = ProbeResult(
        base_url="https://127.0.0.1:8443/",
        findings=(bola,),
        errors=(),
        score=score_findings([bola], {Category.AUTHENTICATION, Category.BOLA}),
        notes=("mTLS is enforced at the TLS handshake",),
        requests_sent=41,
        elapsed=2.1,
        routes=3,
        paths=9,
        reached=9,
    )
    page = render(result, "html")
    assert "<h1>Probe report</h1>" in page
    assert '<div class="letter grade-C">C</div>' in page
    assert "Probe score 75/100" in page
    assert '<section id="categories">' in page
    assert "<tr><td>BOLA</td><td>C</td>" in page
    assert "3 routes, 9 paths, 41 requests in 2.1s" in page
    assert "mTLS is enforced at the TLS handshake" in page
    assert "No probe grade" not in page
    assert "<code>/api/accounts/{pk}/</code>" in page
    assert "&lt;b&gt;B&#x27;s&lt;/b&gt;" in page
