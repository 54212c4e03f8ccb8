"""MG108 — Object ids from the request body not checked against the user (CWE-639).

**What.** An authenticated view takes the ids of existing objects from the request body and
uses them without checking that the caller may see those objects, where the objects belong to
one user (an ``owner``/``user`` foreign key; audit columns such as ``created_by`` do not count):

* a DRF ``ModelSerializer`` used by a view that creates or updates (POST, PUT, PATCH) has a
  writable relation — a foreign key or many-to-many of ``Meta.fields`` (DRF builds
  ``PrimaryKeyRelatedField(queryset=Document.objects.all())`` for it; not a many-to-many with
  its own ``through`` model, which DRF makes read-only), or a declared
  ``PrimaryKeyRelatedField``/``SlugRelatedField`` whose ``queryset`` does not name the user —
  with no ``validate_<field>()`` (nor a ``validate()`` naming the field) that looks at the user
  and no ``__init__`` that narrows ``self.fields[...].queryset`` by the user, and no
  ``create()``/``update()``/``perform_create()`` override of the view that checks the field
  against the user (also through a method of the view naming the fields it loads from
  ``request.data``) and refuses;
* a handler picks records by a list of ids from the body (``request.data``,
  ``serializer.validated_data``): ``Document.objects.filter(id__in=ids)``, or through a
  relation, ``When(documents__id__in=ids, ...)`` in an annotation — with no ``if`` that
  compares the ids with something computed from the user and refuses.

Staff-only views are not reported. Behind a global permission (``permission_required``, or a
``DjangoModelPermissions`` every request must pass: writes then need the model's ``add``/
``change`` permission) the finding is medium with low confidence, saying so.

**Why.** Authorization bypass through a user-controlled key (CWE-639): the view checks who may
call it, not which objects the ids name. Any user creates a share link for someone else's
document, attaches another tenant's object to their own, or reads data about records they
cannot see by listing their ids.

**Vulnerable**::

    class ShareLinkSerializer(serializers.ModelSerializer):
        class Meta:
            model = ShareLink
            fields = ("id", "document", "expiration")  # any document id is accepted

**Fix**::

    class ShareLinkSerializer(serializers.ModelSerializer):
        class Meta:
            model = ShareLink
            fields = ("id", "document", "expiration")

        def validate_document(self, document):
            if not has_perm(self.context["request"].user, "view_document", document):
                raise PermissionDenied()
            return document
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mtlsguard.findings.model import Confidence, Finding, Location, Severity
from mtlsguard.findings.registry import Rule, rule
from mtlsguard.scan import walking
from mtlsguard.scan.analysis.body_ids import IdListLookup, id_list_lookups
from mtlsguard.scan.analysis.ownership import is_user_model, relation_target, user_owner_fields
from mtlsguard.scan.analysis.relations import ModelSources, child_relation
from mtlsguard.scan.analysis.roles import RoleGate
from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.analysis.serializer_fields import WritableRelation, writable_relations
from mtlsguard.scan.analysis.sources import SourceFunctions
from mtlsguard.scan.context import RuleContext
from mtlsguard.scan.facts.syntax import strings
from mtlsguard.scan.knowledge import HTTP_METHODS, short_of
from mtlsguard.scan.project_model import Call, ClassModel, FunctionModel, Ref, Seq
from mtlsguard.scan.rules._common import (
    effective_permissions,
    permission_downgrade,
    user_reachable,
    where,
)

RULE_ID = "MG108"
_WRITES = frozenset({"POST", "PUT", "PATCH"})
_ACTIONS = ("create", "update", "partial_update")
_VIEW_WRITES = ("perform_create", "perform_update", "create", "update", "post", "put", "patch")


@rule(
    RULE_ID,
    title="Object ids from the request body not checked against the user",
    cwe="CWE-639",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
)
def check(ctx: RuleContext, meta: Rule) -> Iterator[Finding]:
    """Report writable relations and id lists from the body that pick other users' objects."""
    sources = ctx.sources()
    models = ctx.model_sources()
    relations: dict[str, tuple[WritableRelation, ...]] = {}
    lookups: dict[str, tuple[IdListLookup, ...]] = {}
    for analysis in ctx.routes:
        reachable = user_reachable(ctx, analysis)
        if reachable is None:
            continue  # anonymous (MG101's finding), staff-only or not a view of ours
        severity, confidence, note = reachable
        if severity is None:
            model_permissions = _model_permission_class(ctx, analysis)
            if model_permissions:
                gate = RoleGate("permission", model_permissions)
                severity, confidence, note = permission_downgrade(gate)
        for location, evidence, remediation in [
            *_serializer_relations(ctx, sources, models, analysis, relations),
            *_id_lists(ctx, sources, models, analysis, lookups),
        ]:
            yield meta.finding(
                severity=severity,
                confidence=confidence,
                location=location,
                route=analysis.route.pattern,
                view=analysis.view,
                view_kind=analysis.view_kind,
                evidence=f"{where(analysis)}: {evidence}{note}",
                remediation=remediation,
            )


