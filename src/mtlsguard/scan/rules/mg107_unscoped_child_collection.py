"""MG107 — Children of a checked object served without their own scope (CWE-639).

**What.** An authenticated view fetches one object with a check — through a queryset
restricted to the user (``get_object_or_404(Model.objects.restrict(request.user, "view"),
...)``, a view whose ``self.queryset`` its ``dispatch()``/``initial()`` restricts to the user,
a scoped ``get_queryset()``) or inside the tenant the request carries (``request.event``) — and
then serves a collection hanging off it, unscoped:

* the parent was restricted to the user, and the collection is not owned by it: a property or
  method of the model computing a queryset (``group.members``), a many-to-many to a model that
  belongs to users or tenants (``low`` with low confidence: the records an object names, such
  as its authors or assignees, are usually what its page shows; on the hand-reviewed real
  projects none of 12 such findings was true), or any collection of a parent whose model the
  scan cannot see;
  the children of a reverse foreign key (``project.task_set``) belong to the parent and are not
  reported;
* the request carries a tenant (``self.request.event``, ``request.organization``: an object a
  middleware resolved and checked), the parent does not belong to that tenant (a user shared
  by every event), and the collection's model does (``QueuedMail.event``), yet the collection
  is not filtered by it (``speaker.mails.filter(sent__isnull=False)``).

A collection is ``parent.attr`` followed by queryset methods (``.all()``, ``.filter()``,
``.order_by()``...) or handed to a paginator (``paginate_queryset``), a django-tables2 table
(``...Table(rows)``) or a serializer with ``many=True``. It is scoped when a call on it, or the
call it is handed to, names the user (``.restrict(request.user, "view")``, ``.for_user(user)``,
``get_objects_for_user(user, perm, qs)``), or a ``filter()`` names the request's tenant. The
parent is followed into a method of the view it is handed to (``self.get_extra_context(request,
instance)``). Staff-only views are not reported, nor a computed collection of the view's own
object when its ``get_queryset()`` keeps only objects the user owns (a ``filter()`` along
forward foreign keys to the owner, ``exerciseday__training__user=request.user``).

**Why.** Authorization bypass through a user-controlled key (CWE-639): the check on the parent
says nothing about the objects listed under it. A user allowed to see a group sees every member
of it, including objects their own permissions hide; an organiser of one event reads a
speaker's mails of every other event.

**Vulnerable**::

    @action(detail=True, methods=["get"])
    def members(self, request, pk):
        group = self.get_object()  # restricted to the user's groups
        page = self.paginate_queryset(group.members)
        return self.get_paginated_response(MemberSerializer(page, many=True).data)

**Fix**::

    @action(detail=True, methods=["get"])
    def members(self, request, pk):
        group = self.get_object()
        page = self.paginate_queryset(group.members.restrict(request.user, "view"))
        return self.get_paginated_response(MemberSerializer(page, many=True).data)
"""

from __future__ import annotations

from collections.abc import Iterator

from mtlsguard.findings.model import Confidence, Finding, Location, Severity
from mtlsguard.findings.registry import Rule, rule
from mtlsguard.scan.analysis.children import (
    QUERYSET_METHODS,
    ChildCollection,
    ObjectArgument,
    ParentFetch,
    child_collections,
    object_arguments,
    request_attributes,
)
from mtlsguard.scan.analysis.owned_queryset import owner_filtered
from mtlsguard.scan.analysis.ownership import is_tenant, is_user_model, tenant_paths
from mtlsguard.scan.analysis.relations import child_relation
from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.analysis.scoping import SCOPING_METHODS, served_model
from mtlsguard.scan.context import RuleContext
from mtlsguard.scan.knowledge import HTTP_METHODS, short_of
from mtlsguard.scan.project_model import Call, ClassModel, FunctionModel, Ref
from mtlsguard.scan.rules._common import user_reachable, where

RULE_ID = "MG107"
_ACTIONS = ("list", "retrieve", "update", "partial_update", "destroy")

