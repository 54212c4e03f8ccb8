"""Collectors of the object lookups a view makes, and of the keys the caller chose for them.

``get_object_or_404(Model, pk=pk)``, ``Model.objects.get(...)`` and searches
``Model.objects.filter(name__icontains=q)``: which keys the caller chose (URL kwargs, ids of
the request body or query string, locals holding either), which keywords name a parent the
server computed, and whether the lookup is scoped by the user or the request's tenant.
Imported by :mod:`.collectors` before its own collectors, so the locals are known when the calls
are read.
"""

from __future__ import annotations

import ast

from mtlsguard.scan import walking
from mtlsguard.scan.facts.syntax import (
    MANAGERS,
    is_request,
    mentions_user,
    own_nodes,
    through_objects,
)
from mtlsguard.scan.facts.walk import FunctionWalk, collects, on_call
from mtlsguard.scan.project_model import ObjectLookup, Ref

__all__ = ["SINGLE_FETCHES", "caller_key"]

_CHAINED = (ast.Attribute, ast.Call)
"""Checked with ``isinstance`` in a hot loop (a tuple: no union built per call)."""

SINGLE_FETCHES = frozenset({"get", "get_object_or_404"})
"""``ObjectLookup.kind`` values fetching one record, by any key (a ``filter`` may list many)."""
_OWNER_WORDS = ("user", "owner", "author", "created_by", "account_holder", "member", "customer")


@collects(ast.Assign)
def _caller_key_locals(walk: FunctionWalk, nodes: list[ast.Assign]) -> None:
    """Keep the assignments; :func:`_read_locals` reads them if the body makes a lookup."""
    walk.pending_assigns = nodes


def _read_locals(walk: FunctionWalk) -> None:
    """``pk = request.data.get("id")``: the local carries a caller-chosen key.

    Any other field of the body or query string (``query = request.GET.get("q")``) is a
    caller-chosen search criterion: :attr:`FunctionWalk.inputs`, and so is a local computed
    from one (``ids = [u["id"] for u in updates]``).
    """
    nodes, walk.pending_assigns = walk.pending_assigns, []
    for node in nodes:
        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if not names:
            continue
        subs = list(walking.walk(node.value))
        if any(caller_key(sub) for sub in subs):
            walk.url_params.update(names)
        elif any(
            isinstance(sub, ast.Attribute)
            and sub.attr in _REQUEST_DATA
            and isinstance(sub.value, ast.Name | ast.Attribute)
            and _names(sub.value, "request")
            for sub in subs
        ) or _read_from(node.value, walk.inputs):
            walk.inputs.update(names)


def _read_from(value: ast.expr, inputs: set[str]) -> bool:
    """``updates["id"]``, ``updates.get("ids")``, ``[u["id"] for u in updates]``: a part of input.

    A call given the input (``parse(data)``) computes something of its own: not followed.
    """
    if isinstance(value, ast.Subscript):
        return _read_from(value.value, inputs)
    if isinstance(value, ast.Name):
        return value.id in inputs
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
        return value.func.attr in ("get", "getlist") and _read_from(value.func.value, inputs)
    if isinstance(value, ast.ListComp | ast.SetComp | ast.GeneratorExp):
        return any(_read_from(gen.iter, inputs) for gen in value.generators)
    return False


def _model_expr(source: ast.expr) -> ast.expr:
    """``Model`` from ``Model.objects.select_related(...)`` (or the expression itself).

    A plain dotted name with no manager (``get_object_or_404(self.model_class, pk=pk)``,
    ``get_object_or_404(models.Invoice, ...)``) is the model itself; a deeper attribute of the
    view or the request (``self.page.revisions``, a parent's related manager) is not a model.
    """
    base = source
    called = False
    while isinstance(base, _CHAINED):
        if isinstance(base, ast.Call):
            called = True
            base = base.func
        elif base.attr in MANAGERS:
            return base.value
        else:
            base = base.value
    if called or not isinstance(source, ast.Attribute) or not isinstance(base, ast.Name):
        return base
    if base.id in ("self", "request") and source.value is not base:
        return base
    return source


