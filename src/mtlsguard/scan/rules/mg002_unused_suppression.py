"""MG002 — Unused or unknown suppression.

**What.** An inline suppression, ``# mtlsguard: ignore[MG101] -- reason``, that suppresses
nothing: the rule it names ran and reported no finding on the lines the comment covers, or no
rule has the id it names (a typo such as ``MG1O1``). Like Ruff's ``RUF100``. Files with
findings and the files of the project's views are checked; a suppression of a rule that did
not run (``disable``, ``--ignore``) is left alone.

**Why.** A stale suppression hides the next real finding on that line, and a misspelt id
suppresses nothing while looking as if it did; both mislead a reviewer.

**Vulnerable**::

    @login_required
    def orders(request):  # mtlsguard: ignore[MG101] -- the view has since been fixed
        ...

**Fix**: delete the comment, or correct the rule id. To fail CI on them, raise the rule's
severity (``[tool.mtlsguard] severity = { MG002 = "high" }``) or use ``--fail-on low``.
"""

from __future__ import annotations

from mtlsguard.findings.model import Severity
from mtlsguard.findings.registry import RuleKind, register

RULE = register(
    __name__,
    "MG002",
    title="Unused or unknown suppression",
    cwe="",
    severity=Severity.LOW,
    kind=RuleKind.TOOL,
)
