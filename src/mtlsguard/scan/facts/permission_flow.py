"""Where the objects a function fetches by a caller-chosen id go, and which ones it checks.

Each parameter and each local fetched by a lookup is a *root*; a local computed from roots
(``source_placeholder = plugin.placeholder``, ``plugins = [plugin] + plugin.children()``)
carries them. A root is checked here when a permission method is asked about it with the user:
called on it or on something it carries (``placeholder.has_add_plugins_permission(request.user,
plugins)`` checks ``placeholder``, not ``plugins``), given to the user's own test
(``request.user.has_perm("app.change", obj)``) or to a permission function with the user
(``user_can_view_page(request.user, page)``). ``self.has_..._permission(request, obj)`` and
methods the root is handed to (``self._paste_plugin(request, plugin=plugin)``) are followed by
:mod:`mtlsguard.scan.analysis.object_checks`, which knows the class.
"""

from __future__ import annotations

import ast
import operator

from mtlsguard.scan import walking
from mtlsguard.scan.facts.guards import REQUEST_INPUT
from mtlsguard.scan.facts.lookups import SINGLE_FETCHES, caller_key
from mtlsguard.scan.facts.syntax import FunctionNode, mentions_user, own_nodes
from mtlsguard.scan.project_model import ObjectFlow, ObjectLookup

__all__ = ["flow_self_calls", "may_fetch", "object_flow", "permission_name"]

_FLOW_NODES = (ast.Assign, ast.Call, ast.Compare)
"""Checked with ``isinstance`` in a hot loop (a tuple: no union built per call)."""
_POSITION = operator.attrgetter("lineno", "col_offset")
"""Source order of nodes (a sort key computed in C)."""

_NOT_ROOTS = frozenset({"self", "cls", "request", "args", "kwargs"})
_PERMISSION_WORDS = ("perm", "can_", "allowed", "access")


def permission_name(name: str) -> bool:
    """``has_change_permission``, ``has_perm``, ``user_can_view_page``, ``check_source``."""
    lower = name.lower()
    return any(w in lower for w in _PERMISSION_WORDS) or lower.startswith("check_")


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _self_method(call: ast.Call) -> str:
    func = call.func
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "self"
    ):
        return func.attr
    return ""


def _own(node: ast.expr) -> bool:
    """``request.user``, ``request.toolbar.clipboard``: set by the server for this user."""
    if mentions_user(node):
        return True
    chain: ast.expr = node
    while isinstance(chain, ast.Attribute):
        if isinstance(chain.value, ast.Name) and chain.value.id == "request":
            return chain.attr not in REQUEST_INPUT
        chain = chain.value
    return False


def _from_request_context(subs: list[ast.AST]) -> bool:
    """Computed from the request but none of its input (``get_toolbar(request).clipboard``).

    ``subs``: the nodes of the value (its :func:`ast.walk`).
    """
    names = [n for n in subs if isinstance(n, ast.Name)]
    return any(n.id == "request" for n in names) and not any(
        isinstance(n, ast.Attribute) and n.attr in REQUEST_INPUT for n in subs
    )


def _record_keys(keys: tuple[str, ...]) -> bool:
    """Keys that pick one record (``pk``, ``request.POST['plugin_id']``), not a search (``q``)."""
    return any(
        k.removesuffix("']").removesuffix('"]').lower().endswith(("id", "pk", "ids", "pks"))
        for k in keys
    )


def _slots(call: ast.Call) -> list[tuple[str, ast.expr]]:
    """Arguments by slot: the position after ``self`` (``"0"``...) or the keyword."""
    slots = [(str(i), arg) for i, arg in enumerate(call.args)]
    slots += [(kw.arg, kw.value) for kw in call.keywords if kw.arg]
    return slots


