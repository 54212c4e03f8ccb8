"""The ``def``/``class`` statement at a line of a module the scan has already parsed.

Rules that re-read a definition (:class:`mtlsguard.scan.analysis.sources.SourceFunctions`)
ask here first: a module the front-end parsed holds the very statement, so its lines need not
be parsed a second time. Statements are found where :class:`SourceFunctions` finds them by a
parse of the whole file (bodies, ``else``/``finally`` blocks and ``except`` handlers); a module
whose tree is of rewritten source (:attr:`ParsedModule.lowered`) is never answered from.
"""

from __future__ import annotations

import ast

from mtlsguard.scan.static.modules import ModuleFiles, ParsedModule

__all__ = ["DefinitionIndex"]

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_BLOCKS = ("body", "orelse", "finalbody", "handlers")


class DefinitionIndex:
    """``index(relpath, line)``: the definition starting at ``line`` of a parsed module."""

    def __init__(self, files: ModuleFiles) -> None:
        self.files = files
        self._seen = 0
        self._modules: dict[str, ParsedModule] = {}
        self._lines: dict[str, dict[int, Definition]] = {}

    def __call__(self, relpath: str, line: int) -> Definition | None:
        """The statement, or None when the module was not parsed (or not as written)."""
        lines = self._lines.get(relpath)
        if lines is None:
            module = self._module(relpath)
            if module is None or module.lowered:
                return None
            lines = self._lines[relpath] = _definitions(module.tree)
        return lines.get(line)

    def _module(self, relpath: str) -> ParsedModule | None:
        if relpath not in self._modules and len(self.files.modules) != self._seen:
            modules = list(self.files.modules.values())
            self._seen = len(modules)
            for module in modules:
                if module is not None:
                    self._modules.setdefault(module.relpath, module)
        return self._modules.get(relpath)


def _definitions(tree: ast.Module) -> dict[int, Definition]:
    """Definitions by first line (decorators excluded), in statement blocks only."""
    found: dict[int, Definition] = {}
    stack: list[ast.AST] = list(tree.body)
    pop = stack.pop
    push_all = stack.extend
    blocks_of = _BLOCKS_OF
    while stack:
        node = pop()
        kind = type(node)
        if isinstance(node, _DEFINITIONS):
            found[node.lineno] = node
        blocks = blocks_of.get(kind)
        if blocks is None:
            blocks = blocks_of[kind] = tuple(b for b in _BLOCKS if b in kind._fields)
        for name in blocks:
            push_all(getattr(node, name, ()))
    return found


_BLOCKS_OF: dict[type, tuple[str, ...]] = {}
"""Node type -> which of :data:`_BLOCKS` it has: most statements have none (every statement
of a module passes here, those of its function bodies too)."""