_PLAIN_PARAMS = frozenset({"self", "cls", "request", "args", "kwargs", "format"})
Bindings = dict[str, ParentFetch]
"""Parameters of a method that receive a fetched object, by name."""
_COLLECTION_WORDS = (
    *(f".{name}(" for name in QUERYSET_METHODS),
    "paginate_queryset",
    "filter_queryset",
    "Table",
    "table_class",
    "erializer",
)
"""Text a function that lists a collection contains (a cheap test before it is walked)."""
_FETCH_WORDS = ("get_object", "self.object", "objects.get(", "queryset.get(")
"""Text of a function that fetches an object (``self.get_object()``, ``get_object_or_404``)."""


class _Views:
    """Per-class answers the rule asks for every route of a view (computed once)."""

    def __init__(self, ctx: RuleContext) -> None:
        self.ctx = ctx
        self.sources = ctx.sources()
        self.models = ctx.model_sources()
        self._restricted: dict[str, bool] = {}
        self._owned: dict[str, bool] = {}
        self._tenants: dict[str, frozenset[str]] = {}
        self._children: dict[str, tuple[ChildCollection, ...]] = {}
        self._arguments: dict[str, tuple[ObjectArgument, ...]] = {}

    def children(self, func: FunctionModel, *, bound: bool) -> tuple[ChildCollection, ...]:
        """The collections ``func`` lists (computed once per function).

        Unless a caller hands ``func`` a fetched object (``bound``), only a function that
        fetches one itself can list a child collection of it: the others are not read.
        """
        key = func.qualname if bound else f"{func.qualname} (own fetch)"
        if key not in self._children:
            path, line = func.location.path, func.location.line
            sources = self.sources
            wanted = sources.mentions(path, line, _COLLECTION_WORDS) and (
                bound or sources.mentions(path, line, _FETCH_WORDS)
            )
            node = sources.node(path, line) if wanted else None
            self._children[key] = tuple(child_collections(node)) if node else ()
        return self._children[key]

    def arguments(self, func: FunctionModel) -> tuple[ObjectArgument, ...]:
        """The fetched objects ``func`` hands to methods of its view (computed once)."""
        if func.qualname not in self._arguments:
            path, line = func.location.path, func.location.line
            node = (
                self.sources.node(path, line)
                if self.sources.mentions(path, line, _FETCH_WORDS)
                else None
            )
            self._arguments[func.qualname] = tuple(object_arguments(node)) if node else ()
        return self._arguments[func.qualname]

    def restricted(self, cls: ClassModel) -> bool:
        """The view's own objects are those the *user* may see, not merely a tenant's.

        A user-scoping mixin or filter backend, a ``get_queryset()``/``get_object()`` that
        refers to the user or checks what it fetched, or ``self.queryset =
        self.queryset.restrict(request.user, ...)`` in ``initial()`` or the like; not a
        queryset of the request's tenant or of a parent object.
        """
        if cls.qualname not in self._restricted:
            project = self.ctx.project
            scope = self.ctx.queryset_scope(cls) or "self."
            if scope.endswith("filters by the request's user"):
                # user_scoped_queryset also covers the request's tenant (request.event)
                restricted = any(
                    hit[1].facts.mentions_user
                    for name in SCOPING_METHODS
                    if (hit := project.method(cls, name)) is not None
                )
            else:
                restricted = not scope.startswith("self.")  # through a parent: its tenant's
            self._restricted[cls.qualname] = restricted
        return self._restricted[cls.qualname]

    def owned(self, cls: ClassModel) -> bool:
        """The view's ``get_queryset()`` keeps only objects the requesting user owns."""
        if cls.qualname not in self._owned:
            self._owned[cls.qualname] = owner_filtered(self.ctx.project, self.sources, cls)
        return self._owned[cls.qualname]

    def tenants(self, cls: ClassModel) -> frozenset[str]:
        """``request.<name>`` objects the view's own methods read (``event``)."""
        if cls.qualname not in self._tenants:
            found: set[str] = set()
            for meth in cls.methods.values():
                path, line = meth.location.path, meth.location.line
                if not self.sources.mentions(path, line, ("request.",)):
                    continue
                node = self.sources.node(path, line)
                if node is not None:
                    found |= request_attributes(node)
            self._tenants[cls.qualname] = frozenset(found)
        return self._tenants[cls.qualname]


