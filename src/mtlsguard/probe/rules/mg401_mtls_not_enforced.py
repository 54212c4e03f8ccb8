"""MG401 — Endpoint answers without a client certificate (CWE-306, CWE-295).

**What.** The probe connected *without* presenting a client certificate and the endpoint
answered 2xx with data. Mutual TLS is not enforced in front of it: the TLS terminator accepts
certificate-less handshakes (``ssl_verify_client optional``, ``verify optional``) and the
application does not refuse them, or the application is reachable around its proxy.

**Why.** Every control that assumes "only certificate holders get here" is void; anyone who
can reach the port reads the data (CWE-306 missing authentication for a critical function).

**Fix.** Require a client certificate at the edge (``ssl_verify_client on``), make the
application refuse requests whose certificate was not verified (``MTLSGUARD["REQUIRED"]``),
and never expose the application server except to the proxy.
"""

from __future__ import annotations

from mtlsguard.findings.model import Severity
from mtlsguard.probe.rules import Category, probe_rule

RULE = probe_rule(
    __name__,
    "MG401",
    title="Endpoint answers without a client certificate (mTLS not enforced)",
    cwe="CWE-306",
    severity=Severity.HIGH,
    category=Category.AUTHENTICATION,
    cwes=("CWE-295",),
)
