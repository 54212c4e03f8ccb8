"""MG003 — Unused access declaration.

**What.** An entry of ``[tool.mtlsguard] guards`` or ``public`` (the project's own refusing
code and public views, see "Declaring your project's own guards" in the rule index) that changed
nothing in the scan: no decorator, view base class or DRF permission class of the scanned views
has that dotted name, nor (by its exact name) a middleware, where the scan could not judge the
code itself (a declaration never overrides a permission class that lets readers in, or a
middleware's allow-list); or no view or route of the scan is the declared public one. Usually a
typo, or a guard or view that has since been renamed or removed. One finding per entry, on its
line of the file.

**Why.** A declaration changes what the scan reports: a guard makes the views behind it count as
authenticated, a public entry lowers MG101 to info. One that has stopped matching changes
nothing any more, while the file still reads as if the project had told the scanner about its
access model; a reviewer would trust findings (and the absence of findings) on a wrong premise.

**Vulnerable**::

    [tool.mtlsguard]
    guards = ["accounts.decorators.member_requried"]   # typo: the decorator is member_required

**Fix**: correct the dotted name (``mtlsguard routes --format json`` lists each route's view,
and ``protections`` shows what decided it), or remove the entry. To fail CI on it, raise the
rule's severity (``[tool.mtlsguard] severity = { MG003 = "high" }``) or use ``--fail-on low``.
"""

from __future__ import annotations

from mtlsguard.findings.model import Severity
from mtlsguard.findings.registry import RuleKind, register

RULE = register(
    __name__,
    "MG003",
    title="Unused access declaration",
    cwe="",
    severity=Severity.LOW,
    kind=RuleKind.TOOL,
)
