"""MG202 — Long-lived sessions that survive the browser (CWE-613).

**What.** ``SESSION_COOKIE_AGE`` is set above one day while ``SESSION_EXPIRE_AT_BROWSER_CLOSE``
is not ``True``.

**Why.** Insufficient session expiration (CWE-613): a stolen or forgotten session stays valid
for weeks, long after the certificate that opened it was revoked or the user walked away.

**Vulnerable**::

    SESSION_COOKIE_AGE = 60 * 60 * 24 * 30   # 30 days

**Fix**::

    SESSION_COOKIE_AGE = 60 * 60 * 8          # a working day
    SESSION_EXPIRE_AT_BROWSER_CLOSE = True
"""

from __future__ import annotations

from collections.abc import Iterator

from mtlsguard.findings.model import Confidence, Finding, Severity
from mtlsguard.findings.registry import Rule, RuleOption, rule
from mtlsguard.scan.context import RuleContext
from mtlsguard.scan.project_model import Const
from mtlsguard.scan.rules._common import number, test_suite_settings

RULE_ID = "MG202"
_ONE_DAY = 86_400
_LIMIT = RuleOption(
    "max-age-seconds", _ONE_DAY, "SESSION_COOKIE_AGE above this (seconds) is reported"
)


@rule(
    RULE_ID,
    title="Long-lived sessions without expiry at browser close",
    cwe="CWE-613",
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    options=(_LIMIT,),
)
def check(ctx: RuleContext, meta: Rule) -> Iterator[Finding]:
    """Check ``SESSION_COOKIE_AGE`` against ``SESSION_EXPIRE_AT_BROWSER_CLOSE``."""
    yield from test_suite_settings(ctx, _check(ctx, meta))


def _check(ctx: RuleContext, meta: Rule) -> Iterator[Finding]:
    limit = meta.option(_LIMIT.name, int)
    age = ctx.setting("SESSION_COOKIE_AGE")
    if age is None:
        return
    seconds = number(age.value)
    if seconds is None or seconds <= limit:
        return
    close = ctx.setting("SESSION_EXPIRE_AT_BROWSER_CLOSE")
    if close is not None and isinstance(close.value, Const) and close.value.value is True:
        return
    yield meta.finding(
        location=age.location,
        evidence=(
            f"SESSION_COOKIE_AGE = {seconds:.0f} s ({seconds / _ONE_DAY:.1f} days) and "
            "SESSION_EXPIRE_AT_BROWSER_CLOSE is not True"
        ),
        remediation=(
            "Lower SESSION_COOKIE_AGE to a working day (28800) or less and set "
            "SESSION_EXPIRE_AT_BROWSER_CLOSE = True."
        ),
        confidence=Confidence.MEDIUM if age.conditional else Confidence.HIGH,
    )
