"""MG301 — Certificate headers believed without checking they came from the proxy (CWE-290).

**What.** Middleware, an authentication backend or a DRF authentication class that reads a
client-certificate header or environ key (``HTTP_X_SSL_CLIENT_S_DN``, ``X-Forwarded-Client-Cert``,
``SSL_CLIENT_*`` …) and acts on it — to let a request through or to pick the user — without
first checking that the request came from a trusted proxy (``REMOTE_ADDR`` against an
allow-list, a trusted-proxies setting). A ``RemoteUserMiddleware`` whose ``header`` is a request
header (``HTTP_REMOTE_USER``, ``HTTP_X_FORWARDED_USER``) instead of the server's
``REMOTE_USER`` environ is the same bug, and so is a project middleware that refuses requests
without an identity header an SSO proxy sets and signs in the user it names (``request.user =
User.objects.get(username=request.META.get(settings.OPENIDC_EMAIL_HEADER))``).

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
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import Call, ClassModel, string_constants

RULE_ID = "MG301"


_REMOTE_USER = frozenset({"RemoteUserMiddleware", "PersistentRemoteUserMiddleware"})


def _forwarded_remote_user(ctx: RuleContext, cls: ClassModel) -> list[str]:
    """``header = "HTTP_REMOTE_USER"`` on a ``RemoteUserMiddleware``: a request header.

    Django's default reads ``REMOTE_USER`` from the WSGI environ, which only the server sets;
    an ``HTTP_*`` name is a header any client that reaches the app sends itself (Tandoor's
    GHSA-66qh-qh47-9w6p).
    """
    if not any(short_of(entry) in _REMOTE_USER for entry in cls.mro):
        return []
    found = ctx.project.attribute(cls, "header")
    if found is None:
        return []
    value = found[1]
    # header = getenv("PROXY_HEADER", "HTTP_REMOTE_USER"): the default is what runs unless set
    candidates = [*value.args, *(v for _k, v in value.kwargs)] if isinstance(value, Call) else []
    return [
        key
        for item in (value, *candidates)
        for key in string_constants(item)
        if key.upper().startswith("HTTP_")
    ]


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
                header, names_user = meth.facts.capabilities.header_sign_in
                if names_user:
                    keys.append(f"{header} (it signs the caller in from it)")
        if not keys:
            keys.extend(_forwarded_remote_user(ctx, cls))
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
