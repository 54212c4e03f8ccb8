"""Fields a method fills with a generated value: ``self.code = get_random_string(32)``.

A model whose ``save()`` (or another of its methods) sets a field from a random generator names
its records by a token the server made, just as ``default=get_random_string`` would
(:func:`mtlsguard.scan.analysis.capabilities.random_fields` decides which callees are random).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from mtlsguard.scan.facts.syntax import FunctionNode, own_nodes

__all__ = ["self_fills"]


def self_fills(
    func: FunctionNode, callee: Callable[[ast.Call], str]
) -> tuple[tuple[str, str], ...]:
    """``(attribute, resolved callee)`` of ``self.<attribute> = <call>(...)`` assignments."""
    params = [a.arg for a in [*func.args.posonlyargs, *func.args.args]]
    if not params or params[0] != "self":
        return ()
    found: list[tuple[str, str]] = []
    for node in own_nodes(func):
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        for target in node.targets:
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
            ):
                name = callee(node.value)
                if name:
                    found.append((target.attr, name))
    return tuple(dict.fromkeys(found))
