"""What a module adds to one of its lists after assigning it (``NAME += [...]`` under an ``if``).

:attr:`ParsedModule.assigns` keeps a module-level name's top-level assignment only. A list
grown later, possibly under a condition::

    EXEMPT_URLS = [re.compile(settings.LOGIN_URL.lstrip("/"))]
    if hasattr(settings, "LOGIN_EXEMPT_URLS"):
        EXEMPT_URLS += [re.compile(expr) for expr in settings.LOGIN_EXEMPT_URLS]

holds more than that assignment says. :func:`module_growth` returns the expressions that may be
added (``+=``, ``.extend()``, ``.append()``, ``.insert()`` anywhere at module level, functions
and classes aside), so a reader can take every item that may be there; None when the name is
assigned again inside a block (its value then depends on which branch ran).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mtlsguard.scan.static.modules import ParsedModule

__all__ = ["module_growth"]

_BLOCKS = (ast.If, ast.Try, ast.With, ast.For, ast.While)


def _statements(body: list[ast.stmt], nested: bool) -> Iterator[tuple[ast.stmt, bool]]:
    for stmt in body:
        yield stmt, nested
        if isinstance(stmt, _BLOCKS):
            for field in ("body", "orelse", "finalbody"):
                yield from _statements(getattr(stmt, field, []), True)
            for handler in getattr(stmt, "handlers", []):
                yield from _statements(handler.body, True)


def module_growth(module: ParsedModule, name: str) -> tuple[ast.expr, ...] | None:
    """Lists the module may add to its list ``name`` after assigning it (None: unknown)."""
    added: list[ast.expr] = []
    for stmt, nested in _statements(module.tree.body, False):
        if isinstance(stmt, ast.AugAssign) and _is(stmt.target, name):
            if not isinstance(stmt.op, ast.Add):
                return None
            added.append(stmt.value)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign) and nested:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(_is(t, name) for t in targets):
                return None
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            func = stmt.value.func
            args = stmt.value.args
            if isinstance(func, ast.Attribute) and _is(func.value, name) and args:
                if func.attr == "extend":
                    added.append(args[0])
                elif func.attr in ("append", "insert"):
                    added.append(ast.List(elts=[args[-1]], ctx=ast.Load()))
    return tuple(added)


def _is(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name
