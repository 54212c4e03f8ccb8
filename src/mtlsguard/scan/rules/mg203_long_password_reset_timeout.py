"""MG203 — Password-reset links valid for more than a day (CWE-640).

**What.** ``PASSWORD_RESET_TIMEOUT`` (seconds) above 86400, or the legacy
``PASSWORD_RESET_TIMEOUT_DAYS`` above 1.

**Why.** Weak password recovery mechanism (CWE-640): a reset link that lives for days can be
found later in a mailbox, a proxy log or a shared device and used to take the account over.

**Vulnerable**::

    PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 7

**Fix**::

    PASSWORD_RESET_TIMEOUT = 60 * 60   # one hour
"""

from __future__ import annotations

from collections.abc import Iterator

from mtlsguard.findings.model import Confidence, Finding, Severity
from mtlsguard.findings.registry import Rule, RuleOption, rule
from mtlsguard.scan.context import RuleContext
from mtlsguard.scan.rules._common import number, test_suite_settings

RULE_ID = "MG203"
_ONE_DAY = 86_400
_LIMIT = RuleOption(
    "max-timeout-seconds", _ONE_DAY, "PASSWORD_RESET_TIMEOUT above this (seconds) is reported"
)


@rule(
    RULE_ID,
    title="Password-reset links valid for more than a day",
    cwe="CWE-640",
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    options=(_LIMIT,),
)
def check(ctx: RuleContext, meta: Rule) -> Iterator[Finding]:
    """Check ``PASSWORD_RESET_TIMEOUT`` (and the legacy ``..._DAYS``)."""
    yield from test_suite_settings(ctx, _check(ctx, meta))


def _check(ctx: RuleContext, meta: Rule) -> Iterator[Finding]:
    limit = meta.option(_LIMIT.name, int)
    fix = "Set PASSWORD_RESET_TIMEOUT to 3600 (one hour) or at most 86400."
    timeout = ctx.setting("PASSWORD_RESET_TIMEOUT")
    if timeout is not None:
        seconds = number(timeout.value)
        if seconds is not None and seconds > limit:
            yield meta.finding(
                location=timeout.location,
                evidence=(
                    f"PASSWORD_RESET_TIMEOUT = {seconds:.0f} s ({seconds / _ONE_DAY:.1f} days)"
                ),
                remediation=fix,
            )
    days = ctx.setting("PASSWORD_RESET_TIMEOUT_DAYS")
    if days is not None:
        count = number(days.value)
        if count is not None and count > 1:
            yield meta.finding(
                location=days.location,
                evidence=f"PASSWORD_RESET_TIMEOUT_DAYS = {count:g}",
                remediation=fix,
            )
