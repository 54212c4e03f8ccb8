"""Every rule a run can report: the static scanner's, the probe's and the tool's own (MG001).

Plugin rules (the ``mtlsguard.rules`` entry points) are included; the reports describe every
one of them (SARIF rule descriptors) and the docs are generated from the built-in ones.
"""

from __future__ import annotations

from mtlsguard.findings.registry import Rule, all_rules
from mtlsguard.probe.rules import load as load_probe_rules
from mtlsguard.scan.rules import load as load_static_rules

__all__ = ["builtin_rules", "known_rules"]


def known_rules() -> tuple[Rule, ...]:
    """Every registered rule, built-in and plugin, sorted by id.

    :raises RegistryError: when a plugin fails to load.
    """
    load_static_rules()
    load_probe_rules()
    return all_rules()


def builtin_rules() -> tuple[Rule, ...]:
    """The rules mtlsguard itself ships (what ``docs/rules/`` documents), sorted by id."""
    return tuple(r for r in known_rules() if r.module.startswith("mtlsguard."))
