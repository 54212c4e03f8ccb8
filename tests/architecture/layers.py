"""The layers of DESIGN.md as data, and the checker that the layering test runs.

A package may import its own modules and those of packages in *lower* layers, never a package
in its own layer (siblings stay independent) or above it. Some packages are also kept free of
particular third-party modules (Django and DRF outside the library, argparse outside the CLI).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from tests.architecture.imports import Import, imports_of

#: Top to bottom. ``drf`` and ``django`` are the library's framework adapters; their
#: ``manage.py`` commands are faces like the CLI, so they sit above it.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"drf"}),
    frozenset({"django"}),
    frozenset({"cli"}),
    frozenset({"app"}),
    frozenset({"demo", "ci"}),
    frozenset({"report"}),
    frozenset({"scan", "probe", "devserver"}),
    frozenset({"findings"}),
    frozenset({"certs"}),
)

#: Third-party (or standard) modules a package must never import, whatever its layer.
FORBIDDEN: dict[str, frozenset[str]] = {
    "certs": frozenset({"django", "rest_framework", "argparse"}),
    "findings": frozenset({"django", "rest_framework", "argparse"}),
    "scan": frozenset({"django", "rest_framework", "argparse"}),
    "probe": frozenset({"django", "rest_framework", "argparse"}),
    "devserver": frozenset({"django", "rest_framework", "argparse"}),
    "report": frozenset({"django", "rest_framework", "argparse"}),
    "demo": frozenset({"django", "rest_framework", "argparse"}),
    "ci": frozenset({"django", "rest_framework", "argparse"}),
    "app": frozenset({"django", "rest_framework", "argparse"}),
    "cli": frozenset({"django", "rest_framework"}),
    "django": frozenset({"rest_framework"}),
}

#: Modules at the package root (``mtlsguard/__init__.py``, ``__main__.py``): the version and
#: ``python -m mtlsguard``; anyone may import the first, the second is the CLI's.
ROOT_MODULES = {"mtlsguard": None, "mtlsguard.__main__": "cli"}

_RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}


def package_of(module: str) -> str | None:
    """The top-level mtlsguard package of ``module`` (``scan`` for ``mtlsguard.scan.x``)."""
    parts = module.split(".")
    if parts[0] != "mtlsguard":
        return None
    if module in ROOT_MODULES:
        return ROOT_MODULES[module]
    return parts[1]


def layer_violations(found: Iterable[Import]) -> list[str]:
    """Every import that breaks the layers or a third-party ban, as readable lines."""
    problems: list[str] = []
    for imp in found:
        source = package_of(imp.module)
        if source is None:
            continue
        if source not in _RANK:
            problems.append(f"{imp}: package {source!r} is in no layer (add it to LAYERS)")
            continue
        top = imp.target.split(".")[0]
        if top != "mtlsguard":
            if top in FORBIDDEN.get(source, frozenset()):
                problems.append(f"{imp}: {source} must not import {top}")
            continue
        target = package_of(imp.target)
        if target is None or target == source:
            continue
        if target not in _RANK:
            continue  # a module of the package root that is not a package (the version)
        if _RANK[target] <= _RANK[source]:
            how = "a sibling" if _RANK[target] == _RANK[source] else "a higher layer"
            problems.append(f"{imp}: {source} must not import {target} ({how})")
    return problems


def module_cycles(found: Iterable[Import]) -> list[list[str]]:
    """Import cycles between modules, ``TYPE_CHECKING`` and function-local imports included.

    A cycle hidden in a function body or behind ``TYPE_CHECKING`` still ties two modules
    together: neither can be understood, moved or tested without the other. A package's
    ``__init__`` re-exporting its own submodules is not counted as an edge from the submodules
    back to the package: importing ``mtlsguard.certs.model`` runs ``mtlsguard/certs/__init__.py``
    first by construction.
    """
    modules: set[str] = set()
    edges: dict[str, set[str]] = defaultdict(set)
    found = list(found)
    for imp in found:
        modules.add(imp.module)
    for imp in found:
        if not imp.target.startswith("mtlsguard"):
            continue
        target = imp.target
        while target not in modules and "." in target:
            target = target.rsplit(".", 1)[0]  # `from pkg.mod import name` -> pkg.mod
        if target == imp.module or target not in modules:
            continue
        if imp.module.startswith(target + "."):
            continue  # a submodule "importing" its own package (see above)
        edges[imp.module].add(target)
    return _cycles(modules, edges)


def _cycles(nodes: set[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return sorted(result)


def check(root: Path) -> tuple[list[str], list[list[str]]]:
    """Layer violations and module cycles of the package directory ``root``."""
    found = list(imports_of(root))
    return layer_violations(found), module_cycles(found)
