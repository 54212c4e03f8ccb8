"""MG405 — Sign-in accepts unlimited wrong passwords (CWE-307).

**What.** With ``--credential-probes`` and a sign-in (``--login-url``, ``--username``, a
password from ``--password-env``), the probe posts a bounded number of wrong passwords for that
user (``--bruteforce-attempts``, default 12, never more than 50), stopping at the first
refusal. The finding is confirmed when none of them was refused -- no 429, 423 or 503, no 403
or lockout message where a wrong password got something else, no answer slowing down -- and the
real password still signs in right after. When the real sign-in is refused instead, the run
says so: the account or address is locked, and ``Retry-After`` says for how long.

**Why.** Improper restriction of excessive authentication attempts (CWE-307): passwords are
guessed online at full speed. A client certificate does not limit how often its holder tries
someone else's password.

**Fix.** Throttle the sign-in: DRF ``throttle_classes`` (a ``ScopedRateThrottle`` with
``DEFAULT_THROTTLE_RATES = {"login": "5/min"}``), django-ratelimit's ``@ratelimit``, or a
lockout app (django-axes); answer 429 with ``Retry-After``.
"""

from __future__ import annotations

from mtlsguard.findings.model import Severity
from mtlsguard.probe.rules import Category, probe_rule

RULE = probe_rule(
    __name__,
    "MG405",
    title="Sign-in accepts unlimited wrong passwords (no throttling or lockout)",
    cwe="CWE-307",
    severity=Severity.HIGH,
    category=Category.RATE_LIMITING,
)
