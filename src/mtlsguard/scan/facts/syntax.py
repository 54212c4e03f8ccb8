"""Small questions about AST nodes that several collectors and guards ask."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from itertools import compress, repeat

from mtlsguard.scan import walking

__all__ = [
    "DEFINITIONS",
    "MANAGERS",
    "REQUEST_PRINCIPALS",
    "FunctionNode",
    "bound_names",
    "compared_strings",
    "is_request",
    "is_request_user",
    "keep_own_nodes",
    "key_access",
    "keyed_owner",
    "keyed_read",
    "mentions_attr",
    "mentions_user",
    "mentions_user_data",
    "own_nodes",
    "reads_request_method",
    "returned_wrappers",
    "strings",
    "subtree",
    "through_objects",
]

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
"""What a fact collection is about."""

DEFINITIONS: frozenset[type[ast.AST]] = frozenset(
    {ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda}
)
"""Node types that open a nested scope (a wrapper inside a decorator, a lambda)."""


_OWN = "_mtlsguard_own_nodes"
_NESTED = "_mtlsguard_nested_nodes"


def own_nodes(func: FunctionNode, *, nested: bool = False) -> Iterator[ast.AST]:
    """Walk ``func``'s body; skip nested defs and lambdas unless ``nested``.

    The walk is made once per function and kept on its node (every fact collector walks the
    same body; the scanner never changes a tree it has parsed).
    """
    key = _NESTED if nested else _OWN
    nodes: tuple[ast.AST, ...] | None = func.__dict__.get(key)
    if nodes is None:
        nodes = tuple(_walk_body(func, nested=nested))
        setattr(func, key, nodes)
    return iter(nodes)


def keep_own_nodes(func: FunctionNode, walked: list[object]) -> None:
    """Keep what a walk of ``func``'s own body took from its stack as :func:`own_nodes`.

    ``walked``: the values of a depth-first walk in :func:`_walk_body`'s order (the same child
    fields, nested definitions not entered), which may include non-nodes (``None``).
    """
    if _OWN not in func.__dict__:
        # The filter in C (compress over map): every node of every analysed body passes here.
        nodes = compress(walked, map(isinstance, walked, repeat(ast.AST)))
        setattr(func, _OWN, tuple(nodes))


def _walk_body(func: FunctionNode, *, nested: bool) -> list[ast.AST]:
    """Pre-order, in source order: the nodes :func:`ast.iter_child_nodes` would give.

    Less the expression contexts and operators (``Load``, ``Add``, ``Eq``...): no question
    is asked of them as nodes (only through ``.ctx``/``.op``/``.ops`` of their owner), and a
    context is on every name, so leaving them out shortens every loop over the body.
    """
    found: list[ast.AST] = []
    add = found.append
    stack: list[object] = list(reversed(func.body))
    pop = stack.pop
    push = stack.append
    push_all = stack.extend
    table = _CHILD_FIELDS
    node_type = ast.AST
    while stack:
        node = pop()
        if not isinstance(node, node_type):
            continue  # ``None`` among ``Dict.keys``, a name in ``Global.names``
        add(node)
        kind = type(node)
        if not nested and kind in DEFINITIONS:
            continue
        fields = table.get(kind)
        if fields is None:
            fields = table[kind] = walking.child_fields(kind)
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                push_all(reversed(value))
            elif value is not None:
                push(value)
    return found


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
"""Node type -> the fields that may hold child nodes worth a question, last first."""


def subtree(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of :func:`ast.walk` (``node`` first), depth first, less contexts and operators.

    Without :func:`ast.walk`'s queue and per-node generators: use it where only *which*
    nodes (of the kinds a question is about: names, attributes, calls...) there are matters.
    """
    stack: list[object] = [node]
    pop = stack.pop
    push = stack.append
    push_all = stack.extend
    table = _CHILD_FIELDS
    node_type = ast.AST
    while stack:
        sub = pop()
        if not isinstance(sub, node_type):
            continue
        yield sub
        kind = type(sub)
        fields = table.get(kind)
        if fields is None:
            fields = table[kind] = walking.child_fields(kind)
        for name in fields:
            value = getattr(sub, name, None)
            if type(value) is list:
                push_all(value)
            elif value is not None:
                push(value)


def strings(node: ast.AST) -> Iterator[str]:
    """Every string literal inside ``node``."""
    for sub in walking.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.value


def compared_strings(test: ast.expr) -> set[str]:
    """Strings a comparison in ``test`` compares with (``x in ("list", "OPTIONS")``)."""
    found: set[str] = set()
    for node in walking.walk(test):
        if isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                items = side.elts if isinstance(side, ast.List | ast.Tuple | ast.Set) else [side]
                found.update(
                    i.value for i in items if isinstance(i, ast.Constant) and type(i.value) is str
                )
    return found


def is_request(node: ast.expr) -> bool:
    """``node`` is ``request`` or ``self.request``."""
    return (isinstance(node, ast.Name) and node.id == "request") or (
        isinstance(node, ast.Attribute) and node.attr == "request"
    )


def reads_request_method(node: ast.AST) -> bool:
    """``node`` reads ``request.method`` (or ``self.request.method``) somewhere."""
    return any(
        isinstance(sub, ast.Attribute) and sub.attr == "method" and is_request(sub.value)
        for sub in walking.walk(node)
    )


