"""Values of the bounded URL-factory evaluator (:mod:`~mtlsguard.scan.static.evaluation`).

Python constants (``str``, numbers, ``None``, lists, tuples, dicts of them) stand for
themselves; the rest is one of the small types here: a name of the project or of an installed
package (:class:`Ref`), an expression the evaluator does not run but hands to the URLconf walker
with its names made absolute (:class:`Code`), an installed app's ``AppConfig``
(:class:`InstalledApp`), a method bound to a class (:class:`Method`) or a list spliced into
another (:class:`Splice`). :func:`to_node` turns any of them back into an expression that reads
the same from every module.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field
from typing import Any

from mtlsguard.scan.static.not_static import NotStatic
from mtlsguard.scan.static.source import ParsedModule, SourceTree

__all__ = [
    "Builtin",
    "Code",
    "Frame",
    "InstalledApp",
    "Instance",
    "Method",
    "NotStatic",
    "Ref",
    "Sentinel",
    "Splice",
    "Super",
    "Unknown",
    "absolute",
    "absolute_name",
    "to_node",
]


@dataclass(frozen=True, slots=True)
class Ref:
    """A module, class, function or module-level value named by its absolute dotted path."""

    dotted: str


@dataclass(frozen=True, slots=True)
class Code:
    """An expression left for the URLconf walker (``path(...)``, ``View.as_view(...)``).

    Its names are absolute dotted chains and its arguments the evaluated values, so it reads
    the same in any module.
    """

    node: ast.expr


@dataclass(frozen=True, slots=True)
class InstalledApp:
    """The ``AppConfig`` of one ``INSTALLED_APPS`` entry (``apps.get_app_configs()``)."""

    entry: str
    """The entry as written (a package, or the dotted path of an ``AppConfig`` class)."""
    name: str
    """The app's package (``AppConfig.name``)."""


@dataclass(frozen=True, slots=True)
class Method:
    """A function defined in a class body, looked up on a class (``cls.get_urls``)."""

    owner: str
    """The class it was looked up on (``cls`` of a classmethod)."""
    module: str
    """Module of the defining class."""
    func: ast.FunctionDef
    defined_in: str = ""
    """The defining class (where ``super()`` in the method starts)."""
    instance: Any = None
    """The :class:`Instance` an instance method is bound to."""


@dataclass(eq=False, slots=True)
class Instance:
    """An object of a class of the project or the environment, built by the evaluator."""

    cls: str
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Sentinel:
    """``UNDEFINED = type("UNDEFINED", (object,), {...})()``: an object only equal to itself."""

    where: str
    """Where it is created (one object per place)."""


@dataclass(frozen=True, slots=True)
class Super:
    """``super()`` in a method defined in ``defined_in``, for ``obj`` (an instance or a class)."""

    defined_in: str
    obj: Any


@dataclass(frozen=True, slots=True)
class Unknown:
    """What a call assigned to a name or an attribute that the evaluator could not run.

    The call was proven unable to change the objects being followed; reading the name (or
    the attribute) stops the evaluation, so a value that matters is never guessed.
    """

    reason: str


@dataclass(frozen=True, slots=True)
class Builtin:
    """A builtin or a method of a constant (``getattr``, ``"a/".rstrip``, ``d.keys``)."""

    name: str
    receiver: Any = None


@dataclass(frozen=True, slots=True)
class Splice:
    """A list whose items are not known, extended into a known one (``items += other``)."""

    value: Any


@dataclass(slots=True)
class Frame:
    """Where an expression is evaluated: its tree, module and local names."""

    tree: SourceTree
    module: ParsedModule
    local: dict[str, Any]
    depth: int = 0
    method: Method | None = None
    """The method being run (``super()``)."""


def absolute_name(dotted: str) -> ast.expr:
    """``a.b.c`` as an attribute chain: it resolves to ``dotted`` in any module."""
    parts = dotted.split(".")
    node: ast.expr = ast.Name(parts[0], ast.Load())
    for part in parts[1:]:
        node = ast.Attribute(node, part, ast.Load())
    return node


def to_node(value: Any) -> ast.expr:
    """An expression for ``value`` (raises :class:`NotStatic` for what has none)."""
    if value is None or isinstance(value, str | int | float | bool):
        return ast.Constant(value)
    if isinstance(value, list | tuple):
        items = [
            ast.Starred(to_node(v.value), ast.Load()) if isinstance(v, Splice) else to_node(v)
            for v in value
        ]
        return ast.List(items, ast.Load()) if isinstance(value, list) else ast.Tuple(items)
    if isinstance(value, dict):
        keys: list[ast.expr | None] = [to_node(k) for k in value]
        return ast.Dict(keys, [to_node(v) for v in value.values()])
    if isinstance(value, Ref):
        return absolute_name(value.dotted)
    if isinstance(value, Code):
        return value.node
    if isinstance(value, InstalledApp):
        return ast.Constant(value.name)
    if isinstance(value, Method):
        return absolute_name(f"{value.owner}.{value.func.name}")
    raise NotStatic(type(value).__name__)


class _Absolute(ast.NodeTransformer):
    """Every global name of an expression written as its absolute dotted chain."""

    def __init__(self, frame: Frame) -> None:
        self.frame = frame

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.frame.local:
            try:
                return ast.copy_location(to_node(self.frame.local[node.id]), node)
            except NotStatic:
                return node
        dotted = self.frame.tree.resolve_name(self.frame.module, node.id)
        if dotted == node.id:
            return node
        return ast.copy_location(absolute_name(dotted), node)


def absolute(frame: Frame, node: ast.expr) -> ast.expr:
    """A copy of ``node`` with its names made absolute (locals replaced by their values)."""
    result: ast.expr = _Absolute(frame).visit(copy.deepcopy(node))
    return result
