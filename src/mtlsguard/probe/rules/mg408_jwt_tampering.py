"""MG408 — Tampered JWT accepted: signature not verified, or ``alg: none`` (CWE-347).

**What.** With ``--credential-probes`` and a JWT in ``--auth-header``, the probe sends the
token altered four ways: ``alg`` set to ``none`` (and ``None``) with the signature removed,
the signature stripped, and a claim changed under the original signature. The finding is
confirmed when an altered token gets the data the real token gets while the certificate
alone does not.

**Why.** A token whose signature is not verified is a credential the client writes itself
(CWE-347 improper verification of a cryptographic signature): any claim, any user.

**Fix.** Decode with verification and a fixed algorithm list, e.g.
``jwt.decode(token, key, algorithms=["RS256"])`` (PyJWT) or djangorestframework-simplejwt's
defaults; never ``options={"verify_signature": False}``, never ``algorithms`` taken from the
token header.
"""

from __future__ import annotations

from mtlsguard.findings.model import Severity
from mtlsguard.probe.rules import Category, probe_rule

RULE = probe_rule(
    __name__,
    "MG408",
    title="Tampered JWT accepted (signature not verified or alg none)",
    cwe="CWE-347",
    severity=Severity.CRITICAL,
    category=Category.SESSION,
    cwes=("CWE-287",),
)