def _functions(
    ctx: RuleContext, views: _Views, analysis: RouteAnalysis
) -> Iterator[tuple[FunctionModel, Bindings]]:
    """The route's handlers, the view class's own methods and the methods handed its object."""
    if analysis.function is not None:
        yield analysis.function, {}
        return
    cls = analysis.klass
    if cls is None:
        return
    extra = analysis.route.extra_action
    names = [*HTTP_METHODS, *_ACTIONS, *(a for _, a in analysis.method_actions)]
    if extra:
        names.append(extra)
    seen: dict[str, tuple[FunctionModel, Bindings]] = {}
    for name in dict.fromkeys([*names, *cls.methods]):
        hit = ctx.project.method(cls, name)
        if hit is not None:
            seen.setdefault(hit[1].qualname, (hit[1], {}))
    targets = {
        func.qualname
        for func, _ in seen.values()
        if (params := tuple(f"{p}." for p in func.params if p not in _PLAIN_PARAMS))
        and views.sources.mentions(func.location.path, func.location.line, params)
        and views.sources.mentions(func.location.path, func.location.line, _COLLECTION_WORDS)
    }
    if not targets:
        yield from seen.values()
        return  # no method could list a collection of an object handed to it
    for func, _ in list(seen.values()):
        for arg in views.arguments(func):
            hit = ctx.project.method(cls, arg.method)
            if hit is None or len(hit[1].params) <= arg.position + 1:
                continue
            target = hit[1]
            bound = seen.setdefault(target.qualname, (target, {}))[1]
            bound.setdefault(target.params[arg.position + 1], arg.fetch)
    yield from seen.values()


@rule(
    RULE_ID,
    title="Children of a checked object served without their own scope",
    cwe="CWE-639",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
)
def check(ctx: RuleContext, meta: Rule) -> Iterator[Finding]:
    """Report child collections of a user- or tenant-checked object that are served unscoped."""
    views = _Views(ctx)
    for analysis in ctx.routes:
        reachable = user_reachable(ctx, analysis)
        if reachable is None:
            continue  # anonymous (MG101's finding), staff-only or not a view of ours
        severity, confidence, note = reachable
        for func, bound in _functions(ctx, views, analysis):
            for child in views.children(func, bound=bool(bound)):
                fetch = child.fetch or bound.get(child.parent)
                if child.scoped or fetch is None:
                    continue
                reason = _reason(ctx, views, analysis, func, child, fetch)
                if reason is None:
                    continue
                linked = _LINKED in reason
                yield meta.finding(
                    severity=Severity.LOW if linked else severity,
                    confidence=Confidence.LOW if linked else confidence,
                    location=Location(func.location.path, child.line),
                    route=analysis.route.pattern,
                    view=_view(analysis, func),
                    view_kind=analysis.view_kind,
                    evidence=(
                        f"{where(analysis)}: {child.text} in {short_of(func.qualname)}() {reason}"
                        f"{_LINKED_NOTE if linked else ''}{note}"
                    ),
                    remediation=_remediation(child, reason),
                )


_LINKED = "many-to-many: not owned by"
_LINKED_NOTE = (
    "; but a many-to-many links the checked object to records of others that it names (its "
    "authors, assignees, members, licences): usually what the object's own page shows. On "
    "the hand-reviewed real projects none of 12 such findings was true (2 defensible), low "
    "with low confidence: check that the listed records are shown only as far as the object "
    "names them"
)


def _view(analysis: RouteAnalysis, func: FunctionModel) -> str | None:
    """The class that defines ``func`` when the view inherits it (a mixin serving many views).

    Its findings then merge into one, listing every route: the fix is in the mixin.
    """
    cls = analysis.klass
    owner = func.qualname.rsplit(".", 1)[0]
    if cls is None or owner == cls.qualname:
        return analysis.view
    return owner


def _parent_model(
    ctx: RuleContext, cls: ClassModel | None, func: FunctionModel, fetch: ParentFetch
) -> str | None:
    if fetch.kind == "view":
        return served_model(ctx.project, cls) if cls is not None else None
    for lookup in func.facts.lookups:
        if lookup.line == fetch.line:
            return lookup.model
    return None


