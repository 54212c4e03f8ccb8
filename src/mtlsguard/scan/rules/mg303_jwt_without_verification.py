"""MG303 — JWT decoded without signature verification or with ``none`` allowed (CWE-347).

**What.** ``jwt.decode(...)`` with ``options={"verify_signature": False}`` (PyJWT 2),
``verify=False`` (PyJWT 1) or ``"none"`` among the accepted ``algorithms``.

**Why.** Improper verification of cryptographic signature (CWE-347): anyone can mint a token
with any claims (``{"sub": "admin"}``) — next to mTLS, the token is what names the user, so this
hands out every identity.

**Vulnerable**::

    claims = jwt.decode(token, options={"verify_signature": False})

**Fix**::

    claims = jwt.decode(token, key=settings.JWT_PUBLIC_KEY, algorithms=["RS256"],
                        audience="api", options={"require": ["exp", "sub"]})
"""

from __future__ import annotations

from collections.abc import Iterator

from mtlsguard.findings.model import Confidence, Finding, Location, Severity
from mtlsguard.findings.registry import Rule, rule
from mtlsguard.scan.context import RuleContext

RULE_ID = "MG303"


@rule(
    RULE_ID,
    title="JWT decoded without signature verification",
    cwe="CWE-347",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
)
def check(ctx: RuleContext, meta: Rule) -> Iterator[Finding]:
    """Report ``jwt.decode`` calls that skip verification or accept ``alg: none``."""
    for func in list(ctx.project.functions.values()):
        if not func.may_mention("jwt"):
            continue
        for call in func.facts.jwt_decodes:
            if not (call.verify_disabled or call.allows_none):
                continue
            what = "signature verification disabled" if call.verify_disabled else "'none' allowed"
            yield meta.finding(
                location=Location(func.location.path, call.line),
                view=func.qualname,
                view_kind="function",
                evidence=f"jwt.decode in {func.qualname}: {what}",
                remediation=(
                    "Pass the verification key and an explicit algorithms list without 'none' "
                    "(jwt.decode(token, key, algorithms=['RS256'])) and keep verify_signature on."
                ),
            )
