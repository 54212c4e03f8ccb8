"""Find a project's settings module and evaluate its assignments statically."""

from __future__ import annotations

import ast
import os
from pathlib import Path

from mtlsguard.scan.project_model import (
    BinOp,
    Call,
    Expr,
    IfExpr,
    Ref,
    Seq,
    SettingsModel,
    SettingValue,
)
from mtlsguard.scan.static.modules import ParsedModule, absolute_import
from mtlsguard.scan.static.parsing import parse_python
from mtlsguard.scan.static.source import SourceTree

__all__ = ["SKIP_DIRS", "ProjectLayout", "discover", "evaluate_settings"]

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "site-packages",
        "dist",
        "build",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "static",
        "media",
        "htmlcov",
        ".eggs",
    }
)
"""Directories never descended into while looking for entry points."""

_ENTRY_FILES = ("manage.py", "wsgi.py", "asgi.py")
_ENTRY_PREFERENCE = {"wsgi.py": 0, "asgi.py": 1, "manage.py": 2}


class ProjectLayout:
    """Entry points found in the tree: search roots and settings module candidates."""

    def __init__(self) -> None:
        self.search_roots: list[Path] = []
        self.settings_modules: list[str] = []
        self.settings_files: list[Path] = []


def _walk(root: Path) -> tuple[list[Path], list[Path]]:
    entries: list[Path] = []
    settings: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")
        )
        base = Path(dirpath)
        for name in filenames:
            if name in _ENTRY_FILES:
                entries.append(base / name)
            if name.endswith(".py") and (name.startswith("settings") or base.name == "settings"):
                settings.append(base / name)
    return entries, settings


