"""Hand-built scan results for the format tests (the formats never see the engine)."""

from __future__ import annotations

from mtlsguard.findings import registry
from mtlsguard.findings.assessment import Suppression
from mtlsguard.findings.model import (
    Confidence,
    Location,
    Protection,
    Route,
    ScanError,
    ScanResult,
    Severity,
)
from tests.factories import finding


def Rule(
    rule_id: str, title: str, cwe: str, severity: Severity, doc: str, cwes: tuple[str, ...] = ()
) -> registry.Rule:
    """A registry rule for the format tests (never registered)."""
    kind = registry.RuleKind.PROBE if rule_id.startswith("MG4") else registry.RuleKind.STATIC
    return registry.Rule(
        rule_id=rule_id,
        title=title,
        cwe=cwe,
        severity=severity,
        confidence=Confidence.HIGH,
        kind=kind,
        doc=doc,
        module="tests.report.sample",
        cwes=cwes,
    )


RULES = (
    Rule(
        "MG101",
        "View reachable with a client certificate only",
        "CWE-306",
        Severity.HIGH,
        "View reachable with a client certificate only.\n\nmTLS is not app auth.\n\n"
        "```python\ndef v(request): ...\n```",
        ("CWE-287",),
    ),
    Rule("MG201", "Weak password validators", "CWE-521", Severity.MEDIUM, "Weak validators."),
    Rule("MG301", "Certificate header trusted", "CWE-290", Severity.CRITICAL, "Trusted header."),
    Rule("MG401", "Probe: open with a certificate", "CWE-306", Severity.HIGH, "Probe."),
)

BILLING = finding(
    "MG101",
    title="View reachable with a client certificate only",
    location=Location("billing/views.py", 12),
    route="api/billing/<int:pk>/",
    view="billing.views.BillingView",
    view_kind="type",
    evidence="class BillingView(APIView): permission_classes = [AllowAny]",
    remediation="Add IsAuthenticated to permission_classes.",
    methods=("GET", "POST"),
    cwes=("CWE-287",),
)
HEADER_TRUST = finding(
    "MG301",
    Severity.CRITICAL,
    title="Certificate header trusted",
    cwe="CWE-290",
    confidence=Confidence.MEDIUM,
    location=Location("core/middleware.py", 5, 1),
    view="core.middleware.cert_login",
    view_kind="function",
    evidence="request.META['HTTP_X_SSL_CLIENT_S_DN']",
    remediation="Check the peer address against TRUSTED_PROXIES first.",
)
VALIDATORS = finding(
    "MG201",
    Severity.MEDIUM,
    title="Weak password validators",
    cwe="CWE-521",
    location=Location("proj/settings.py", 40, 1),
    evidence="AUTH_PASSWORD_VALIDATORS = []",
    remediation="Enable Django's four default validators.",
)
INFO = finding(
    "MG999",
    Severity.INFO,
    title="Something from a third-party rule",
    cwe="CWE-309",
    confidence=Confidence.LOW,
    location=Location("dir with space/ünï.py", 3),
)
PROBE = finding(
    "MG401",
    title="Probe: open with a certificate",
    location=None,
    route="api/accounts/",
    view="accounts.views.AccountViewSet",
    view_kind="type",
    evidence="GET /api/accounts/ -> 200 with a client certificate and no credentials",
    remediation="Require authentication.",
    web_request={"protocol": "HTTP", "version": "1.1", "method": "GET", "target": "/api/accounts/"},
    web_response={"statusCode": 200, "reasonPhrase": "OK", "headers": {"Content-Type": "json"}},
)

ROUTES = (
    Route(
        pattern="api/billing/<int:pk>/",
        view="billing.views.BillingView",
        location=Location("billing/views.py", 12),
        name="billing-detail",
        methods=("GET", "POST"),
        protections=(
            Protection("GET", False, "class", "AllowAny"),
            Protection("POST", True, "class", "IsAuthenticated"),
        ),
    ),
    Route(
        pattern="health/",
        view="core.views.health",
        location=Location("core/views.py", 3),
        protections=(Protection("*", None, "none", "dynamic permission_classes"),),
    ),
    Route(pattern="legacy/", view=None, location=None),
)


def sample_result(root: str = "/srv/project", **changes: object) -> ScanResult:
    data: dict[str, object] = {
        "root": root,
        "findings": (VALIDATORS, BILLING, INFO, HEADER_TRUST),
        "routes": ROUTES,
        "errors": (ScanError("broken/views.py", "syntax error at line 3"),),
        "files_scanned": 17,
        "lines_scanned": 1234,
    }
    data.update(changes)
    return ScanResult(**data)  # type: ignore[arg-type]


SUPPRESSED = (
    Suppression(
        finding(
            "MG101",
            title="View reachable with a client certificate only",
            location=Location("core/views.py", 3),
            route="health/",
            view="core.views.health",
            view_kind="function",
        ),
        reason="public liveness probe",
        line=2,
    ),
)
