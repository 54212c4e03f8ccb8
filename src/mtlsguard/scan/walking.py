"""A faster :func:`ast.walk`: the same nodes in the same order, for the scanner's hot loops.

:func:`ast.walk` builds two generators per node (``iter_child_nodes`` over ``iter_fields``)
and looks at every field, names and numbers included. :func:`walk` keeps, per node type, the
fields that can hold a node and reads them directly; what it yields, and in which order
(breadth first, ``node`` itself first), is what :func:`ast.walk` yields less the expression
contexts and operators (``Load``, ``Add``, ``Eq``: one on every name, and only ever asked about
through ``.ctx``/``.op``/``.ops`` of their owner), so a ``next(...)``/first-match over it picks
the same node.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

__all__ = [
    "CONTEXT_FIELDS",
    "NEVER_NODES",
    "child_fields",
    "parent_map",
    "parents_of",
    "store_targets",
    "walk",
]

NEVER_NODES = frozenset(
    {
        # Fields that hold names, numbers, flags or comments in every Python grammar.
        "id",
        "attr",
        "arg",
        "name",
        "asname",
        "module",
        "level",
        "is_async",
        "conversion",
        "simple",
        "kind",
        "type_comment",
        "tag",
    }
)
"""Fields that hold names, numbers, flags or comments, never nodes."""
CONTEXT_FIELDS = frozenset({"ctx", "op", "ops"})
"""Contexts and operators: nodes, but only ever asked about through their owner."""
_WALK_LEAVES = NEVER_NODES | CONTEXT_FIELDS
_FIELDS: dict[type, tuple[str, ...]] = {}
"""Node type -> its fields that may hold a node or a list of nodes, in ``_fields`` order."""


def _fields(kind: type) -> tuple[str, ...]:
    fields: tuple[str, ...] = getattr(kind, "_fields", ())
    return tuple(f for f in fields if f not in _WALK_LEAVES)


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """Every node under ``node`` (itself first), breadth first, as :func:`ast.walk` gives them."""
    queue: list[ast.AST] = [node]
    append = queue.append
    table = _FIELDS
    node_type = ast.AST
    index = 0
    while index < len(queue):
        current = queue[index]
        index += 1
        kind = type(current)
        fields = table.get(kind)
        if fields is None:
            fields = table[kind] = _fields(kind)
        for name in fields:
            value = getattr(current, name, None)
            if isinstance(value, node_type):
                append(value)
            elif type(value) is list:
                for item in value:
                    if isinstance(item, node_type):
                        append(item)
        yield current


def parents_of(nodes: Iterable[ast.AST]) -> dict[int, ast.AST]:
    """``id(child)`` -> its node, for every child :func:`ast.iter_child_nodes` gives of each node.

    The same map as that loop builds (a later node wins), without two generators per node.
    """
    up: dict[int, ast.AST] = {}
    table = _FIELDS
    node_type = ast.AST
    for node in nodes:
        kind = type(node)
        fields = table.get(kind)
        if fields is None:
            fields = table[kind] = _fields(kind)
        for name in fields:
            value = getattr(node, name, None)
            if isinstance(value, node_type):
                up[id(value)] = node
            elif type(value) is list:
                for item in value:
                    if isinstance(item, node_type):
                        up[id(item)] = node
    return up


def parent_map(root: ast.AST) -> dict[ast.AST, ast.AST]:
    """``{child: node for node in ast.walk(root) for child in ast.iter_child_nodes(node)}``."""
    found: dict[ast.AST, ast.AST] = {}
    table = _FIELDS
    node_type = ast.AST
    for node in walk(root):
        kind = type(node)
        fields = table.get(kind)
        if fields is None:
            fields = table[kind] = _fields(kind)
        for name in fields:
            value = getattr(node, name, None)
            if isinstance(value, node_type):
                found[value] = node
            elif type(value) is list:
                for item in value:
                    if isinstance(item, node_type):
                        found[item] = node
    return found


def child_fields(kind: type) -> tuple[str, ...]:
    """The fields of ``kind`` that may hold nodes worth a question, last first.

    None for a constant or a non-node (a value such as ``None`` among ``Dict.keys`` may be
    pushed by a depth-first walk; it has no fields, so it is passed over). Contexts and
    operators are left out (:data:`CONTEXT_FIELDS`): the depth-first walks of the fact
    collectors look at them through their owner only.
    """
    if kind is ast.Constant or not issubclass(kind, ast.AST):
        return ()
    return tuple(reversed([f for f in kind._fields if f not in _WALK_LEAVES]))


def store_targets(node: ast.AST) -> list[ast.expr]:
    """What an assignment, augmented or annotated assignment, or ``del`` statement binds."""
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, ast.AugAssign | ast.AnnAssign):
        return [node.target]
    if isinstance(node, ast.Delete):
        return list(node.targets)
    return []
