"""Child collections a view serves from an object it fetched (``group.members``, ``obj.tags``).

A view that checked its object (``self.get_object()``, a lookup through a queryset restricted to
the user, ``get_object_or_404(model.objects.restrict(request.user, "view"), ...)``) often lists
something hanging off it: ``instance.members``, ``self.object.mails.filter(...)``. The check
covered the parent, not the children: they need a scope of their own when they are not owned
by the parent (a many-to-many, a computed property), or when the request carries a tenant the
parent does not belong to (a speaker's mails across every event).

Read from the function's source (the facts of the project model do not keep the syntax tree),
with :class:`~.sources.SourceFunctions`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from mtlsguard.scan import walking
from mtlsguard.scan.facts.syntax import FunctionNode, mentions_user, own_nodes, through_objects

__all__ = [
    "ChildCollection",
    "ObjectArgument",
    "ParentFetch",
    "child_collections",
    "object_arguments",
    "request_attributes",
    "request_attributes_in",
]

QUERYSET_METHODS = frozenset(
    {
        "all",
        "filter",
        "exclude",
        "order_by",
        "select_related",
        "prefetch_related",
        "values",
        "values_list",
        "annotate",
        "distinct",
        "only",
        "defer",
        "iterator",
    }
)
"""Manager/queryset methods that keep a collection a collection."""
_FILTERS = frozenset({"filter", "exclude"})
_PLAIN_PARAMS = frozenset({"self", "cls", "request", "args", "kwargs", "format"})
_REQUEST_INPUT = frozenset(
    {"GET", "POST", "data", "query_params", "META", "headers", "FILES", "COOKIES", "body", "user"}
)
_REQUEST_PLUMBING = frozenset(
    {"method", "path", "path_info", "session", "resolver_match", "build_absolute_uri", "is_ajax"}
)


@dataclass(frozen=True, slots=True)
class ParentFetch:
    """How the object a collection hangs off was obtained."""

    kind: str
    """``view``: the view's own object (``self.object``, ``self.get_object()``, a lookup in
    ``self.queryset``); ``fetch``: a lookup of the handler's own."""
    restricted: bool
    """The fetch hands the user to a call (``model.objects.restrict(request.user, "view")``)."""
    line: int = 0
    """Line of the fetch (to find its resolved model among the function's lookups)."""


@dataclass(frozen=True, slots=True)
class ChildCollection:
    """``parent.attr`` used as a collection (queryset methods, a paginator, a table, a list)."""

    line: int
    parent: str
    """``self.object``, a local or a parameter of the function."""
    fetch: ParentFetch | None
    """How the parent was obtained in this function; None for a parameter."""
    attr: str
    scoped: bool
    """The expression (or the call it is handed to) names the user: ``.restrict(user, ...)``,
    ``.filter(owner=request.user)``, ``get_objects_for_user(user, ..., qs)``."""
    filter_keys: tuple[str, ...]
    """Keywords of ``filter()``/``exclude()`` calls on it (``event`` in ``filter(event=...)``)."""
    text: str
    """The expression, for the evidence."""


@dataclass(frozen=True, slots=True)
class ObjectArgument:
    """``self.get_extra_context(request, instance)``: a fetched object handed to a method."""

    method: str
    position: int
    """0-based position among the call's arguments (``self`` not counted)."""
    fetch: ParentFetch


def _is_self_attr(node: ast.expr, name: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == name
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    )


def _view_object(node: ast.expr) -> bool:
    """``self.object`` or ``self.get_object()``: the object the view fetched."""
    if _is_self_attr(node, "object"):
        return True
    return isinstance(node, ast.Call) and _is_self_attr(node.func, "get_object")


def _view_queryset(node: ast.expr) -> bool:
    """``self.queryset``/``self.get_queryset()`` (possibly chained): the view's objects."""
    while isinstance(node, ast.Call | ast.Attribute):
        if _is_self_attr(node, "queryset") or _is_self_attr(node, "get_queryset"):
            return True
        node = node.func if isinstance(node, ast.Call) else node.value
    return False


def _fetch(value: ast.expr) -> ParentFetch | None:
    """How ``value`` obtains one object, if it does."""
    if _view_object(value):
        return ParentFetch("view", False, value.lineno)
    if not isinstance(value, ast.Call):
        return None
    func = value.func
    short = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if short == "get_object_or_404" and value.args:
        source = value.args[0]
    elif short == "get" and isinstance(func, ast.Attribute):
        source = func.value
        if not _view_queryset(source) and not through_objects(source):
            return None
    else:
        return None
    kind = "view" if _view_queryset(source) else "fetch"
    return ParentFetch(kind, _user_argument(value), value.lineno)


def _user_argument(value: ast.expr) -> bool:
    """A call inside ``value`` is handed the user: ``restrict(request.user, "view")``.

    Not a fetch through the user's own relation (``request.user.organizations``): that parent
    is a tenant the user belongs to, and its children are the tenant's.
    """
    for node in walking.walk(value):
        if not isinstance(node, ast.Call):
            continue
        for arg in [*node.args, *(kw.value for kw in node.keywords)]:
            if (isinstance(arg, ast.Attribute) and arg.attr == "user") or (
                isinstance(arg, ast.Name) and arg.id == "user"
            ):
                return True
    return False


def _parents(func: FunctionNode, nodes: list[ast.AST]) -> dict[str, ParentFetch]:
    """Locals assigned a fetched object (restricted if one of its fetches was)."""
    found: dict[str, ParentFetch] = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                fetch = _fetch(node.value)
                if fetch is None:
                    found.pop(target.id, None)
                    continue
                # if hasattr(model.objects, "restrict"): obj = get(restricted) else: obj = get(...)
                earlier = found.get(target.id)
                if earlier is not None and earlier.restricted and not fetch.restricted:
                    fetch = ParentFetch(fetch.kind, True, fetch.line)
                found[target.id] = fetch
    return found