@on_call("get_object_or_404", "get", "filter")
def _object_lookup(walk: FunctionWalk, call: ast.Call, name: str) -> None:
    """A single-object ORM fetch keyed by URL kwargs (``get_object_or_404(M, pk=pk)``)."""
    short = name.rsplit(".", 1)[-1]
    if id(call) in walk.chained:
        return  # the inner filter of a chain already read with its outer filters
    outermost = call
    outer: list[ast.Call] = []
    if short != "get_object_or_404" and isinstance(call.func, ast.Attribute):
        # Model.objects.filter(pk=pk).filter(Q(space=request.space) | Q(space=None)): one
        # fetch; the later filters narrow the first one (their keys count like its own).
        inner = _inner_filters(call.func.value)
        if inner:
            walk.chained.update(id(c) for c in inner)
            outer = [call, *inner[:-1]]
            call = inner[-1]
    if short == "get_object_or_404":
        if not call.args:
            return
        source: ast.expr = call.args[0]
    else:
        if not isinstance(call.func, ast.Attribute) or not through_objects(call.func.value):
            return
        source = call.func.value
    if walk.pending_assigns:
        _read_locals(walk)
    used = tuple(dict.fromkeys(k for c in (call, *outer) for k in _url_kwargs_used(walk, c)))
    if not used:
        # get_object_or_404(Project, pk=project_pk) with project_pk = request.GET["project"];
        # filter(id__in=request.GET.getlist("selected-submissions"))
        used = tuple(
            dict.fromkeys(
                ast.unparse(kw.value) if not isinstance(kw.value, ast.Name) else kw.value.id
                for kw in call.keywords
                if kw.arg
                and _id_keyword(kw.arg)
                and (
                    (isinstance(kw.value, ast.Name) and kw.value.id in walk.inputs)
                    or _request_data(kw.value)
                )
                and not _signed(kw.value)
            )
        )
    if short == "filter" and not used and walk.inputs:
        # Model.objects.filter(name__icontains=query): a search over every user's objects.
        used = tuple(
            dict.fromkeys(
                n.id
                for kw in call.keywords
                for n in walking.walk(kw.value)
                if isinstance(n, ast.Name) and n.id in walk.inputs
            )
        )
    scoped = any(mentions_user(c) for c in (call, *outer)) or any(
        kw.arg and any(w in kw.arg for w in _OWNER_WORDS)
        for c in (call, *outer)
        for kw in c.keywords
    )
    model_expr = _model_expr(source)
    value = walk.resolve(model_expr)
    if isinstance(model_expr, ast.Call) and not model_expr.args:
        called = walk.resolve(model_expr.func)
        if isinstance(called, Ref) and called.name.endswith("get_user_model"):
            value = called  # get_user_model().objects.get(pk=...): the user model
    model = _model_source(walk, model_expr) or (value.name if isinstance(value, Ref) else None)
    if not used or (short == "filter" and _only_tested(walk, outermost)):
        return
    server: list[str] = []
    url_parents: list[str] = []
    chosen: list[str] = []
    # Q(order=self.order) | Q(orderposition__order=self.order) count like keywords.
    keywords = [
        kw
        for c in (call, *outer)
        for kw in (
            *c.keywords,
            *(
                sub_kw
                for arg in c.args
                for sub in walking.walk(arg)
                if isinstance(sub, ast.Call)
                for sub_kw in sub.keywords
            ),
        )
    ]
    if _request_context(source) or any(
        kw.arg and (_request_context(kw.value) or _checked_object(kw.value)) for kw in keywords
    ):
        # organizer=self.request.organizer (a tenant middleware resolved and checked),
        # get_object_or_404(self.request.organizer.teams, ...), orderposition=self.get_object()
        scoped = True
    for kw in keywords:
        if not kw.arg:
            continue
        if _caller_chosen(walk, kw.value):
            chosen.append(kw.arg)
            if "__" in kw.arg:
                url_parents.append(kw.arg)
        elif not isinstance(kw.value, ast.Constant):
            server.append(kw.arg)
    walk.lookups.append(
        ObjectLookup(
            call.lineno,
            short,
            model,
            used,
            scoped,
            tuple(server),
            tuple(url_parents),
            tuple(chosen),
            alternatives=any(
                isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.BitOr)
                for c in (call, *outer)
                for arg in c.args
                for sub in walking.walk(arg)
            ),
        )
    )


_TESTS = frozenset({"exists", "aexists", "count", "acount"})
_CHAIN_FILTERS = frozenset({"filter", "get"})
_CHAIN_ORDER = frozenset(
    {"all", "order_by", "select_related", "prefetch_related", "distinct", "only", "defer"}
)


def _inner_filters(node: ast.expr) -> list[ast.Call]:
    """``filter()``/``get()`` calls chained under ``node``, outermost first.

    Ordering-only calls are looked through; empty when ``node`` is no such chain.
    """
    found: list[ast.Call] = []
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        attr = node.func.attr
        if attr in _CHAIN_FILTERS:
            found.append(node)
        elif attr not in _CHAIN_ORDER:
            break
        node = node.func.value
    return found


def _only_tested(walk: FunctionWalk, call: ast.Call) -> bool:
    """``User.objects.filter(email=new_email).exists()``: a yes/no (or a number), no object.

    A uniqueness test reads nothing of another user's record, so it is no object lookup.
    """
    return any(
        isinstance(node, ast.Attribute) and node.value is call and node.attr in _TESTS
        for node in own_nodes(walk.func)
    )


_CLASS_WORDS = ("model", "class")


