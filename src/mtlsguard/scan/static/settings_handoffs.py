"""Settings modules that hand their own namespace to code (``helper(globals())``).

Such code can assign settings the source never mentions (Mayan-style
``SettingNamespace(global_symbol_table=globals()).update_globals()``), so an absent setting is
unknown there, not unset (:attr:`SettingsModel.injected_by`).
"""

from __future__ import annotations

import ast

__all__ = ["HANDOFF_STATEMENTS", "KNOWN_HELPERS", "SPLIT_SETTINGS", "namespace_handoffs"]

SPLIT_SETTINGS = ("split_settings.tools.include", "split_settings.tools.optional")
"""django-split-settings' ``include()``/``optional()``."""

HANDOFF_STATEMENTS = (
    ast.Assign,
    ast.AnnAssign,
    ast.AugAssign,
    ast.Expr,
    ast.For,
    ast.AsyncFor,
    ast.While,
)
"""Statements whose handoffs :func:`namespace_handoffs` looks for (the bodies of ``if``,
``try`` and ``with`` are visited statement by statement; loops are not evaluated, only
searched: ``for name in names: globals()[name] = ...``)."""
_NAMESPACE_CALLS = frozenset({"globals", "locals", "vars"})
"""At module level ``locals()`` and ``vars()`` (no argument) are ``globals()``."""
_MUTATORS = frozenset({"update", "setdefault", "__setitem__"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
KNOWN_HELPERS = frozenset(
    {
        *SPLIT_SETTINGS,  # django-split-settings: the included files are evaluated here
        # django-heroku's documented settings(locals()) sets DATABASES, ALLOWED_HOSTS,
        # LOGGING, static files, TEST_RUNNER and SECRET_KEY from the environment: none of the
        # settings a rule reports as absent.
        "django_heroku.settings",
    }
)
"""Helpers handed ``globals()``/``locals()`` whose effect on the settings is known."""


def namespace_handoffs(stmt: ast.stmt) -> list[tuple[int, str, ast.expr | None]]:
    """(line, what, callee) for each part of a module-level statement handing out its namespace.

    ``SettingNamespace(global_symbol_table=globals())``, ``load(vars())``,
    ``globals().update(values)``, ``exec(code, globals())``, ``globals()[name] = value``: each
    can assign names the source never mentions (``callee`` is None for the item assignment).
    Nested functions, classes and lambdas have namespaces of their own and are skipped.
    """
    found: list[tuple[int, str, ast.expr | None]] = []
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, _SCOPES):
            continue
        stack.extend(ast.iter_child_nodes(node))
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            if _namespace(node.value):
                found.append((node.lineno, f"{ast.unparse(node.value)}[...] = ...", None))
            continue
        if not isinstance(node, ast.Call):
            continue
        # ``*globals()`` / ``**vars()`` hand over copies; the namespace itself is passed as is.
        handed = [a for a in node.args if not isinstance(a, ast.Starred)]
        handed.extend(kw.value for kw in node.keywords if kw.arg is not None)
        if isinstance(node.func, ast.Attribute) and node.func.attr in _MUTATORS:
            handed.append(node.func.value)  # globals().update(...)
        if any(_namespace(arg) for arg in handed):
            found.append((node.lineno, f"{ast.unparse(node.func)}(...)", node.func))
    return sorted(found, key=lambda item: item[0])


def _namespace(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _NAMESPACE_CALLS
        and not node.args
        and not node.keywords
    )
