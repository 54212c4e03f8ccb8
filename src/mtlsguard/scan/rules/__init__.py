"""Rule registry: one module per rule, registered with :func:`rule` (Bandit/Schemathesis style).

A rule is a function ``check(ctx: RuleContext) -> Iterable[Finding]`` decorated with
:func:`rule`, which records its id, title, CWE, default severity and confidence. The rule's
*module docstring* is its documentation (what, why with the CWE, a vulnerable example and its
fix); :func:`all_rules` returns the metadata that the docs generator and SARIF ``rules`` use.

Ids: ``MG1xx`` endpoint authentication/authorization, ``MG2xx`` settings and session,
``MG3xx`` certificate handling in code (``MG4xx`` belong to the probe).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mtlsguard.findings.model import Confidence, Finding, Location, Severity

if TYPE_CHECKING:
    from mtlsguard.scan.context import RuleContext

__all__ = ["RuleCheck", "RuleMeta", "all_rules", "get_rule", "import_rule_modules", "rule"]

RuleCheck = Callable[["RuleContext"], Iterable[Finding]]
"""The signature of a rule's check function."""

_RULE_ID = re.compile(r"MG[1-3]\d\d")
_REGISTRY: dict[str, RuleMeta] = {}


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """A registered rule: identity, defaults, documentation and its check function."""

    rule_id: str
    """``MG101``."""
    title: str
    """One-line title (also the default finding title)."""
    cwe: str
    """Primary CWE (``CWE-306``)."""
    severity: Severity
    """Default severity."""
    confidence: Confidence
    """Default confidence."""
    cwes: tuple[str, ...]
    """Related CWEs beyond :attr:`cwe`."""
    doc: str
    """The rule module's docstring: what, why, vulnerable example, fix."""
    check: RuleCheck
    """The check function."""

    def finding(
        self,
        *,
        location: Location | None,
        evidence: str,
        remediation: str,
        route: str | None = None,
        view: str | None = None,
        view_kind: str | None = None,
        methods: tuple[str, ...] = (),
        title: str | None = None,
        severity: Severity | None = None,
        confidence: Confidence | None = None,
    ) -> Finding:
        """Build a :class:`Finding` carrying this rule's id, CWEs and defaults."""
        return Finding(
            rule_id=self.rule_id,
            title=title or self.title,
            cwe=self.cwe,
            severity=self.severity if severity is None else severity,
            confidence=self.confidence if confidence is None else confidence,
            location=location,
            route=route,
            view=view,
            view_kind=view_kind,
            evidence=evidence,
            remediation=remediation,
            methods=methods,
            cwes=self.cwes,
        )


def rule(
    rule_id: str,
    *,
    title: str,
    cwe: str,
    severity: Severity,
    confidence: Confidence = Confidence.HIGH,
    cwes: tuple[str, ...] = (),
) -> Callable[[RuleCheck], RuleCheck]:
    """Register the decorated check function as rule ``rule_id``.

    :raises ValueError: for a malformed or duplicate id, or a rule module without a docstring.
    """
    if not _RULE_ID.fullmatch(rule_id):
        raise ValueError(f"rule id {rule_id!r} must look like MG1xx, MG2xx or MG3xx")

    def register(check: RuleCheck) -> RuleCheck:
        module = sys.modules.get(check.__module__)
        doc = (module.__doc__ or "").strip() if module is not None else ""
        if not doc:
            raise ValueError(f"rule {rule_id}: module {check.__module__} needs a docstring")
        existing = _REGISTRY.get(rule_id)
        if existing is not None and existing.check.__module__ != check.__module__:
            raise ValueError(f"rule id {rule_id} registered twice")
        _REGISTRY[rule_id] = RuleMeta(
            rule_id=rule_id,
            title=title,
            cwe=cwe,
            severity=severity,
            confidence=confidence,
            cwes=cwes,
            doc=doc,
            check=check,
        )
        return check

    return register


@functools.cache
def import_rule_modules(package: str) -> None:
    """Import every ``mg*`` module of ``package`` once, so their rules register themselves.

    Shared by this registry and the probe's (:mod:`mtlsguard.probe.rules`).
    """
    path = importlib.import_module(package).__path__
    for info in pkgutil.iter_modules(path):
        if info.name.startswith("mg"):
            importlib.import_module(f"{package}.{info.name}")


def _load() -> None:
    import_rule_modules(__name__)


def all_rules() -> tuple[RuleMeta, ...]:
    """Every built-in rule, sorted by id."""
    _load()
    return tuple(_REGISTRY[k] for k in sorted(_REGISTRY))


def get_rule(rule_id: str) -> RuleMeta:
    """The rule ``rule_id``.

    :raises KeyError: if there is no such rule.
    """
    _load()
    return _REGISTRY[rule_id]
