"""Ids the caller sends in the request body, and where they pick records (``id__in=ids``).

``ids = serializer.validated_data.get("documents")`` (or ``request.data["ids"]``,
``request.POST.getlist("ids")``) then ``Document.objects.filter(id__in=ids)`` — or, through a
relation, ``Correspondent.objects.annotate(n=Count(Case(When(documents__id__in=ids, ...))))``:
every id the caller lists is used, whoever owns the record. The ids are checked when an ``if``
that refuses compares them with something computed from the user (``if
permitted.filter(pk__in=ids).count() != len(ids): return HttpResponseForbidden()``).

Read from the function's source with :class:`~.children.SourceFunctions`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from mtlsguard.scan import walking
from mtlsguard.scan.facts.guards import denies
from mtlsguard.scan.facts.syntax import FunctionNode, mentions_user, own_nodes

__all__ = ["IdListLookup", "id_list_lookups"]

_BODY = frozenset({"data", "POST", "validated_data", "initial_data"})
"""Attributes holding what the caller sent (``request.data``, ``serializer.validated_data``)."""


@dataclass(frozen=True, slots=True)
class IdListLookup:
    """``<model>.objects...(path__id__in=ids)`` with ``ids`` from the request body."""

    line: int
    model: str
    """Short name of the queryset's model (``Correspondent``)."""
    path: tuple[str, ...]
    """Relations from the model to the records the ids pick (``("documents",)``); empty when
    the ids pick the model's own records (``id__in``)."""
    ids: str
    """The local (or expression) holding the ids."""


def _from_body(value: ast.expr) -> bool:
    """``request.data.get("ids")``, ``serializer.validated_data["documents"]``."""
    return any(isinstance(n, ast.Attribute) and n.attr in _BODY for n in walking.walk(value))


def _body_locals(nodes: list[ast.AST]) -> set[str]:
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Assign) and _from_body(node.value):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


Binding = tuple[set[str], ast.expr]
"""Names bound and the expression they are computed from (an assignment, a ``for`` loop)."""


def _bindings(nodes: list[ast.AST]) -> list[Binding]:
    found: list[Binding] = []
    for node in nodes:
        if isinstance(node, ast.Assign):
            found.append(({t.id for t in node.targets if isinstance(t, ast.Name)}, node.value))
        elif isinstance(node, ast.For | ast.comprehension):
            names = {n.id for n in walking.walk(node.target) if isinstance(n, ast.Name)}
            found.append((names, node.iter))
    return found


def _derived(assigns: list[Binding], seeds: set[str], extra: frozenset[str]) -> set[str]:
    """Locals computed, directly or through other locals, from ``seeds`` (or reading ``extra``).

    ``extra`` holds attribute names that count as a source too (``user`` of ``request.user``).
    """
    found = set(seeds)
    changed = True
    while changed:
        changed = False
        for targets, value in assigns:
            names = targets - found
            if not names:
                continue
            if any(
                (isinstance(n, ast.Name) and n.id in found)
                or (isinstance(n, ast.Attribute) and n.attr in extra)
                for n in walking.walk(value)
            ):
                found |= names
                changed = True
    return found


def _checked(nodes: list[ast.AST], ids: set[str]) -> bool:
    """An ``if`` that refuses tests something computed from the ids and from the user.

    Also inside a loop over the records: ``for doc in Document.objects.filter(pk__in=ids): if
    not has_perm(request.user, doc): return HttpResponseForbidden()``.

    ``if permitted.filter(pk__in=ids).count() != len(ids): return HttpResponseForbidden()``
    with ``permitted`` from ``request.user``; ``has_perms = all(has_perm(user, doc) for doc in
    Document.objects.filter(pk__in=ids))`` then ``if not has_perms: return ...``.
    """
    assigns = _bindings(nodes)
    with_user = _derived(assigns, set(), frozenset({"user"}))
    from_ids = _derived(assigns, ids, frozenset())
    for node in nodes:
        if not isinstance(node, ast.If):
            continue
        names = {n.id for n in walking.walk(node.test) if isinstance(n, ast.Name)}
        user = bool(names & with_user) or mentions_user(node.test)
        if names & from_ids and user and any(denies(s) for s in [*node.body, *node.orelse]):
            return True
    return False


def _narrowed(call: ast.AST, up: dict[int, ast.AST], nodes: list[ast.AST]) -> bool:
    """The records picked are narrowed to the user's afterwards.

    ``tasks = Task.objects.filter(id__in=ids)`` then ``tasks = tasks.filter(owner=user)``.
    """
    stmt: ast.AST | None = call
    while stmt is not None and not isinstance(stmt, ast.Assign):
        stmt = up.get(id(stmt))
    if stmt is None:
        return False
    names = {t.id for t in stmt.targets if isinstance(t, ast.Name)}
    return any(
        isinstance(n, ast.Assign)
        and n is not stmt
        and {t.id for t in n.targets if isinstance(t, ast.Name)} & names
        and mentions_user(n.value)
        for n in nodes
    )


def _model_of_chain(node: ast.AST, up: dict[int, ast.AST]) -> str:
    """``Correspondent`` of the ``Correspondent.objects...`` call that encloses ``node``."""
    current: ast.AST | None = node
    while current is not None:
        if isinstance(current, ast.Attribute) and current.attr == "objects":
            base = current.value
            if isinstance(base, ast.Name):
                return base.id
            if isinstance(base, ast.Attribute):
                return base.attr
            return ""
        if isinstance(current, ast.Call):
            # Look down the callee chain: Model.objects.filter(...).annotate(...)
            func: ast.expr = current.func
            while isinstance(func, ast.Attribute | ast.Call):
                if isinstance(func, ast.Attribute) and func.attr == "objects":
                    base = func.value
                    return base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
                func = func.value if isinstance(func, ast.Attribute) else func.func
        current = up.get(id(current))
    return ""


def id_list_lookups(func: FunctionNode) -> Iterator[IdListLookup]:
    """Every ``..._id__in=ids``-style keyword picking records by ids from the body, unchecked."""
    nodes = list(own_nodes(func))
    ids = _body_locals(nodes)
    up: dict[int, ast.AST] | None = None  # built for the first candidate (most bodies have none)
    if not ids or _checked(nodes, ids):
        ids = set()  # none, or checked together: only direct reads of the body remain
    for node in nodes:
        if not isinstance(node, ast.keyword) or not node.arg:
            continue
        parts = node.arg.split("__")
        if len(parts) < 2 or parts[-1] != "in" or parts[-2] not in ("id", "pk"):
            continue
        value = node.value
        name = value.id if isinstance(value, ast.Name) else ""
        if name and name not in ids:
            continue
        if not name and not _from_body(value):
            continue
        if up is None:
            up = walking.parents_of(nodes)
        call = up.get(id(node))
        if call is None or mentions_user(call) or _narrowed(call, up, nodes):
            continue
        model = _model_of_chain(call, up)
        if not model:
            continue
        line = getattr(call, "lineno", 0)
        yield IdListLookup(line, model, tuple(parts[:-2]), name or ast.unparse(value)[:60])