def _model_source(walk: FunctionWalk, model: ast.expr) -> str:
    """``self.page.get_submission_class`` when the model is a local a parent of the view gave.

    ``submission_class = self.page.get_submission_class()``: the records of that class belong
    to the page (a getter named for a model or class, on an attribute of the view).
    """
    if not isinstance(model, ast.Name):
        return ""
    for node in own_nodes(walk.func):
        if not (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == model.id for t in node.targets)
            and isinstance(node.value, ast.Call)
        ):
            continue
        func = node.value.func
        if (
            isinstance(func, ast.Attribute)
            and any(w in func.attr.lower() for w in _CLASS_WORDS)
            and isinstance(func.value, ast.Attribute)
            and isinstance(func.value.value, ast.Name)
            and func.value.value.id == "self"
        ):
            return f"self.{func.value.attr}.{func.attr}"
    return ""


_REQUEST_INPUT = frozenset(
    {"GET", "POST", "data", "query_params", "META", "headers", "FILES", "COOKIES", "body"}
)


def _request_context(value: ast.expr) -> bool:
    """``self.request.event``/``request.organizer.teams``: set on the request by the server."""
    node: ast.expr = value
    while isinstance(node, ast.Attribute | ast.Call):
        if isinstance(node, ast.Call):
            node = node.func
            continue
        base = node.value
        if is_request(base):
            return node.attr not in _REQUEST_INPUT and node.attr != "user"
        node = base
    return False


def _checked_object(value: ast.expr) -> bool:
    """``self.get_object()``: DRF's fetch through the scoped queryset and object permissions."""
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "get_object"
    )


def _id_keyword(arg: str) -> bool:
    """``pk``, ``id``, ``project_id``, ``id__in``, ``document__pk``: it picks records."""
    base = arg.removesuffix("__in")
    return base in ("pk", "id") or base.endswith(("_id", "_pk", "__pk", "__id"))


def _signed(value: ast.expr) -> bool:
    """``signer.unsign(request.GET["i"])``: a value the server signed, not one the caller chose."""
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in ("unsign", "unsign_object", "loads")
        for n in walking.walk(value)
    )


def _request_data(value: ast.expr) -> bool:
    """The value reads the request body or query string (any field)."""
    return any(
        isinstance(n, ast.Attribute) and n.attr in _REQUEST_DATA and _names(n.value, "request")
        for n in walking.walk(value)
    )


def _caller_chosen(walk: FunctionWalk, value: ast.expr) -> bool:
    return any(
        (isinstance(node, ast.Name) and node.id in walk.url_params) or bool(caller_key(node))
        for node in walking.walk(value)
    )


def _url_kwargs_used(walk: FunctionWalk, call: ast.Call) -> tuple[str, ...]:
    """Caller-chosen keys among the call's arguments.

    URL kwargs (``pk``, ``self.kwargs["slug"]``, ``kwargs.get("pk")``), id-like fields of the
    request body or query string (``request.data["id"]``, ``request.GET.get("invoice_id")``)
    and locals assigned from either.
    """
    used: list[str] = []
    for arg in [*call.args, *(kw.value for kw in call.keywords)]:
        for node in walking.walk(arg):
            if isinstance(node, ast.Name) and node.id in walk.url_params:
                used.append(node.id)
            else:
                key = caller_key(node)
                if key:
                    used.append(key)
    return tuple(dict.fromkeys(used))


_REQUEST_DATA = frozenset({"data", "GET", "POST", "query_params"})
_ID_SUFFIXES = ("id", "pk", "ids", "pks", "slug", "uuid")


def _names(node: ast.expr, name: str) -> bool:
    """``request``/``self.request`` (``kwargs``/``self.kwargs``): the name or an attribute of it."""
    return (type(node) is ast.Name and node.id == name) or (
        type(node) is ast.Attribute and node.attr == name
    )


def caller_key(node: ast.AST) -> str:
    """The caller-chosen key ``node`` reads, or ``""``.

    ``pk`` for ``kwargs["pk"]``/``kwargs.get("pk")``; ``request.data['id']`` for an id-like
    field of the request body or query string; ``self.pk`` for the record key a class-based
    view keeps from its URL (``setup(self, request, pk)`` storing ``self.pk = pk``).
    """
    if (
        isinstance(node, ast.Attribute)
        and node.attr == "pk"
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    ):
        return "self.pk"
    if isinstance(node, ast.Subscript):
        base, key = node.value, node.slice
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("get", "getlist")
        and node.args
    ):
        base, key = node.func.value, node.args[0]
    else:
        return ""
    if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
        return ""
    if _names(base, "kwargs"):
        return key.value
    if (
        isinstance(base, ast.Attribute)
        and base.attr in _REQUEST_DATA
        and key.value.lower().endswith(_ID_SUFFIXES)
    ):
        return f"request.{base.attr}[{key.value!r}]"
    return ""
