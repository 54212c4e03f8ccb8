"""MG403 — Application believes forged forwarded-certificate headers (CWE-290, CWE-287).

**What.** The probe sent the headers a TLS-terminating proxy forwards (nginx
``X-SSL-Client-Cert``/``-Verify``, Envoy ``X-Forwarded-Client-Cert``, Traefik, HAProxy,
Apache, AWS ALB, RFC 9440 ``Client-Cert``), built from a real certificate, itself. Either a
request without a certificate gained access it did not have, or a request over one identity's
TLS connection was answered as the identity named in the headers.

**Why.** The application authenticates by a value the client controls (CWE-290
authentication bypass by spoofing, CWE-287). It happens when the app is reachable without the
proxy, when the proxy does not overwrite the headers, or when the app reads the headers from
any peer.

**Fix.** Believe certificate headers only from the proxy's address
(``MTLSGUARD["TRUSTED_PROXIES"]``) and reject them from anyone else
(``UNTRUSTED_HEADERS: "reject"``); have the proxy always overwrite them
(``proxy_set_header``, Envoy ``SANITIZE_SET``); never expose the app server directly.
"""

from __future__ import annotations

from mtlsguard.findings.model import Severity
from mtlsguard.probe.rules import Category, probe_rule

RULE = probe_rule(
    __name__,
    "MG403",
    title="Application believes forged forwarded-certificate headers",
    cwe="CWE-290",
    severity=Severity.CRITICAL,
    category=Category.AUTHENTICATION,
    cwes=("CWE-287",),
)
