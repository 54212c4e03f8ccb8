"""One walk over a function body that feeds the collectors registered per AST node type.

As Bandit's test set maps node types to the plugins that want them, a collector declares the
node types it wants with :func:`collects` (and a call collector the callee names it wants with
:func:`on_call`); the walk only sorts nodes into those collectors' lists, so it never changes
when a fact is added. The walk is the scanner's hot path: a node costs one dict lookup by
``type(node)`` and, for wanted types, a list append; each collector then loops over its own
nodes, in walk order.

Walk order: the function's own body first, in source order; then nested functions and lambdas
(decorator wrappers), the last one first. A collector registered with ``nested=False`` sees the
own body only.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any, TypeVar

from mtlsguard.scan.facts.syntax import DEFINITIONS, FunctionNode, keep_own_nodes
from mtlsguard.scan.project_model import Expr, JwtDecode, ObjectLookup, Ref, SelfWrite
from mtlsguard.scan.walking import child_fields

__all__ = [
    "CALL_COLLECTORS",
    "HINTS",
    "CallCollector",
    "Collector",
    "FunctionWalk",
    "Resolver",
    "collects",
    "on_call",
]

Resolver = Callable[[ast.expr], Expr]
"""Turns an expression of the analysed module into a resolved :data:`Expr`."""

_SELF_PARAMS = frozenset({"self", "cls", "request", "args", "kwargs", "format"})

HINTS = frozenset({"user", "auth", "safe", "path", "trusted", "role", "manager"})
"""``user``: refers to ``.user``; ``auth``: reads ``is_authenticated``/``is_staff``/``has_perm``
& co; ``safe``: mentions ``SAFE_METHODS`` or a safe method name; ``path``: looks at the request
path; ``trusted``: checks the peer address or a trusted-proxy setting; ``role``: mentions staff
or superusers; ``manager``: reads a model manager (``.objects``), in nested functions too."""


class FunctionWalk:
    """What the collectors learn about one function body (their shared, mutable state)."""

    __slots__ = (
        "authenticates",
        "called",
        "calls_login",
        "cert_keys",
        "chained",
        "constant",
        "cycles",
        "func",
        "has_nested",
        "hints",
        "inputs",
        "jwts",
        "lookups",
        "object_checked",
        "pending_assigns",
        "resolve",
        "returns",
        "self_reads",
        "self_writes",
        "supers",
        "url_params",
        "writes_session",
    )

    def __init__(
        self, func: FunctionNode, resolve: Resolver, constant: Callable[[str], str | None]
    ) -> None:
        self.func = func
        self.resolve = resolve
        """Resolves an expression of the function's module (names to dotted paths)."""
        self.constant = constant
        """Value of a module-level string constant, by name."""
        args = func.args
        params = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
        self.url_params = {p for p in params if p not in _SELF_PARAMS}
        self.inputs: set[str] = set()
        """Locals holding search criteria from the request (``q = request.GET["q"]``)."""
        self.pending_assigns: list[ast.Assign] = []
        """Assignments not yet read for caller-chosen keys (read when a lookup needs them)."""
        self.chained: set[int] = set()
        """Ids of ``filter()`` calls read as the inner part of a chain (:mod:`.lookups`)."""
        """Parameters that carry URL kwargs (not ``self``/``request``/``*args``...)."""
        self.hints: set[str] = set()
        """Cheap signs seen on the way (:data:`HINTS`); some decide whether a costlier check
        of the body is worth running."""
        self.has_nested = self.writes_session = self.calls_login = self.cycles = False
        self.authenticates = self.object_checked = False
        self.cert_keys: list[str] = []
        self.lookups: list[ObjectLookup] = []
        self.jwts: list[JwtDecode] = []
        self.returns: list[ast.Return] = []
        """The function's own ``return`` statements (resolved when the facts are read)."""
        self.supers: list[str] = []
        self.called: list[str] = []
        self.self_reads: list[str] = []
        self.self_writes: list[SelfWrite] = []

    def callee(self, call: ast.Call) -> str:
        """Resolved dotted name of what ``call`` calls (``.attr`` when unresolved, else ``""``)."""
        value = self.resolve(call.func)
        if isinstance(value, Ref):
            return value.name
        if isinstance(call.func, ast.Attribute):
            return "." + call.func.attr
        return ""

    def run(self) -> None:
        """Walk the body once and hand every collector its nodes."""
        buckets: list[list[Any]] = [[] for _ in _COLLECTORS]
        nested: list[ast.AST] = []
        seen: list[Any] = []
        _sort(list(reversed(self.func.body)), _OWN_ROUTES, buckets, nested, seen)
        keep_own_nodes(self.func, seen)
        if nested:
            # Lambdas hold no statements: only a nested def can be a guarding wrapper.
            self.has_nested = any(type(n) is not ast.Lambda for n in nested)
            self._nested_decorators(nested)
            _sort(nested, _NESTED_ROUTES, buckets, None)
        for collect, nodes in zip(_COLLECTORS, buckets, strict=True):
            if nodes:
                collect(self, nodes)

    def _nested_decorators(self, nested: list[ast.AST]) -> None:
        """``@deny_guests def wrapper(...)`` inside a decorator factory calls ``deny_guests``."""
        for node in nested:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for deco in node.decorator_list:
                value = self.resolve(deco.func if isinstance(deco, ast.Call) else deco)
                if isinstance(value, Ref):
                    self.called.append(value.name)


