"""Field paths a queryset reads through relations (``values("author__email")``).

A record whose only relation to a user is an authorship is public-shaped, but
``Article.objects.values("title", "author__email", "author__password")`` hands out the
author's account fields: :mod:`mtlsguard.scan.analysis.anonymous_reads` must see them.
"""

from __future__ import annotations

import ast

from mtlsguard.scan.facts.syntax import FunctionNode, own_nodes

__all__ = ["related_paths"]

_READERS = frozenset(
    {"values", "values_list", "only", "defer", "select_related", "prefetch_related"}
)
"""Queryset methods whose string arguments name fields, across relations with ``__``."""


def related_paths(func: FunctionNode) -> tuple[str, ...]:
    """String field paths with ``__`` handed to a queryset reader in ``func``'s body."""
    found: dict[str, None] = {}
    for node in own_nodes(func):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in _READERS:
            continue
        for arg in (*node.args, *(kw.value for kw in node.keywords)):
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and "__" in arg.value:
                found[arg.value] = None
    return tuple(found)
