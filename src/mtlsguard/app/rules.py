"""Every rule a run can report: the static scanner's, the probe's and the tool's own (MG001).

Plugin rules (the ``mtlsguard.rules`` entry points) are included; the reports describe every
one of them (SARIF rule descriptors) and the docs are generated from the built-in ones.
"""

from __future__ import annotations

from mtlsguard.app.errors import RunError
from mtlsguard.findings.assessment import RunKind
from mtlsguard.findings.registry import RegistryError, Rule, RuleKind, RuleSelection, all_rules
from mtlsguard.probe.rules import load as load_probe_rules
from mtlsguard.scan.rules import load as load_static_rules

__all__ = ["builtin_rules", "check_selection", "known_rules", "rules_of"]


def known_rules() -> tuple[Rule, ...]:
    """Every registered rule, built-in and plugin, sorted by id.

    :raises RunError: when a rule plugin fails to load (before the run does anything).
    """
    load_static_rules()
    load_probe_rules()
    try:
        return all_rules()
    except RegistryError as exc:
        raise RunError(str(exc)) from exc


def rules_of(kind: RunKind) -> tuple[Rule, ...]:
    """The rules a run of ``kind`` can report (its SARIF rule descriptors).

    A static run: the static rules and the tool's (MG001); a probe: the probe's; a combined
    run: every rule.

    :raises RunError: when a rule plugin fails to load.
    """
    wanted = {
        RunKind.STATIC: {RuleKind.STATIC, RuleKind.TOOL},
        RunKind.PROBE: {RuleKind.PROBE},
        RunKind.COMBINED: set(RuleKind),
    }[kind]
    return tuple(r for r in known_rules() if r.kind in wanted)


def check_selection(selection: RuleSelection, where: str) -> None:
    """Refuse a selection that names a rule nobody knows or an option a rule does not declare.

    A typo in ``disable`` or in an option table must not quietly leave a rule running or a
    threshold at its default.

    :raises RunError: naming ``where`` the selection came from.
    """
    rules = known_rules()
    unknown = selection.unknown(r.rule_id for r in rules)
    if unknown:
        raise RunError(f"{where}: no rule matches {', '.join(map(repr, unknown))}")
    try:
        selection.apply(rules)
    except RegistryError as exc:
        raise RunError(f"{where}: {exc}") from exc


def builtin_rules() -> tuple[Rule, ...]:
    """The rules mtlsguard itself ships (what ``docs/rules/`` documents), sorted by id."""
    return tuple(r for r in known_rules() if r.module.startswith("mtlsguard."))
