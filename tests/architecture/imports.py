"""Every import of the ``mtlsguard`` package, function-local and ``TYPE_CHECKING`` ones included.

Read from the source with :mod:`ast` (nothing is imported), so an import hidden inside a
function body is seen exactly like one at the top of a module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Import:
    """One imported module name, where it was imported, and how."""

    module: str
    """The importing module (``mtlsguard.scan.engine``)."""
    target: str
    """The imported module, absolute (``mtlsguard.report.sarif``, ``argparse``)."""
    path: Path
    """The importing file."""
    line: int
    """Line of the import statement."""
    local: bool
    """Inside a function body (executed only when the function runs)."""
    type_checking: bool
    """Inside ``if TYPE_CHECKING:`` (never executed)."""

    def __str__(self) -> str:
        where = " (function-local)" if self.local else ""
        where += " (TYPE_CHECKING)" if self.type_checking else ""
        return f"{self.path.name}:{self.line}: {self.module} imports {self.target}{where}"


def module_name(root: Path, file: Path) -> str:
    """The dotted name of ``file`` under the package directory ``root`` (``mtlsguard.x.y``)."""
    parts = list(file.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([node.module] if node.module else [])])
    # ``from mtlsguard.scan import engine`` imports the submodule ``mtlsguard.scan.engine``.
    return [base, *(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, path: Path, is_package: bool) -> None:
        self.module = module
        self.path = path
        self.is_package = is_package
        self.depth = 0
        self.type_checking = 0
        self.found: list[Import] = []

    def _add(self, target: str, node: ast.stmt) -> None:
        self.found.append(
            Import(
                self.module,
                target,
                self.path,
                node.lineno,
                local=self.depth > 0,
                type_checking=self.type_checking > 0,
            )
        )

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for target in _resolve(self.module, self.is_package, node):
            self._add(target, node)

    def _function(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function
    visit_Lambda = _function

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self.type_checking += 1
            for child in node.body:
                self.visit(child)
            self.type_checking -= 1
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        # importlib.import_module("mtlsguard.x") and __import__("mtlsguard.x") with a literal.
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if (
            name in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            self._add(node.args[0].value, node)  # type: ignore[arg-type]
        self.generic_visit(node)


def imports_of(root: Path) -> Iterator[Import]:
    """Every import in every module under the package directory ``root``."""
    for file in sorted(root.rglob("*.py")):
        module = module_name(root, file)
        collector = _Collector(module, file, file.name == "__init__.py")
        collector.visit(ast.parse(file.read_text(encoding="utf-8"), str(file)))
        yield from collector.found
