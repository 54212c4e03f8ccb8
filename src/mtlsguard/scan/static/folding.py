"""Strings a project computes statically: concatenation, formatting and environment defaults.

Django reads ``ROOT_URLCONF``, ``DJANGO_SETTINGS_MODULE`` and friends as plain strings, but
projects build them: ``PROJECT + ".urls"``, ``f"{APP}.settings"``, ``os.environ.get("URLCONF",
"proj.urls")``, ``env("DJANGO_URLCONF", default="proj.urls")``. What the process would see
without the variable set (the default) is what the scanner takes, and says so.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

from mtlsguard.scan.project_model import BinOp, Call, Const, Expr, Ref

__all__ = ["ENV_GETTERS", "env_variable", "fold_string", "static_string"]

ENV_GETTERS = frozenset({"get", "getenv", "env", "str", "config", "get_value", "setdefault"})
"""Last names of calls that read an environment variable (``os.environ.get``, ``os.getenv``,
django-environ's ``env``/``env.str``, python-decouple's ``config``) with a default."""

NameValue = Callable[[str], str | None] | Mapping[str, ast.expr]


def _name(values: NameValue, name: str, depth: int) -> str | None:
    if callable(values):
        return values(name)
    node = values.get(name)
    return fold_string(node, values, depth + 1) if node is not None else None


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _env_default(node: ast.Call) -> ast.expr | None:
    if not node.args or not isinstance(node.args[0], ast.Constant):
        return None
    if not isinstance(node.args[0].value, str) or _call_name(node.func) not in ENV_GETTERS:
        return None
    if len(node.args) > 1:
        return node.args[1]
    for keyword in node.keywords:
        if keyword.arg == "default":
            return keyword.value
    return None


def fold_string(node: ast.expr | None, values: NameValue, depth: int = 0) -> str | None:
    """The string ``node`` evaluates to without running anything, else None.

    ``values`` gives the string value of a bare name (a module's constants), or is a callback
    that also receives dotted names (``settings.AVATAR_PATH``).
    """
    if node is None or depth > 8:
        return None
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.Name):
        return _name(values, node.id, depth)
    if isinstance(node, ast.Attribute) and callable(values):
        return values(ast.unparse(node))  # settings.AVATAR_PATH: the callback knows settings
    if isinstance(node, ast.BinOp):
        left = fold_string(node.left, values, depth + 1)
        if left is None:
            return None
        if isinstance(node.op, ast.Add):
            right = fold_string(node.right, values, depth + 1)
            return None if right is None else left + right
        if isinstance(node.op, ast.Mod):
            items = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
            args = [fold_string(i, values, depth + 1) for i in items]
            if any(a is None for a in args):
                return None
            try:
                return left % tuple(args)
            except (TypeError, ValueError):
                return None
        return None
    if isinstance(node, ast.JoinedStr):
        parts: list[str] = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                if value.format_spec is not None or value.conversion not in (-1, 115):
                    return None
                folded = fold_string(value.value, values, depth + 1)
            else:
                folded = fold_string(value, values, depth + 1)
            if folded is None:
                return None
            parts.append(folded)
        return "".join(parts)
    if isinstance(node, ast.Call):
        return _fold_call(node, values, depth)
    return None


def _fold_call(node: ast.Call, values: NameValue, depth: int) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "format" and not node.keywords:
        template = fold_string(func.value, values, depth + 1)
        args = [fold_string(a, values, depth + 1) for a in node.args]
        if template is None or any(a is None for a in args):
            return None
        try:
            return template.format(*args)
        except (IndexError, KeyError, ValueError):
            return None
    default = _env_default(node)
    return fold_string(default, values, depth + 1) if default is not None else None


def _env_call(expr: Call) -> tuple[str, Expr] | None:
    if not isinstance(expr.func, Ref) or expr.func.short not in ENV_GETTERS or not expr.args:
        return None
    variable = expr.args[0]
    if not isinstance(variable, Const) or not isinstance(variable.value, str):
        return None
    default = expr.args[1] if len(expr.args) > 1 else expr.kwarg("default")
    return (variable.value, default) if default is not None else None


def static_string(expr: Expr, depth: int = 0) -> str | None:
    """The string a resolved settings value stands for (environment defaults taken)."""
    if depth > 8:
        return None
    if isinstance(expr, Const):
        return expr.value if isinstance(expr.value, str) else None
    if isinstance(expr, BinOp) and expr.op == "+":
        left = static_string(expr.left, depth + 1)
        right = static_string(expr.right, depth + 1)
        return None if left is None or right is None else left + right
    if isinstance(expr, Call):
        found = _env_call(expr)
        return static_string(found[1], depth + 1) if found is not None else None
    return None


def env_variable(expr: Expr) -> str | None:
    """The environment variable a settings value reads (``os.environ.get("X", ...)``)."""
    found = _env_call(expr) if isinstance(expr, Call) else None
    return found[0] if found is not None else None