def _settings_from_entry(path: Path) -> str | None:
    try:
        data = path.read_bytes()
        if b"DJANGO_SETTINGS_MODULE" not in data:
            return None
        tree = parse_python(data, str(path))
    except (OSError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and len(node.args) >= 2:
            first, second = node.args[0], node.args[1]
            if (
                isinstance(first, ast.Constant)
                and first.value == "DJANGO_SETTINGS_MODULE"
                and isinstance(second, ast.Constant)
                and isinstance(second.value, str)
            ):
                return second.value
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            target = node.targets[0]
            if (
                isinstance(target, ast.Subscript)
                and isinstance(target.slice, ast.Constant)
                and target.slice.value == "DJANGO_SETTINGS_MODULE"
                and isinstance(node.value.value, str)
            ):
                return node.value.value
    return None


def discover(root: Path) -> ProjectLayout:
    """Find search roots (dirs of ``manage.py``, ``src/``, the root) and settings modules."""
    layout = ProjectLayout()
    entries, settings = _walk(root)
    roots: list[Path] = []
    named: list[tuple[int, str]] = []
    for entry in entries:
        if entry.name == "manage.py":
            roots.append(entry.parent)
        module = _settings_from_entry(entry)
        if module:
            named.append((_ENTRY_PREFERENCE[entry.name], module))
    if (root / "src").is_dir():
        roots.append(root / "src")
    roots.append(root)
    layout.search_roots = list(dict.fromkeys(p.resolve() for p in roots))
    layout.settings_modules = [m for _, m in sorted(named)]
    layout.settings_files = settings
    return layout


def _dotted_for(path: Path, search_roots: list[Path]) -> str | None:
    real = path.resolve()
    for base in search_roots:
        try:
            rel = real.relative_to(base)
        except ValueError:
            continue
        parts = list(rel.with_suffix("").parts)
        if parts and parts[-1] == "__init__":
            parts = parts[:-1]
        if parts and all(p.isidentifier() for p in parts):
            return ".".join(parts)
    return None


def _settings_rank(path: Path) -> tuple[int, str]:
    """``settings.py`` first, then a settings package, ``settings_*.py``; test settings last."""
    name = path.name
    if "test" in name or "test" in path.parent.name:
        return (3, str(path))
    if name == "settings.py":
        return (0, str(path))
    if path.parent.name == "settings":
        return (1, str(path))
    return (2, str(path))


def settings_candidates(layout: ProjectLayout) -> list[str]:
    """Settings module names to try, best first (declared ones, then files named so)."""
    names = list(layout.settings_modules)
    for path in sorted(layout.settings_files, key=_settings_rank):
        dotted = _dotted_for(path, layout.search_roots)
        if dotted:
            names.append(dotted)
    return list(dict.fromkeys(names))


def _append(current: Expr | None, items: tuple[Expr, ...]) -> Expr:
    if isinstance(current, Seq):
        return Seq(current.items + items)
    return BinOp("+", current or Seq(()), Seq(items))


def evaluate_settings(tree: SourceTree, module_name: str) -> SettingsModel | None:
    """Evaluate the settings module: assignments in order, ``from .base import *`` merged."""
    module = tree.load(module_name)
    if module is None:
        return None
    values: dict[str, SettingValue] = {}
    _evaluate(tree, module, values, conditional=False, seen=set())
    return SettingsModel(module=module_name, values=values)


def _evaluate(
    tree: SourceTree,
    module: ParsedModule,
    values: dict[str, SettingValue],
    *,
    conditional: bool,
    seen: set[str],
) -> None:
    if module.name in seen:
        return
    seen.add(module.name)
    _statements(tree, module, module.tree.body, values, conditional, seen)


def _statements(
    tree: SourceTree,
    module: ParsedModule,
    body: list[ast.stmt],
    values: dict[str, SettingValue],
    conditional: bool,
    seen: set[str],
) -> None:
    for stmt in body:
        if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
            star = tree.load(absolute_import(module, stmt.module, stmt.level))
            if star is not None:
                _evaluate(tree, star, values, conditional=conditional, seen=seen)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id.isupper():
                    value = _value(tree, module, stmt.value, values)
                    values[target.id] = SettingValue(
                        value, module.location(stmt), conditional or _is_conditional(value)
                    )
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            name = stmt.target.id
            if name.isupper() and isinstance(stmt.op, ast.Add):
                old = values.get(name)
                added = _value(tree, module, stmt.value, values)
                items = added.items if isinstance(added, Seq) else (added,)
                values[name] = SettingValue(
                    _append(old.value if old else None, items),
                    module.location(stmt),
                    conditional or bool(old and old.conditional),
                )
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            _mutation(tree, module, stmt, values, conditional)
        elif isinstance(stmt, ast.If):
            _statements(tree, module, stmt.body, values, True, seen)
            _statements(tree, module, stmt.orelse, values, True, seen)
        elif isinstance(stmt, ast.Try):
            _statements(tree, module, stmt.body, values, conditional, seen)
            for handler in stmt.handlers:
                _statements(tree, module, handler.body, values, True, seen)
            _statements(tree, module, stmt.orelse + stmt.finalbody, values, conditional, seen)
        elif isinstance(stmt, ast.With):
            _statements(tree, module, stmt.body, values, conditional, seen)


def _mutation(
    tree: SourceTree,
    module: ParsedModule,
    stmt: ast.Expr,
    values: dict[str, SettingValue],
    conditional: bool,
) -> None:
    call = stmt.value
    assert isinstance(call, ast.Call)
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return
    name = func.value.id
    old = values.get(name)
    if old is None or not call.args:
        return
    if func.attr in ("append", "insert"):
        item = _value(tree, module, call.args[-1], values)
        if func.attr == "insert" and isinstance(old.value, Seq):
            new: Expr = Seq((item, *old.value.items))
        else:
            new = _append(old.value, (item,))
    elif func.attr == "extend":
        added = _value(tree, module, call.args[0], values)
        new = _append(old.value, added.items if isinstance(added, Seq) else (added,))
    else:
        return
    values[name] = SettingValue(new, module.location(stmt), conditional or old.conditional)


def _value(
    tree: SourceTree, module: ParsedModule, node: ast.expr, values: dict[str, SettingValue]
) -> Expr:
    # Names of settings assigned earlier (possibly in a star-imported base) take the value
    # they had at this point, not the module's last assignment.
    if isinstance(node, ast.Name) and node.id in values:
        return values[node.id].value
    if isinstance(node, ast.BinOp):
        left = _value(tree, module, node.left, values)
        right = _value(tree, module, node.right, values)
        full = tree.expr(module, node)
        if isinstance(full, BinOp):
            return BinOp(full.op, left, right)
        return full
    return tree.expr(module, node)


def _is_conditional(value: Expr) -> bool:
    if isinstance(value, IfExpr):
        return True
    if isinstance(value, Call) and isinstance(value.func, Ref):
        # os.environ.get(...), env.bool(...), config(...): decided at deploy time.
        return True
    if isinstance(value, Seq):
        return any(_is_conditional(v) for v in value.items)
    return False
