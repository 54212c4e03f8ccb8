"""Uses of a settings name that may change its value in ways the evaluator does not model.

A statement that hands the list object of a setting to other code (``_mw = MIDDLEWARE``,
``_drop(MIDDLEWARE)``) or calls a method on it that is not modelled
(``MIDDLEWARE.__delitem__(2)``) may remove the login middleware at run time: the setting must
be unknown from there on (:meth:`mtlsguard.scan.static.settings._Evaluator.unknown`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from mtlsguard.scan import walking

MODELLED_METHODS = frozenset(
    {"append", "insert", "extend", "update", "setdefault"}
    | {"remove", "pop", "clear", "discard", "popitem"}
)
"""Statement-level methods the evaluator already follows (as growth or as unknown)."""

READ_ONLY_METHODS = frozenset(
    {"get", "copy", "index", "count", "keys", "values", "items", "format", "join", "split"}
    | {"startswith", "endswith", "lower", "upper", "strip", "encode", "replace"}
)
"""Methods that only read their object."""

COPYING_CALLEES = frozenset(
    {"list", "tuple", "set", "frozenset", "sorted", "dict", "len", "any", "all", "str"}
    | {"repr", "bool", "int", "float", "isinstance", "reversed", "enumerate", "zip", "print"}
)
"""Builtins that copy or only read an argument (``list(MIDDLEWARE)`` is a modelled copy)."""

READING_PARENTS = (
    ast.Attribute,
    ast.Subscript,
    ast.BinOp,
    ast.Compare,
    ast.UnaryOp,
    ast.comprehension,
    ast.Starred,
    ast.For,
    ast.AsyncFor,
    ast.FormattedValue,
    ast.JoinedStr,
    ast.Expr,
    ast.If,
    ast.While,
    ast.Assert,
)


def escapes(
    stmt: ast.AST, is_setting: Callable[[str], bool], handled: ast.Call | None
) -> Iterator[tuple[str, str]]:
    """``(name, how)`` of every setting ``stmt`` may change or hand on unmodelled.

    ``handled`` is the statement-level call the evaluator already followed. Function bodies
    are walked too: a helper that mutates a global setting may be called later.
    """
    parents: dict[ast.AST, ast.AST] | None = None  # for the first setting read (most have none)
    for node in walking.walk(stmt):
        if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
            continue
        if not is_setting(node.id):
            continue
        if parents is None:
            parents = walking.parent_map(stmt)
        how = _escape(node, parents.get(node), parents, handled)
        if how is not None:
            yield node.id, how


def _escape(
    node: ast.Name,
    parent: ast.AST | None,
    parents: dict[ast.AST, ast.AST],
    handled: ast.Call | None,
) -> str | None:
    if isinstance(parent, ast.Attribute):
        call = parents.get(parent)
        if isinstance(call, ast.Call) and call.func is parent:
            if call is handled and parent.attr in MODELLED_METHODS:
                return None
            if parent.attr in READ_ONLY_METHODS:
                return None
            return f".{parent.attr}()"
        return None
    if parent is None or isinstance(parent, READING_PARENTS):
        return None
    if isinstance(parent, ast.Call):
        if parent.func is node:
            return None
        if isinstance(parent.func, ast.Name) and parent.func.id in COPYING_CALLEES:
            return None
        return " passed to a call"
    if isinstance(parent, ast.keyword):
        return " passed to a call"
    return " bound to another name"


def own_expressions(stmt: ast.stmt) -> list[ast.AST]:
    """What of ``stmt`` runs now and is not a nested statement evaluated on its own."""
    if isinstance(stmt, ast.If | ast.While):
        return [stmt.test]
    if isinstance(stmt, ast.For | ast.AsyncFor):
        return [stmt.iter]
    if isinstance(stmt, ast.With | ast.AsyncWith):
        return [item.context_expr for item in stmt.items]
    if isinstance(stmt, ast.Try) or declares_global(stmt):
        return []
    return [stmt]


def declares_global(stmt: ast.stmt) -> bool:
    """A function declaring ``global NAME``: the evaluator reads its body as conditional."""
    return isinstance(stmt, ast.FunctionDef) and any(
        isinstance(node, ast.Global) for node in walking.walk(stmt)
    )
