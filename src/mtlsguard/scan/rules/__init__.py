"""The built-in static rules (``MG1xx`` endpoints, ``MG2xx`` settings, ``MG3xx`` certificate code).

One module per rule (``mgNNN_*.py``); each registers itself in :mod:`mtlsguard.findings.registry`
with :func:`~mtlsguard.findings.registry.rule`, and its docstring is its documentation.
Modules whose name starts with ``_`` are helpers the rules share. :func:`load` imports every
rule module once; :func:`static_rules` is what the engine runs (plugins' static rules
included).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from mtlsguard.findings.registry import Rule, RuleKind, all_rules

__all__ = ["load", "static_rules"]


@functools.cache
def load() -> None:
    """Import every ``mg*`` module of this package once, so their rules register."""
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("mg"):
            importlib.import_module(f"{__name__}.{info.name}")


def static_rules() -> tuple[Rule, ...]:
    """Every static rule, built-in and plugin, sorted by id."""
    load()
    return all_rules(RuleKind.STATIC)
