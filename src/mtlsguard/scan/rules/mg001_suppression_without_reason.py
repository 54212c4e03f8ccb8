"""MG001 — Suppression comment without a reason.

**What.** An inline suppression, ``# mtlsguard: ignore[MG101]``, without ``-- reason``.

**Why.** A suppression must say why the finding does not apply, so that a reviewer can judge
it later. Without a reason it does **not** suppress: mtlsguard reports the finding and this
one.

**Vulnerable**::

    @api_view(["GET"])  # mtlsguard: ignore[MG101]
    def health(request): ...

**Fix**: give the reason after ``--``::

    @api_view(["GET"])  # mtlsguard: ignore[MG101] -- public liveness probe, returns no data
    def health(request): ...
"""

from __future__ import annotations

from mtlsguard.findings.model import Severity
from mtlsguard.findings.registry import RuleKind, register

RULE = register(
    __name__,
    "MG001",
    title="Suppression comment without a reason",
    cwe="",
    severity=Severity.LOW,
    kind=RuleKind.TOOL,
)
