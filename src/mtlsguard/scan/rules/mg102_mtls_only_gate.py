"""MG102 — Endpoint whose only gate is a client-certificate header (CWE-306, CWE-287, CWE-308).

**What.** A view, decorator, permission class or middleware that decides access by reading a
certificate header or environ key — ``SSL_CLIENT_VERIFY``, ``HTTP_X_SSL_CLIENT_*``,
``X-Forwarded-Client-Cert``, ``X-Amzn-Mtls-Clientcert`` … — and nothing else: no application
user, no ``login_required``, no authenticating permission.

**Why.** Mutual TLS proves that the caller holds *a* certificate from the trusted CA; it does
not identify the application user or what they may do (CWE-306 missing authentication,
CWE-287 improper authentication, CWE-308 single-factor authentication). When the app is
reachable without the proxy, the header itself can be forged by anyone.

**Vulnerable**::

    class BillingView(View):
        def get(self, request):
            if request.META.get("HTTP_X_SSL_CLIENT_VERIFY") != "SUCCESS":
                return HttpResponseForbidden()
            return JsonResponse({"invoices": list(Invoice.objects.values())})

**Fix**::

    class BillingView(LoginRequiredMixin, View):
        def get(self, request):
            invoices = Invoice.objects.filter(owner=request.user)
            return JsonResponse({"invoices": list(invoices.values())})

and map the certificate to a user with ``mtlsguard``'s middleware, which verifies that the
header came from a trusted proxy and that the certificate chain is valid.
"""

from __future__ import annotations

from collections.abc import Iterator

from mtlsguard.findings.model import Confidence, Finding, Severity
from mtlsguard.findings.registry import Rule, rule
from mtlsguard.scan.context import RuleContext
from mtlsguard.scan.rules._common import describe_protections, where

RULE_ID = "MG102"


@rule(
    RULE_ID,
    title="Endpoint relies solely on an mTLS client-certificate header",
    cwe="CWE-306",
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    cwes=("CWE-287", "CWE-308"),
)
def check(ctx: RuleContext, meta: Rule) -> Iterator[Finding]:
    """Report routes whose only access decision is a certificate header/environ check."""
    for analysis in ctx.routes:
        if not analysis.cert_gate:
            continue
        open_methods = analysis.open_methods()
        yield meta.finding(
            location=analysis.location,
            route=analysis.route.pattern,
            view=analysis.view,
            view_kind=analysis.view_kind,
            methods=tuple(m for m in open_methods if m != "*"),
            evidence=(
                f"{where(analysis)}: only {analysis.cert_evidence}; "
                f"{describe_protections(analysis, only_open=True)}"
            ),
            remediation=(
                f"Require an authenticated application user on {analysis.view or 'the view'} "
                "(login_required / LoginRequiredMixin / IsAuthenticated) and derive that user from "
                "the verified certificate with mtlsguard's middleware or DRF authentication, which "
                "only trusts certificate headers from configured proxies."
            ),
            confidence=analysis.confidence,
        )
