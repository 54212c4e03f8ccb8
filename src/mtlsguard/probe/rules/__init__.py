"""Probe rule metadata (``MG4xx``): one module per rule, whose docstring is its documentation.

Same shape as :class:`mtlsguard.scan.rules.RuleMeta` (``rule_id``, ``title``, ``cwe``,
``severity``, ``confidence``, ``cwes``, ``doc``), so reports, SARIF rule descriptors and the
``docs/rules/`` generator read both registries alike. The detection itself lives in the probe
modules (:mod:`mtlsguard.probe.authentication` ...), which build findings with
:meth:`ProbeRule.finding`. Each rule also names its score category.
"""

from __future__ import annotations

import enum
import re
import sys
from dataclasses import dataclass

from mtlsguard.findings.model import Confidence, Finding, Severity
from mtlsguard.scan.rules import import_rule_modules

__all__ = ["Category", "ProbeRule", "all_probe_rules", "get_probe_rule", "probe_rule"]

_RULE_ID = re.compile(r"MG4\d\d")
_REGISTRY: dict[str, ProbeRule] = {}


class Category(enum.StrEnum):
    """Score categories of ``mtlsguard probe``."""

    AUTHENTICATION = "Authentication"
    BOLA = "BOLA"
    RATE_LIMITING = "Rate limiting"
    SESSION = "Session"


@dataclass(frozen=True, slots=True)
class ProbeRule:
    """A dynamic rule: identity, defaults, documentation and score category."""

    rule_id: str
    """``MG402``."""
    title: str
    """One-line title (the default finding title)."""
    cwe: str
    """Primary CWE."""
    severity: Severity
    """Default severity."""
    confidence: Confidence
    """Default confidence."""
    cwes: tuple[str, ...]
    """Related CWEs beyond :attr:`cwe`."""
    category: Category
    """Score category."""
    doc: str
    """The rule module's docstring."""

    def finding(
        self,
        *,
        route: str,
        evidence: str,
        remediation: str,
        view: str | None = None,
        methods: tuple[str, ...] = ("GET",),
        confidence: Confidence | None = None,
        severity: Severity | None = None,
        web_request: dict[str, object] | None = None,
        web_response: dict[str, object] | None = None,
    ) -> Finding:
        """A dynamic :class:`Finding` of this rule (no source location)."""
        return Finding(
            rule_id=self.rule_id,
            title=self.title,
            cwe=self.cwe,
            severity=self.severity if severity is None else severity,
            confidence=self.confidence if confidence is None else confidence,
            location=None,
            route=route,
            view=view,
            view_kind="type" if view and view.rsplit(".", 1)[-1][:1].isupper() else None,
            evidence=evidence,
            remediation=remediation,
            methods=methods,
            cwes=self.cwes,
            web_request=web_request,
            web_response=web_response,
        )


def probe_rule(
    module: str,
    rule_id: str,
    *,
    title: str,
    cwe: str,
    severity: Severity,
    category: Category,
    confidence: Confidence = Confidence.HIGH,
    cwes: tuple[str, ...] = (),
) -> ProbeRule:
    """Register and return the rule defined by ``module`` (pass ``__name__``).

    :raises ValueError: for a malformed or duplicate id, or a module without a docstring.
    """
    if not _RULE_ID.fullmatch(rule_id):
        raise ValueError(f"probe rule id {rule_id!r} must look like MG4xx")
    doc = (sys.modules[module].__doc__ or "").strip()
    if not doc:
        raise ValueError(f"probe rule {rule_id}: module {module} needs a docstring")
    if rule_id in _REGISTRY:
        raise ValueError(f"probe rule id {rule_id} registered twice")
    meta = ProbeRule(rule_id, title, cwe, severity, confidence, cwes, category, doc)
    _REGISTRY[rule_id] = meta
    return meta


def _load() -> None:
    import_rule_modules(__name__)


def all_probe_rules() -> tuple[ProbeRule, ...]:
    """Every probe rule, sorted by id."""
    _load()
    return tuple(_REGISTRY[k] for k in sorted(_REGISTRY))


def get_probe_rule(rule_id: str) -> ProbeRule:
    """The probe rule ``rule_id``.

    :raises KeyError: if there is no such rule.
    """
    _load()
    return _REGISTRY[rule_id]
