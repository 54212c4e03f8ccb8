"""The built-in probe rules (``MG4xx``): one module per rule, whose docstring is its documentation.

Each module registers its rule in :mod:`mtlsguard.findings.registry` with
``register(..., kind=RuleKind.PROBE, category=...)``; the detection itself lives in the probe
phases, which build findings with the rule's :meth:`~mtlsguard.findings.registry.Rule.finding`.
Each rule names the score :class:`Category` its findings count against.
"""

from __future__ import annotations

import enum
import functools
import importlib
import pkgutil

from mtlsguard.findings.model import Confidence, Finding, Severity
from mtlsguard.findings.registry import Rule, RuleKind, RuleOption, all_rules, get_rule, register

__all__ = ["Category", "category_of", "load", "probe_finding", "probe_rule", "probe_rules"]


class Category(enum.StrEnum):
    """Score categories of ``mtlsguard probe``."""

    AUTHENTICATION = "Authentication"
    BOLA = "BOLA"
    RATE_LIMITING = "Rate limiting"
    SESSION = "Session"


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
    options: tuple[RuleOption, ...] = (),
) -> Rule:
    """Register and return the probe rule defined by ``module`` (pass ``__name__``).

    :raises RegistryError: for a malformed or duplicate id, or a module without a docstring.
    """
    return register(
        module,
        rule_id,
        title=title,
        cwe=cwe,
        severity=severity,
        kind=RuleKind.PROBE,
        confidence=confidence,
        cwes=cwes,
        category=category.value,
        options=options,
    )


@functools.cache
def load() -> None:
    """Import every ``mg*`` module of this package once, so their rules register."""
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("mg"):
            importlib.import_module(f"{__name__}.{info.name}")


def probe_rules() -> tuple[Rule, ...]:
    """Every probe rule, built-in and plugin, sorted by id."""
    load()
    return all_rules(RuleKind.PROBE)


def category_of(rule_id: str) -> Category:
    """The score category of probe rule ``rule_id``.

    :raises KeyError: if there is no such probe rule.
    """
    load()
    meta = get_rule(rule_id)
    if meta.category is None:
        raise KeyError(f"{rule_id} is not a probe rule")
    return Category(meta.category)


def view_kind_of(view: str | None) -> str | None:
    """``type`` for a class-based view, ``function`` for a function view, by Python's naming.

    The probe knows a view only by the dotted name the route inventory gave it; classes are
    capitalised (``bank.views.BillingView``), functions are not (``bank.views.billing``).
    """
    if not view:
        return None
    return "type" if view.rsplit(".", 1)[-1][:1].isupper() else "function"


def probe_finding(
    rule: Rule,
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
    """A dynamic finding of probe rule ``rule``.

    No source location; the methods the probe sent (``GET`` unless said); the view's kind,
    which SARIF's logical location carries.
    """
    return rule.finding(
        route=route,
        evidence=evidence,
        remediation=remediation,
        view=view,
        view_kind=view_kind_of(view),
        methods=methods,
        confidence=confidence,
        severity=severity,
        web_request=web_request,
        web_response=web_response,
    )