def _sort(
    stack: list[Any],
    routes: dict[type[ast.AST], tuple[int, ...]],
    buckets: list[list[Any]],
    defer: list[ast.AST] | None,
    seen: list[Any] | None = None,
) -> None:
    """Depth-first, in source order: each node into the buckets of the collectors wanting it.

    With ``defer``, nested functions and lambdas are set aside there instead of entered.
    ``seen`` receives every value taken from the stack, in walk order (with the odd non-node,
    such as a ``None`` among ``Dict.keys``).
    """
    children = _CHILDREN
    pop = stack.pop
    push = stack.append
    push_all = stack.extend
    record = seen.append if seen is not None else None
    while stack:
        node = pop()
        if record is not None:
            record(node)
        kind = type(node)
        if defer is not None and kind in DEFINITIONS:
            defer.append(node)
            continue
        route = routes.get(kind)
        if route is not None:
            for index in route:
                buckets[index].append(node)
        fields = children.get(kind)
        if fields is None:
            fields = children[kind] = child_fields(kind)
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                push_all(reversed(value))
            elif value is not None:
                push(value)


_CHILDREN: dict[type, tuple[str, ...]] = {}
"""Node type -> the fields that may hold child nodes, last first (so the first pops first)."""
Collector = Callable[[FunctionWalk, list[Any]], None]
"""``collector(walk, nodes)``: learns from every node of its types, in walk order."""
CallCollector = Callable[[FunctionWalk, ast.Call, str], None]
"""``collector(walk, call, callee)``: learns from one call of a wanted name."""

_COLLECTORS: list[Collector] = []
_OWN_ROUTES: dict[type[ast.AST], tuple[int, ...]] = {}
"""Node type -> indexes in :data:`_COLLECTORS` (the function's own body)."""
_NESTED_ROUTES: dict[type[ast.AST], tuple[int, ...]] = {}
"""The same for nested functions and lambdas."""
CALL_COLLECTORS: dict[str, list[CallCollector]] = {}
"""Last component of a callee's name -> the call collectors that want it."""

_C = TypeVar("_C", bound=Collector)
_K = TypeVar("_K", bound=CallCollector)


def collects(*node_types: type[ast.AST], nested: bool = True) -> Callable[[_C], _C]:
    """Register the decorated collector for ``node_types`` (own body only unless ``nested``)."""

    def register(collector: _C) -> _C:
        index = len(_COLLECTORS)
        _COLLECTORS.append(collector)
        for kind in node_types:
            _OWN_ROUTES[kind] = (*_OWN_ROUTES.get(kind, ()), index)
            if nested:
                _NESTED_ROUTES[kind] = (*_NESTED_ROUTES.get(kind, ()), index)
        return collector

    return register


def on_call(*shorts: str) -> Callable[[_K], _K]:
    """Register the decorated call collector for callees whose last name is one of ``shorts``."""

    def register(collector: _K) -> _K:
        for short in shorts:
            CALL_COLLECTORS.setdefault(short, []).append(collector)
        return collector

    return register