def is_request_user(node: ast.expr) -> bool:
    """``node`` is ``request.user`` or ``self.request.user``."""
    return isinstance(node, ast.Attribute) and node.attr == "user" and is_request(node.value)


def mentions_attr(node: ast.AST, names: frozenset[str]) -> bool:
    """``node`` reads one of the attributes ``names`` somewhere."""
    return any(isinstance(n, ast.Attribute) and n.attr in names for n in subtree(node))


def mentions_user(node: ast.AST) -> bool:
    """``node`` refers to ``<something>.user`` (``request.user``, ``self.request.user``)."""
    return any(isinstance(n, ast.Attribute) and n.attr == "user" for n in subtree(node))


REQUEST_PRINCIPALS = frozenset({"identity", "principal", "auth_token", "api_user", "api_key"})
"""Attributes an authentication layer sets on the request for the caller it resolved
(Takahē's ``ApiTokenMiddleware`` sets ``request.identity`` from a bearer token): refusing when
one is missing refuses anonymous callers."""


def _user_data(node: ast.AST) -> bool:
    """``request.user_acl`` / ``self.request.user_permissions``: what the auth layer attached."""
    return (
        isinstance(node, ast.Attribute)
        and (node.attr.startswith("user_") or node.attr in REQUEST_PRINCIPALS)
        and node.attr != "user_agent"  # django-user-agents: the browser, not the user
        and isinstance(node.value, ast.Name | ast.Attribute)
        and (getattr(node.value, "id", None) or getattr(node.value, "attr", None)) == "request"
    )


def mentions_user_data(node: ast.AST) -> bool:
    """``node`` reads a per-user attribute of the request (``request.user_acl[...]``)."""
    return any(_user_data(n) for n in subtree(node))


MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})
"""A model's manager: ``objects`` by convention, ``_default_manager`` as Django documents it
for code that does not know the model's own managers."""


def through_objects(node: ast.expr) -> bool:
    """``Model.objects.filter`` / ``Model._default_manager.select_related().filter``."""
    while isinstance(node, ast.Attribute | ast.Call):
        if isinstance(node, ast.Attribute):
            if node.attr in MANAGERS:
                return True
            node = node.value
        else:
            node = node.func
    return False


def key_access(node: object) -> tuple[ast.expr, str] | None:
    """``(X, "K")`` for ``X["K"]`` or ``X.get("K")`` (a string key), else ``None``."""
    if isinstance(node, ast.Subscript):
        base, key = node.value, node.slice
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and node.args
    ):
        base, key = node.func.value, node.args[0]
    else:
        return None
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return base, key.value
    return None


def keyed_read(node: ast.AST, container: str) -> str:
    """``K`` for ``<name>.<container>["K"]`` or ``<name>.<container>.get("K")``, else ``""``.

    ``view.kwargs.get("project_id")`` (``container="kwargs"``),
    ``form.cleaned_data["owner"]`` (``"cleaned_data"``); the caller checks ``<name>``.
    """
    found = key_access(node)
    if found is None:
        return ""
    base, key = found
    if (
        isinstance(base, ast.Attribute)
        and base.attr == container
        and isinstance(base.value, ast.Name)
    ):
        return key
    return ""


def keyed_owner(node: ast.AST) -> str:
    """The ``<name>`` of a :func:`keyed_read` (``view`` in ``view.kwargs["pk"]``)."""
    base = node.value if isinstance(node, ast.Subscript) else getattr(node, "func", None)
    if isinstance(base, ast.Attribute) and not isinstance(node, ast.Subscript):
        base = base.value
    if isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name):
        return base.value.id
    return ""


def self_assigned(func: FunctionNode) -> frozenset[str]:
    """``<name>`` of every ``self.<name> = value`` in ``func``'s body, nested bodies too.

    The assignments the fact walk hands :func:`~mtlsguard.scan.facts.collectors._assignments`
    (statements hold them: only statement lists are entered, no expression is walked).
    """
    found: set[str] = set()
    stack: list[ast.AST] = list(func.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            for target in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "self"
                ):
                    found.add(target.attr)
            continue
        for field in _STATEMENT_LISTS:
            stack.extend(getattr(stmt, field, ()))
    return frozenset(found)


_STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")
"""Fields holding statements (``handlers``/``cases``: handlers and cases, which hold them)."""


def bound_names(nodes: Sequence[ast.AST]) -> set[str]:
    """Every name ``nodes`` (re)bind or delete anywhere inside (targets, ``as``, ``:=``, ...)."""
    found: set[str] = set()
    for node in nodes:
        for inner in walking.walk(node):
            if isinstance(inner, ast.Name) and not isinstance(inner.ctx, ast.Load):
                found.add(inner.id)
            elif isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                found.add(inner.name)
            elif isinstance(inner, ast.alias):
                found.add((inner.asname or inner.name).partition(".")[0])
            elif isinstance(inner, ast.ExceptHandler) and inner.name:
                found.add(inner.name)
    return found


def returned_wrappers(func: FunctionNode) -> Iterator[FunctionNode]:
    """The functions a decorator defines and returns (``def wrapper(...): ...; return wrapper``).

    The wrapper is what runs for each request: its refusals guard the view it wraps.
    """
    returned = {
        stmt.value.id
        for stmt in func.body
        if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Name)
    }
    for stmt in func.body if returned else ():
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name in returned:
            yield stmt