class _Flow:
    def __init__(self, func: FunctionNode, lookups: tuple[ObjectLookup, ...]) -> None:
        args = func.args
        params = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
        self.roots: dict[str, frozenset[str]] = {
            p: frozenset({p}) for p in params if p not in _NOT_ROOTS
        }
        # A lookup scoped by the user (``EditingSession.objects.get(id=..., user=request.user)``)
        # fetches the caller's own record: nothing to check.
        self.keyed = {lk.line: lk for lk in lookups if lk.url_kwargs and not lk.user_scoped}
        self.parents: dict[str, frozenset[str]] = {}
        """Fetched locals and the roots their lookup is scoped by (``project=obj``)."""
        self.tainted: set[str] = set()
        self.own: set[str] = set()
        """Locals the server derived for this caller (``clipboard = toolbar(request).clip``)."""
        self.fetched: list[tuple[str, int, str, str, bool]] = []
        self.checked: set[str] = set()
        self.self_checks: list[tuple[str, str, str]] = []
        self.consumers: list[tuple[str, str, str]] = []
        self.self_calls: list[str] = []
        self.payload: set[str] = set()
        self.direct: set[str] = set()
        self.computed: dict[str, str] = {}
        """Locals a plain function computed from a fetched one (``root = get_root(doc)``)."""
        """Fetched locals asked about themselves (``check(request.user, obj)``), not a parent."""

    def carried(self, node: ast.AST, subs: list[ast.AST] | None = None) -> frozenset[str]:
        found: set[str] = set()
        for sub in walking.walk(node) if subs is None else subs:
            if isinstance(sub, ast.Name) and sub.id in self.roots:
                found |= self.roots[sub.id]
        return frozenset(found)

    def assign(self, node: ast.Assign) -> None:
        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if not names:
            return
        value = node.value
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.args
            and isinstance(value.args[0], ast.Name)
            and value.args[0].id in self.parents
        ):
            self.computed.update(dict.fromkeys(names, value.args[0].id))
        subs = list(walking.walk(value))
        lookup = next(
            (
                self.keyed[s.lineno]
                for s in subs
                if isinstance(s, ast.Call) and s.lineno in self.keyed
            ),
            None,
        )
        helper = _self_method(value) if isinstance(value, ast.Call) else ""
        # a get() names one record by any key (slug, api_key); a filter() by an id only
        if (
            lookup is not None
            and (lookup.kind in SINGLE_FETCHES or _record_keys(lookup.url_kwargs))
        ) or (helper and self._keyed_call(value)):
            keys = lookup.url_kwargs if lookup is not None else self._keys(value)
            request = any(k in self.tainted or k.startswith("request.") for k in keys)
            for name in names:
                self.parents[name] = self.parents.get(name, frozenset()) | self.carried(value, subs)
                self.roots[name] = frozenset({name})
                self.fetched.append((name, node.lineno, ", ".join(keys), helper, request))
            return
        if not helper and (
            any(caller_key(sub) for sub in subs)
            or any(isinstance(s, ast.Name) and s.id in self.tainted for s in subs)
        ):
            # plugin_id = get_int(request.POST.get("plugin_id")): a key, not an object
            self.tainted.update(names)
            return
        carried = self.carried(value, subs)
        if not carried and _from_request_context(subs):
            self.own.update(names)
        if carried:
            for name in names:
                # obj = Check(unit=unit, ...) after a failed fetch of obj: still obj too
                self.roots[name] = self.roots.get(name, frozenset()) | carried

    def _keys(self, call: ast.AST) -> tuple[str, ...]:
        return tuple(
            s.id for s in walking.walk(call) if isinstance(s, ast.Name) and s.id in self.tainted
        )

    def _keyed_call(self, call: ast.AST) -> bool:
        return bool(self._keys(call))

    def compare(self, node: ast.Compare) -> None:
        """``placeholder == request.toolbar.clipboard``: it is the caller's own object."""
        operands = [node.left, *node.comparators]
        if not all(isinstance(op, ast.Eq | ast.Is) for op in node.ops):
            return
        if any(_own(op) or (isinstance(op, ast.Name) and op.id in self.own) for op in operands):
            for op in operands:
                self.checked |= self.carried(op)

    def _handled(self, receiver: ast.expr) -> bool:
        """An object the function works on (one it carries, or the caller's own one)."""
        if mentions_user(receiver):
            return False
        if self.carried(receiver) or _own(receiver):
            return True
        return any(isinstance(n, ast.Name) and n.id in self.own for n in walking.walk(receiver))

    def call(self, call: ast.Call) -> None:
        method = _self_method(call)
        name = method or _name(call.func)
        if method:
            self.self_calls.append(method)
            for slot, arg in _slots(call):
                if permission_name(method):
                    self.self_checks += [(method, slot, r) for r in self.carried(arg)]
                elif isinstance(arg, ast.Name) and self.roots.get(arg.id) == frozenset({arg.id}):
                    self.consumers.append((method, slot, arg.id))
            return
        if not permission_name(name) or not mentions_user(call):
            return
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
        if receiver is not None and self._handled(receiver):
            # placeholder.has_add_plugins_permission(request.user, plugins): the receiver is
            # checked; the plugins are what it is asked about (handed over, not checked)
            carried = self.carried(receiver)
            self.payload |= frozenset().union(*(self.carried(a) for a in call.args))
        else:
            # policy.user_has_permission_for_instance(request.user, "change", obj),
            # request.user.has_perm("app.change", obj), user_can_view_page(request.user, page)
            # also what a function computed from it (root = get_root_document(doc), then
            # has_perms_owner_aware(request.user, "change", root)), not its attribute
            # (cred.product: asking about the parent is not asking about the object)
            carried = frozenset().union(*(self.carried(a) for a in call.args))
            self.direct.update(
                self.computed.get(a.id, a.id)
                for a in call.args
                if isinstance(a, ast.Name) and self.computed.get(a.id, a.id) in self.parents
            )
        if isinstance(receiver, ast.Name) and receiver.id in self.parents:
            self.direct.add(receiver.id)  # obj.has_change_permission(request.user)
        self.checked |= carried