def _params(func: FunctionNode) -> set[str]:
    args = func.args
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    return names - _PLAIN_PARAMS


def _sink(outer: ast.AST | None, child: ast.expr) -> bool:
    """``child`` is handed to something that lists it: a paginator, a table, a serializer."""
    if not isinstance(outer, ast.Call):
        return False
    func = outer.func
    short = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if short in ("paginate_queryset", "filter_queryset"):
        return True
    # django-tables2 tables take their rows first or as data= (``table_class(rows)`` too);
    # DRF serializers with many=True.
    lower = short.lower()
    if short.endswith("Table") or lower == "table" or lower.endswith("table_class"):
        return True
    serializer = short.endswith("Serializer") or lower.endswith(("serializer", "serializer_class"))
    return serializer and any(
        kw.arg == "many" and isinstance(kw.value, ast.Constant) and kw.value.value is True
        for kw in outer.keywords
    )


def child_collections(func: FunctionNode) -> Iterator[ChildCollection]:
    """Every ``parent.attr`` of ``func`` used as a collection, with its scoping."""
    nodes = list(own_nodes(func))
    parents = _parents(func, nodes)
    params = _params(func)
    up: dict[int, ast.AST] | None = None  # built for the first candidate (most bodies have none)
    for node in nodes:
        if not isinstance(node, ast.Attribute) or node.attr in QUERYSET_METHODS:
            continue
        base = node.value
        if _view_object(base):
            parent, fetch = ast.unparse(base), ParentFetch("view", False, node.lineno)
        elif isinstance(base, ast.Name) and base.id in parents:
            parent, fetch = base.id, parents[base.id]
        elif isinstance(base, ast.Name) and base.id in params:
            parent, fetch = base.id, None
        else:
            continue
        if up is None:
            up = walking.parents_of(nodes)
        above = up.get(id(node))
        if isinstance(above, ast.Call) and above.func is node:
            continue  # parent.method(...): a call, not a collection
        top, methods, keys, scoped = _chain(node, up)
        outer = up.get(id(top))
        if isinstance(outer, ast.keyword):
            outer = up.get(id(outer))  # Table(data=obj.members)
        if not QUERYSET_METHODS.intersection(methods) and not _sink(outer, top):
            continue
        if isinstance(outer, ast.Call) and outer.func is not top and mentions_user(outer):
            scoped = True  # get_objects_for_user(request.user, perm, obj.children)
        yield ChildCollection(
            node.lineno, parent, fetch, node.attr, scoped, keys, ast.unparse(top)[:120]
        )


def _chain(
    node: ast.expr, up: dict[int, ast.AST]
) -> tuple[ast.expr, tuple[str, ...], tuple[str, ...], bool]:
    """Climb ``parent.attr.filter(...).order_by(...)``: top expression, methods, keys, scoped."""
    top: ast.expr = node
    methods: list[str] = []
    keys: list[str] = []
    scoped = False
    while True:
        attr = up.get(id(top))
        if not (isinstance(attr, ast.Attribute) and attr.value is top):
            break
        call = up.get(id(attr))
        if not (isinstance(call, ast.Call) and call.func is attr):
            break
        if mentions_user(call):
            scoped = True  # .restrict(request.user, "view"), .for_user(user), filter(owner=user)
        if attr.attr in _FILTERS:
            keys.extend(kw.arg for kw in call.keywords if kw.arg)
            # filter(event=self.request.event): the tenant the server attached to the request
            scoped = scoped or any(request_attributes_in(kw.value) for kw in call.keywords)
            keys.extend(
                kw.arg
                for arg in call.args
                for sub in walking.walk(arg)
                if isinstance(sub, ast.Call)
                for kw in sub.keywords
                if kw.arg
            )
        methods.append(attr.attr)
        top = call
    return top, tuple(methods), tuple(keys), scoped


def object_arguments(func: FunctionNode) -> Iterator[ObjectArgument]:
    """``self.m(request, instance)`` with ``instance`` a fetched object (or ``self.object``)."""
    nodes = list(own_nodes(func))
    parents = _parents(func, nodes)
    for node in nodes:
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "self"
        ):
            continue
        for position, arg in enumerate(node.args):
            if isinstance(arg, ast.Name) and arg.id in parents:
                yield ObjectArgument(node.func.attr, position, parents[arg.id])
            elif _view_object(arg):
                yield ObjectArgument(node.func.attr, position, ParentFetch("view", False))


def request_attributes_in(node: ast.AST) -> set[str]:
    """``event`` of every ``request.event``/``self.request.event`` inside ``node``."""
    found: set[str] = set()
    for sub in walking.walk(node):
        if not isinstance(sub, ast.Attribute):
            continue
        base = sub.value
        on_request = (isinstance(base, ast.Name) and base.id == "request") or _is_self_attr(
            base, "request"
        )
        if on_request and sub.attr not in _REQUEST_INPUT and sub.attr not in _REQUEST_PLUMBING:
            found.add(sub.attr)
    return found


def request_attributes(func: FunctionNode) -> set[str]:
    """``event`` of ``self.request.event``/``request.event``: objects the server set on the request.

    A tenant middleware resolves ``request.event``/``request.organization`` from the URL and
    checks the user's access to it: what the view shows should stay inside it.
    """
    found: set[str] = set()
    for node in own_nodes(func):
        if isinstance(node, ast.Attribute):
            found |= request_attributes_in(node)
    return found