_MODEL_PERMISSIONS = "rest_framework.permissions.DjangoModelPermissions"


def _model_permission_class(ctx: RuleContext, analysis: RouteAnalysis) -> str:
    """A ``DjangoModelPermissions`` (or subclass) every request must pass, or ``""``.

    Writes then need the global ``add_``/``change_`` permission of the model: who may pick
    which records is who holds it (staff roles, as a rule), as behind ``permission_required``.
    """
    cls = analysis.klass
    if cls is None or analysis.framework != "drf":
        return ""
    perms = effective_permissions(ctx, analysis, cls)
    for item in perms.items if isinstance(perms, Seq) else ():
        if not isinstance(item, Ref):
            continue
        perm = ctx.project.class_named(item.name)
        mro = perm.mro if perm is not None else (item.name,)
        if any(entry.startswith(_MODEL_PERMISSIONS) for entry in mro):
            return short_of(item.name)
    return ""


def _owned(ctx: RuleContext, model: str | None) -> tuple[str, ...]:
    """The user relations of ``model``'s records (``owner``): one user's objects."""
    if model is None or is_user_model(ctx.project, model):
        return ()
    return user_owner_fields(ctx.project, model)


def _checked_in_view(
    ctx: RuleContext, sources: SourceFunctions, cls: ClassModel, field: str
) -> bool:
    """``perform_create()`` & co check the field against the user, or set it themselves.

    ``project = serializer.validated_data.get("project")`` then ``if not
    project.has_permission(self.request.user): raise PermissionDenied``.
    """
    for name in _VIEW_WRITES:
        hit = ctx.project.method(cls, name)
        node = sources.node(hit[1].location.path, hit[1].location.line) if hit else None
        if node is None or hit is None:
            continue
        if hit[1].facts.mentions_user and field in set(strings(node)):
            return True
        if _refuses_listed_ids(ctx, sources, cls, hit[1], node, field):
            return True
        # serializer.save(annotation_id=self.kwargs["annotation_id"]): the body's value is
        # replaced by one the server chose.
        if any(
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr == "save"
            and any(kw.arg in (field, f"{field}_id") for kw in n.keywords)
            for n in walking.walk(node)
        ):
            return True
    return False


def _refuses_listed_ids(
    ctx: RuleContext,
    sources: SourceFunctions,
    cls: ClassModel,
    handler: FunctionModel,
    node: ast.AST,
    field: str,
) -> bool:
    """A write override that checks the body's ids a method of the view names, and refuses.

    ``for model, key in self.get_owner_objects(): obj = model.objects.get(pk=request.data[key])``
    then ``if obj.owner != request.user: raise PermissionDenied``: the keys (``"workout"``) are
    listed by a method of the view (the concrete view's override), not in the handler itself.
    """
    facts = handler.facts
    if not (facts.mentions_user and facts.raises_refusal):
        return False
    if not any(isinstance(n, ast.Attribute) and n.attr == "data" for n in ast.walk(node)):
        return False  # never reads request.data
    for name in facts.calls:
        if not name.startswith(("self.", ".")):
            continue
        hit = ctx.project.method(cls, short_of(name))
        if hit is None or hit[1] is handler:
            continue
        listed = sources.node(hit[1].location.path, hit[1].location.line)
        if listed is not None and field in set(strings(listed)):
            return True
    return False


