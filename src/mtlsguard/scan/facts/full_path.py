"""Whether a hook tests ``request.get_full_path()`` (not only quotes it in a ``next=`` link).

``request.get_full_path()`` is the path (percent-encoded) followed by the query string. A
middleware that decides by it (``if not path.endswith((".css", ".js")): return redirect(...)``)
depends on the path as much as one reading ``request.path``; one that only puts it in the login
redirect (``f"{LOGIN_URL}?next={quote(request.get_full_path())}"``) does not.
"""

from __future__ import annotations

import ast

from mtlsguard.scan.facts.syntax import FunctionNode, own_nodes

__all__ = ["tests_full_path"]

_CALLS = frozenset({"get_full_path", "get_full_path_info"})
_TESTS = frozenset({"startswith", "endswith", "match", "search", "fullmatch"})


def _is_full(node: ast.AST, names: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in names
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in _CALLS:
            return True
        return node.func.attr in ("lstrip", "rstrip", "strip", "lower") and _is_full(
            node.func.value, names
        )
    return False


def tests_full_path(func: FunctionNode) -> bool:
    """A comparison or a string/regex test in ``func`` reads the full path."""
    nodes = list(own_nodes(func))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Assign) and _is_full(node.value, names):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    for node in nodes:
        if isinstance(node, ast.Compare) and any(
            _is_full(n, names) for n in [node.left, *node.comparators]
        ):
            return True
        called = node.func if isinstance(node, ast.Call) else None
        if (
            isinstance(node, ast.Call)
            and isinstance(called, ast.Attribute)
            and called.attr in _TESTS
            and any(_is_full(n, names) for n in [called.value, *node.args])
        ):
            return True
    return False
