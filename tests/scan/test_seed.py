"""The seed's two vulnerabilities, end to end through scan_project."""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Severity
from mtlsguard.scan.engine import scan_project

SEED = Path(__file__).parent / "corpus" / "seed"


def test_seed_billing_view_is_mtls_only_and_account_detail_is_open() -> None:
    progress: list[tuple[int, int]] = []
    result = scan_project(SEED, progress=lambda done, total: progress.append((done, total)))
    by_view = {(f.rule_id, f.view): f for f in result.findings}
    billing = by_view[("MG102", "billing.views.BillingView")]
    assert billing.severity is Severity.CRITICAL
    assert billing.location is not None
    assert (billing.location.path, billing.location.line) == ("billing/views.py", 7)
    assert billing.route == "billing/"
    assert billing.view_kind == "type"
    assert "HTTP_X_SSL_CLIENT_VERIFY" in billing.evidence
    assert billing.methods == ("GET",)
    account = by_view[("MG101", "accounts.views.AccountDetail")]
    assert account.cwe == "CWE-306"
    assert account.route == "api/accounts/<int:pk>/"
    assert "AllowAny" in account.evidence
    assert account.remediation
    # BillingView is not also reported as a plain unauthenticated endpoint.
    assert ("MG101", "billing.views.BillingView") not in by_view
    assert result.errors == ()
    assert result.files_scanned >= 5
    assert result.lines_scanned > 50
    assert progress
    assert progress[-1][0] == progress[-1][1]
    routes = {r.pattern: r for r in result.routes}
    assert routes["billing/"].protections[0].authenticated is False