def _reason(
    ctx: RuleContext,
    views: _Views,
    analysis: RouteAnalysis,
    func: FunctionModel,
    child: ChildCollection,
    fetch: ParentFetch,
) -> str | None:
    """Why ``child`` needs a scope of its own, or None when it does not."""
    cls = analysis.klass
    parent = _parent_model(ctx, cls, func, fetch)
    relation = child_relation(ctx.project, parent, child.attr, views.models)
    if cls is not None and relation is not None and relation.model is not None and parent:
        tenant = _tenant_reason(ctx, views, cls, parent, child, relation.model)
        if tenant is not None:
            return tenant
    restricted = fetch.restricted or (
        fetch.kind == "view" and cls is not None and views.restricted(cls)
    )
    if restricted:
        how = "fetched restricted to the user" if fetch.restricted else "the view's scoped object"
        if relation is None and fetch.restricted and ctx.project.class_named(parent or "") is None:
            return (
                f"lists {child.attr} of {child.parent} ({how}) without restricting it to the user"
            )
        if relation is not None and relation.kind == "computed":
            if fetch.kind == "view" and cls is not None and views.owned(cls):
                return None  # the object belongs to the caller: what it computes is theirs
            return (
                f"lists {child.attr}, a queryset {short_of(parent or '?')} computes, of "
                f"{child.parent} ({how}) without restricting it to the user"
            )
        if (
            relation is not None
            and relation.kind == "many-to-many"
            and relation.model is not None
            and ctx.owner_fields(relation.model)
        ):
            return (
                f"lists {child.attr} ({short_of(relation.model)}, many-to-many: not owned by "
                f"{child.parent}) of {child.parent} ({how}) without restricting it to the user"
            )
    return None


def _tenant_reason(
    ctx: RuleContext,
    views: _Views,
    cls: ClassModel,
    parent: str,
    child: ChildCollection,
    model: str,
) -> str | None:
    """The request's tenant owns the children but not the parent, and nothing filters by it."""
    child_cls = ctx.project.class_named(model)
    parent_cls = ctx.project.class_named(parent)
    if child_cls is None or parent_cls is None:
        return None
    keys = {key.split("__")[0].removesuffix("_id") for key in child.filter_keys}
    child_paths = tenant_paths(ctx.project, child_cls)
    parent_paths = tenant_paths(ctx.project, parent_cls)
    for tenant in sorted(views.tenants(cls)):
        if short_of(parent).lower() == tenant or (
            is_tenant(ctx.project, parent) and tenant in short_of(parent).lower()
        ):
            continue
        if parent_paths or _has_relation(ctx, parent_cls):
            continue  # the parent belongs to a tenant (or may: a relation the scan cannot place)
        owning = [p for p in child_paths if p.split("__")[-1] == tenant]
        if owning and tenant not in keys and not keys & {p.split("__")[0] for p in owning}:
            return (
                f"lists {child.attr} ({short_of(model)}, owned via {owning[0]}) of "
                f"{child.parent}, which no {tenant} owns, without filtering by "
                f"request.{tenant}: every {tenant}'s records are shown"
            )
    return None


def _has_relation(ctx: RuleContext, cls: ClassModel) -> bool:
    """``cls`` (or a project base) has a foreign key: it may belong to a tenant through it.

    Only a model with no foreign key at all (a user, a person shared by every event) is taken
    as belonging to no tenant; the user model itself always is.
    """
    if is_user_model(ctx.project, cls.qualname):
        return False
    for qual in cls.mro:
        owner = ctx.project.class_named(qual)
        for value in owner.attributes.values() if owner is not None else ():
            if (
                isinstance(value, Call)
                and isinstance(value.func, Ref)
                and value.func.short in ("ForeignKey", "OneToOneField")
            ):
                return True
    return False


def _remediation(child: ChildCollection, reason: str) -> str:
    if "request." in reason:
        tenant = reason.rsplit("request.", 1)[1].split(":", 1)[0]
        return (
            f"Filter the collection by the request's {tenant}: "
            f"{child.parent}.{child.attr}.filter({tenant}=request.{tenant})."
        )
    return (
        f"Restrict the collection to what the user may see, as the parent was: "
        f'{child.parent}.{child.attr}.restrict(request.user, "view") (or .filter(...) by the '
        "user, or get_objects_for_user(request.user, perm, queryset))."
    )