def object_flow(func: FunctionNode, lookups: tuple[ObjectLookup, ...]) -> ObjectFlow:
    """The :class:`ObjectFlow` of ``func`` (its lookups are the walk's, with their keys)."""
    flow = _Flow(func, lookups)
    nodes = sorted(
        (n for n in own_nodes(func) if isinstance(n, _FLOW_NODES)),
        key=_POSITION,
    )
    for node in nodes:
        if isinstance(node, ast.Assign):
            flow.assign(node)
        elif isinstance(node, ast.Compare):
            flow.compare(node)
        else:
            flow.call(node)
    # Label.objects.get(pk=pk, project=obj) with obj checked: the label is the project's.
    flow.checked |= {name for name, parents in flow.parents.items() if parents & flow.checked}
    return ObjectFlow(
        fetched=tuple(flow.fetched),
        checked=tuple(sorted(flow.checked)),
        self_checks=tuple(flow.self_checks),
        consumers=tuple(flow.consumers),
        self_calls=tuple(dict.fromkeys(flow.self_calls)),
        payload=tuple(sorted(flow.payload - flow.checked)),
        direct=tuple(sorted(flow.direct)),
    )


def flow_self_calls(func: FunctionNode) -> tuple[str, ...]:
    """The ``self_calls`` of :func:`object_flow`, without following any object (cheap)."""
    calls = sorted((n for n in own_nodes(func) if isinstance(n, ast.Call)), key=_POSITION)
    return tuple(dict.fromkeys(method for method in map(_self_method, calls) if method))


def may_fetch(func: FunctionNode) -> bool:
    """Whether :func:`object_flow` of ``func`` without lookups may record a fetched object.

    Only a local assigned from a ``self`` helper's call can be one then
    (``plugin = self._get_plugin(plugin_id)``); False is certain, True is a maybe.
    """
    return any(
        isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and _self_method(node.value) != ""
        and any(isinstance(target, ast.Name) for target in node.targets)
        for node in own_nodes(func)
    )