def _serializer_relations(
    ctx: RuleContext,
    sources: SourceFunctions,
    models: ModelSources,
    analysis: RouteAnalysis,
    memo: dict[str, tuple[WritableRelation, ...]],
) -> Iterator[tuple[Location, str, str]]:
    cls = analysis.klass
    if cls is None or analysis.framework != "drf":
        return
    if not _WRITES.intersection(p.method for p in analysis.protections):
        return
    if analysis.method_actions and not {a for _, a in analysis.method_actions} & set(_ACTIONS):
        return
    found = ctx.project.attribute(cls, "serializer_class")
    value = found[1] if found is not None else None
    serializer = ctx.project.class_named(value.name) if isinstance(value, Ref) else None
    if serializer is None:
        return
    if serializer.qualname not in memo:
        memo[serializer.qualname] = tuple(
            writable_relations(ctx.project, sources, models, serializer)
        )
    for relation in memo[serializer.qualname]:
        owners = _owned(ctx, relation.target)
        if not owners or _checked_in_view(ctx, sources, cls, relation.field):
            continue
        target = short_of(relation.target)
        yield (
            Location(relation.path, relation.line),
            (
                f"{short_of(serializer.qualname)}.{relation.field} accepts the id of any "
                f"{target} (owned via {', '.join(owners)}) on create/update: no "
                f"validate_{relation.field}() or scoped queryset checks it against the user"
            ),
            (
                f"Add validate_{relation.field}(self, value) to {short_of(serializer.qualname)} "
                f"that refuses a {target} the user may not see (raise PermissionDenied), or "
                f"narrow the field's queryset to the user's {target} objects in __init__."
            ),
        )


def _handlers(ctx: RuleContext, analysis: RouteAnalysis) -> Iterator[FunctionModel]:
    if analysis.function is not None:
        yield analysis.function
        return
    cls = analysis.klass
    if cls is None:
        return
    names = [*HTTP_METHODS, *_ACTIONS, *(a for _, a in analysis.method_actions)]
    if analysis.route.extra_action:
        names.append(analysis.route.extra_action)
    for name in dict.fromkeys(names):
        hit = ctx.project.method(cls, name)
        if hit is not None:
            yield hit[1]


def _id_lists(
    ctx: RuleContext,
    sources: SourceFunctions,
    models: ModelSources,
    analysis: RouteAnalysis,
    memo: dict[str, tuple[IdListLookup, ...]],
) -> Iterator[tuple[Location, str, str]]:
    for handler in _handlers(ctx, analysis):
        if handler.qualname not in memo:
            path, line = handler.location.path, handler.location.line
            node = sources.node(path, line) if sources.mentions(path, line, ("__in",)) else None
            memo[handler.qualname] = tuple(id_list_lookups(node)) if node is not None else ()
        if not memo[handler.qualname]:
            continue
        mg104 = {lk.line for lk in handler.facts.lookups}
        for lookup in memo[handler.qualname]:
            if lookup.line in mg104:
                continue  # a lookup MG104 judges
            target = _picked(ctx, models, lookup)
            owners = _owned(ctx, target)
            if target is None or not owners:
                continue
            via = f" through {'__'.join(lookup.path)}" if lookup.path else ""
            yield (
                Location(handler.location.path, lookup.line),
                (
                    f"{lookup.model} queried by {lookup.ids} from the request body{via} in "
                    f"{short_of(handler.qualname)}(): the ids pick {short_of(target)} records "
                    f"(owned via {', '.join(owners)}) the user is never checked against"
                ),
                (
                    f"Check the ids first: permitted = {short_of(target)} objects the user may "
                    "see; if permitted.filter(pk__in=ids).count() != len(ids): return "
                    "HttpResponseForbidden()."
                ),
            )


def _picked(ctx: RuleContext, models: ModelSources, lookup: IdListLookup) -> str | None:
    """The model whose records the ids pick, following the lookup's relations."""
    current = models.class_named(lookup.model)
    for attr in lookup.path:
        if current is None:
            return None
        cls: ClassModel | None = ctx.project.class_named(current)
        relation = child_relation(ctx.project, current, attr, models) if cls else None
        if relation is not None and relation.model is not None:
            current = relation.model
            continue
        current = _forward(ctx, cls, attr) if cls is not None else None
    return current


def _forward(ctx: RuleContext, cls: ClassModel, attr: str) -> str | None:
    for qual in cls.mro:
        owner = ctx.project.class_named(qual)
        value = owner.attributes.get(attr) if owner is not None else None
        if owner is not None and isinstance(value, Call) and isinstance(value.func, Ref):
            target = relation_target(ctx.project, owner, value)
            return target.qualname if target is not None else None
    return None
