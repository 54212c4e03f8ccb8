"""django-configurations: settings written as class attributes of a ``Configuration`` subclass.

A settings module built with django-configurations (https://django-configurations.readthedocs.io/)
holds ``class Base(Configuration): DEBUG = False; ROOT_URLCONF = ...`` and subclasses per
environment (``class Production(Base)``); ``DJANGO_CONFIGURATION`` picks one at run time and its
MRO's class attributes become the settings. The scan reads the class a production deployment runs:
one named ``Production`` when the module has it, else the most derived configuration class, and says
so in the report's assumptions. ``values.XValue(default, ...)`` stands for its default (the
environment may override it, as for django-environ).
"""

from __future__ import annotations

import ast
import copy

from mtlsguard.scan.static.modules import ParsedModule
from mtlsguard.scan.static.source import SourceTree

__all__ = ["configuration_bodies"]

_CONFIGURATION = "configurations.Configuration"
_VALUES = "configurations.values."
_PRODUCTION = ("production", "prod")


def configuration_bodies(
    tree: SourceTree, module: ParsedModule
) -> tuple[str, list[list[ast.stmt]]] | None:
    """The configuration class to read and its MRO's bodies, base-most first (or None)."""
    classes = {n.name: n for n in module.tree.body if isinstance(n, ast.ClassDef)}
    chains: dict[str, list[ast.ClassDef]] = {}
    for name in classes:
        chain = _chain(tree, module, classes, name, set())
        if chain:
            chains[name] = chain
    if not chains:
        return None
    named = [n for n in chains if n.lower() in _PRODUCTION]
    derived = {c.name for chain in chains.values() for c in chain[:-1]}
    leaves = [n for n in chains if n not in derived]
    chosen = named[0] if named else leaves[-1] if leaves else list(chains)[-1]
    return chosen, [_with_defaults(tree, module, c.body) for c in chains[chosen]]


def _chain(
    tree: SourceTree,
    module: ParsedModule,
    classes: dict[str, ast.ClassDef],
    name: str,
    seen: set[str],
) -> list[ast.ClassDef]:
    """``name``'s configuration ancestors in this module, base-most first; [] if not one."""
    if name in seen:
        return []
    seen.add(name)
    node = classes[name]
    found: list[ast.ClassDef] = []
    configuration = False
    for base in node.bases:
        if isinstance(base, ast.Name) and base.id in classes:
            ancestors = _chain(tree, module, classes, base.id, seen)
            if ancestors:
                found.extend(c for c in ancestors if c not in found)
                configuration = True
        elif tree.dotted_of(module, base) == _CONFIGURATION:
            configuration = True
    return [*found, node] if configuration else []


class _Defaults(ast.NodeTransformer):
    """``values.BooleanValue(False, environ_name=...)`` -> ``False`` (its default)."""

    def __init__(self, tree: SourceTree, module: ParsedModule) -> None:
        self.tree = tree
        self.module = module

    def visit_Call(self, node: ast.Call) -> ast.AST:
        dotted = self.tree.dotted_of(self.module, node.func) or ""
        if dotted.startswith(_VALUES):
            default = next((kw.value for kw in node.keywords if kw.arg == "default"), None)
            value = node.args[0] if node.args else default
            if value is not None:
                found: ast.AST = self.visit(value)
                return found
        return self.generic_visit(node)


def _with_defaults(tree: SourceTree, module: ParsedModule, body: list[ast.stmt]) -> list[ast.stmt]:
    """The class body's statements with each ``values.*Value(...)`` replaced by its default."""
    transformer = _Defaults(tree, module)
    return [transformer.visit(copy.deepcopy(stmt)) for stmt in body]
