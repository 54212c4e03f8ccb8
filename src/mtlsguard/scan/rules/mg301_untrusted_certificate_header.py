"""MG301 — Certificate headers believed without checking they came from the proxy (CWE-290).

**What.** Middleware, an authentication backend or a DRF authentication class that reads a
client-certificate header or environ key (``HTTP_X_SSL_CLIENT_S_DN``, ``X-Forwarded-Client-Cert``,
``SSL_CLIENT_*`` …) and acts on it — to let a request through or to pick the user — without
first checking that the request came from a trusted proxy (``REMOTE_ADDR`` against an
allow-list, a trusted-proxies setting).

**Why.** Authentication bypass by spoofing (CWE-290, CWE-287): any client that reaches the app
without the proxy (another pod, a misrouted port, a second ingress) sends
``X-SSL-Client-S-DN: CN=admin`` itself and becomes whoever it names.

**Vulnerable**::

    class CertificateUserMiddleware:
        def __call__(self, request):
            dn = request.META.get("HTTP_X_SSL_CLIENT_S_DN")
            if dn:
                request.user = User.objects.get(username=dn.split("CN=")[1])
            return self.get_response(request)

**Fix**::

    MIDDLEWARE = [..., "mtlsguard.django.middleware.ClientCertificateMiddleware"]
    MTLSGUARD = {"SOURCE": "nginx", "TRUSTED_PROXIES": ["10.0.0.5/32"]}

(mtlsguard only believes the header from the listed proxies, verifies the certificate chain,
and never calls ``login()`` per request.)
"""

from __future__ import annotations

from collections.abc import Iterator

from mtlsguard.findings.model import Confidence, Finding, Severity
from mtlsguard.findings.registry import Rule, rule
from mtlsguard.scan.context import RuleContext

RULE_ID = "MG301"


@rule(
    RULE_ID,
    title="Certificate header trusted without a trusted-proxy check",
    cwe="CWE-290",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwes=("CWE-287",),
)
def check(ctx: RuleContext, meta: Rule) -> Iterator[Finding]:
    """Report request-path components that read certificate headers with no proxy check."""
    for kind, cls in ctx.components():
        keys: list[str] = []
        trusted = False
        for entry in cls.mro:
            owner = ctx.project.class_named(entry)
            if owner is None:
                continue
            for meth in owner.methods.values():
                keys.extend(meth.facts.cert_keys)
                trusted = trusted or meth.facts.trusted_proxy_check
        if not keys or trusted:
            continue
        yield meta.finding(
            location=cls.location,
            view=cls.qualname,
            view_kind="type",
            evidence=(
                f"{kind} {cls.qualname} reads {', '.join(dict.fromkeys(keys))} and never checks "
                "REMOTE_ADDR or a trusted-proxy list"
            ),
            remediation=(
                "Only believe certificate headers from the proxy: compare REMOTE_ADDR with an "
                "allow-list of proxy addresses before reading them, strip them at the proxy, or "
                "use mtlsguard.django's middleware with MTLSGUARD['TRUSTED_PROXIES']."
            ),
        )
