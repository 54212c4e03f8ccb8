"""What a module adds to one of its lists after assigning it (``NAME += [...]`` under an ``if``).

:attr:`ParsedModule.assigns` keeps a module-level name's top-level assignment only. A list
grown later, possibly under a condition::

    EXEMPT_URLS = [re.compile(settings.LOGIN_URL.lstrip("/"))]
    if hasattr(settings, "LOGIN_EXEMPT_URLS"):
        EXEMPT_URLS += [re.compile(expr) for expr in settings.LOGIN_EXEMPT_URLS]

holds more than that assignment says. :func:`module_growth` returns the expressions that may be
added (``+=``, ``.extend()``, ``.append()``, ``.insert()`` anywhere at module level, functions
and classes aside), so a reader can take every item that may be there; None when the name is
assigned again inside a block (its value then depends on which branch ran), when an item is
set in place (``NAME[0] = ...``, ``NAME[:] = [...]``), when a function or class of the module
changes it (``NAME.append(...)`` in a middleware's ``__init__``, ``global NAME``), or when
another file of the project does (:func:`changed_elsewhere`: ``from app.mw import NAME``,
then ``NAME.append(...)``; ``mw.NAME.extend(...)`` in ``AppConfig.ready()``).
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from pathlib import Path

from mtlsguard.scan import walking
from mtlsguard.scan.static.layout import SKIP_DIRS
from mtlsguard.scan.static.modules import ParsedModule
from mtlsguard.scan.static.settings_escapes import (
    COPYING_CALLEES,
    READ_ONLY_METHODS,
    READING_PARENTS,
)

__all__ = ["changed_elsewhere", "module_growth"]

_BLOCKS = (ast.If, ast.Try, ast.With, ast.For, ast.While)
_TESTS = ("tests", "test")
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_MUTATORS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "remove",
        "clear",
        "pop",
        "add",
        "update",
        "discard",
        "setdefault",
        "__setitem__",
        "__delitem__",
        "__iadd__",
        "__ior__",
    }
)
_MUTATION = r"\b{}\s*(?:\.\s*(?:{})\s*\(|\[[^\]\n]*\]\s*(?:[-+|&]?=)(?!=)|[-+|&]=)"
_REBOUND = r"\b{0}\s+as\b|\b{0}\s*=(?!=)"
"""``from app.mw import NAME as E`` (then ``E.append``), ``mw.NAME = mw.NAME + [...]``."""
_GROWERS = ("append", "extend", "insert")
_READS = (*READING_PARENTS, ast.AugAssign)


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
    if _handed_on(module.tree, name):
        return None
    for stmt, nested in _statements(module.tree.body, False):
        if isinstance(stmt, _DEFS) and _changes(stmt, name):
            return None
        if _sets_item(stmt, name):
            return None
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


def _sets_item(stmt: ast.AST, name: str) -> bool:
    """``NAME[i] = ...``, ``NAME[:] = ...``, ``NAME[i] += ...``, ``del NAME[i]``."""
    return any(
        isinstance(t, ast.Subscript) and (_is(t.value, name) or _globals_key(t, name))
        for t in walking.store_targets(stmt)
    )


def _globals_key(target: ast.Subscript, name: str) -> bool:
    """``globals()["NAME"]``."""
    owner, key = target.value, target.slice
    return (
        isinstance(owner, ast.Call)
        and isinstance(owner.func, ast.Name)
        and owner.func.id == "globals"
        and isinstance(key, ast.Constant)
        and key.value == name
    )


def _changes(node: ast.AST, name: str) -> bool:
    """A function or class changes the module's list ``name`` (or may rebind it)."""
    for inner in ast.walk(node):
        if _sets_item(inner, name):
            return True
        if isinstance(inner, ast.Global) and name in inner.names:
            return True
        func = inner.func if isinstance(inner, ast.Call) else None
        if isinstance(func, ast.Attribute) and func.attr in _MUTATORS and _is(func.value, name):
            return True
        if isinstance(inner, ast.AugAssign) and _is(inner.target, name):
            return True  # ``global`` spelled elsewhere, or a local shadow: either way unsure
    return False


def changed_elsewhere(
    root: Path, own: Path, name: str, cache: dict[str, frozenset[Path]] | None = None
) -> bool:
    """A project file other than ``own`` may change a list called ``name`` in place.

    A text search (any receiver spelled ``name``: ``NAME.append(``, ``mw.NAME[:] =``,
    ``NAME +=``) over the project's Python files: a same-named list of another module only
    makes the answer unsure, never wrong. ``cache`` keeps the files found per name (one scan).
    """
    cache = {} if cache is None else cache
    if name not in cache:
        cache[name] = _changing_files(root.resolve(), name)
    mine = own.resolve()
    return any(path != mine for path in cache[name])


def _changing_files(root: Path, name: str) -> frozenset[Path]:
    """The project files that change something called ``name`` in place."""
    mutation = _MUTATION.format(re.escape(name), "|".join(sorted(_MUTATORS)))
    pattern = re.compile(f"{mutation}|{_REBOUND.format(re.escape(name))}")
    found: set[Path] = set()
    for path in _python_files(root):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if name in text and pattern.search(text):
            found.add(path.resolve())
    return frozenset(found)


def _python_files(root: Path) -> Iterator[Path]:
    """The project's Python files, tests aside (as :func:`~.apps.python_files` walks them)."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and d not in _TESTS)
        for name in sorted(filenames):
            if name.endswith(".py") and not name.startswith("test"):
                yield Path(dirpath) / name


def _handed_on(tree: ast.Module, name: str) -> bool:
    """The module's list ``name`` used other than read (or grown by a modelled statement).

    ``_more = NAME`` then ``_more.append(...)``, ``_add(NAME)`` with a helper that appends to
    its argument, ``NAME.__iadd__([...])``: other code holds the list object and may grow it.
    Iteration, ``any(...)``, ``re.compile(...)``, comparisons and copies only read it.
    """
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Attribute):
            call = parents.get(parent)
            if not (isinstance(call, ast.Call) and call.func is parent):
                continue
            grown = parent.attr in _GROWERS and isinstance(parents.get(call), ast.Expr)
            if not grown and parent.attr not in READ_ONLY_METHODS:
                return True
        elif isinstance(parent, ast.Call):
            if parent.func is not node and not _reader(parent.func):
                return True
        elif not isinstance(parent, _READS):
            return True
    return False


def _reader(func: ast.expr) -> bool:
    """``any``/``list``/``len``/... or a function of :mod:`re`: only reads its argument."""
    if isinstance(func, ast.Name):
        return func.id in COPYING_CALLEES
    return isinstance(func, ast.Attribute) and _is(func.value, "re")


def _is(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name
