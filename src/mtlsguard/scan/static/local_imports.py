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
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.ClassDef):
            continue
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
        elif isinstance(stmt, ast.stmt):
            # The statements among its children, as ``ast.iter_child_nodes`` orders them
            # (handlers and match cases are no statements: their bodies are not entered).
            for field in _STATEMENT_FIELDS:
                stack.extend(getattr(stmt, field, ()))
    return found


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
