"""Imports made inside a function body: ``from billing.models import Invoice`` in the view.

Projects import models inside the view that uses them (to break an import cycle, or to keep
an optional app optional). The name is then bound like a module-level import for the rest of
the function, so the function's facts are resolved against a view of its module whose import
table also holds the function's own imports (which shadow a module-level name of the same
spelling). Nested classes are not entered (their bodies bind names in their own scope).
"""

from __future__ import annotations

import ast
from dataclasses import replace

from mtlsguard.scan.static.modules import ParsedModule, absolute_import

__all__ = ["function_imports", "with_function_imports"]

FunctionDef = ast.FunctionDef | ast.AsyncFunctionDef
_STATEMENT_FIELDS = ("body", "orelse", "finalbody")
"""The fields of a statement that hold statements, in field order (no other field does)."""


def function_imports(module: ParsedModule, node: FunctionDef) -> dict[str, str]:
    """Local name -> dotted target of every ``import``/``from ... import`` in ``node``'s body."""
    found: dict[str, str] = {}
    stack: list[ast.AST] = list(node.body)
    blocks_of = _BLOCKS_OF
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    found[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    found[top] = top
        elif isinstance(stmt, ast.ImportFrom):
            base = absolute_import(module, stmt.module, stmt.level)
            for alias in stmt.names:
                if alias.name != "*":
                    target = f"{base}.{alias.name}" if base else alias.name
                    found[alias.asname or alias.name] = target
        else:
            kind = type(stmt)
            blocks = blocks_of.get(kind)
            if blocks is None:
                blocks = blocks_of[kind] = _blocks(kind)
            for field in blocks:
                stack.extend(getattr(stmt, field, ()))
    return found


def _blocks(kind: type) -> tuple[str, ...]:
    """The fields of a statement of type ``kind`` whose statements are entered.

    As ``ast.iter_child_nodes`` orders them; none for a class (its body binds names in its own
    scope) or for what is no statement (handlers and match cases: their bodies are not entered).
    """
    if not issubclass(kind, ast.stmt) or issubclass(kind, ast.ClassDef):
        return ()
    return tuple(field for field in _STATEMENT_FIELDS if field in kind._fields)


_BLOCKS_OF: dict[type, tuple[str, ...]] = {}
"""Memo of :func:`_blocks`: every statement of every analysed body passes here."""


def with_function_imports(module: ParsedModule, node: FunctionDef) -> ParsedModule:
    """``module`` itself, or a copy whose names include the imports ``node`` makes."""
    local = function_imports(module, node)
    if not local:
        return module
    return replace(
        module,
        imports={**module.imports, **local},
        defs={k: v for k, v in module.defs.items() if k not in local},
        assigns={k: v for k, v in module.assigns.items() if k not in local},
    )
