"""Writable relations of a DRF ``ModelSerializer``: which object ids a create or update accepts.

``class Meta: model = ShareLink; fields = ("document", ...)`` makes DRF build
``PrimaryKeyRelatedField(queryset=Document.objects.all())`` for the foreign key: any document
id the caller sends is accepted. A field declared with a queryset scoped to the user, a
``validate_<field>()`` (or a ``validate()`` naming the field) that looks at the user, or an
``__init__`` that narrows ``self.fields[...].queryset`` (by the user or the request's tenant),
checks it. A many-to-many field with its own ``through`` model is generated read-only (DRF's
``get_relation_kwargs``), so it takes no id.

The ``Meta`` inner class is read from the serializer's source (the project model keeps only
class-level assignments).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from mtlsguard.scan import walking
from mtlsguard.scan.analysis.ownership import relation_target
from mtlsguard.scan.analysis.relations import ModelSources
from mtlsguard.scan.analysis.scoping import user_aware
from mtlsguard.scan.analysis.sources import SourceFunctions
from mtlsguard.scan.facts.syntax import FunctionNode, mentions_user, strings
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import Call, ClassModel, ProjectModel, Ref

__all__ = ["WritableRelation", "narrowed_in_init", "writable_relations"]

_MODEL_SERIALIZERS = frozenset({"ModelSerializer", "HyperlinkedModelSerializer"})
_RELATED_FIELDS = frozenset(
    {"PrimaryKeyRelatedField", "SlugRelatedField", "HyperlinkedRelatedField"}
)
_RELATIONS = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField"})


@dataclass(frozen=True, slots=True)
class WritableRelation:
    """A serializer field that takes the id of an existing object from the request."""

    field: str
    target: str
    """Dotted path of the related model."""
    line: int
    """Line of the field's declaration, else of the serializer class."""
    path: str


@dataclass(frozen=True, slots=True)
class _Meta:
    model: str
    fields: tuple[str, ...] | None
    """None for ``"__all__"``."""
    read_only: frozenset[str]


def _meta(node: ast.ClassDef) -> _Meta | None:
    for stmt in node.body:
        if not (isinstance(stmt, ast.ClassDef) and stmt.name == "Meta"):
            continue
        model = ""
        fields: tuple[str, ...] | None = ()
        read_only: set[str] = set()
        for item in stmt.body:
            if not (isinstance(item, ast.Assign) and isinstance(item.targets[0], ast.Name)):
                continue
            name, value = item.targets[0].id, item.value
            if name == "model":
                model = value.id if isinstance(value, ast.Name) else getattr(value, "attr", "")
            elif name == "fields":
                if isinstance(value, ast.Constant) and value.value == "__all__":
                    fields = None
                else:
                    fields = tuple(strings(value))
            elif name in ("read_only_fields", "exclude"):
                read_only.update(strings(value))
            elif name == "extra_kwargs" and isinstance(value, ast.Dict):
                for key, options in zip(value.keys, value.values, strict=True):
                    if isinstance(key, ast.Constant) and "read_only" in ast.unparse(options):
                        read_only.add(str(key.value))
        return _Meta(model, fields, frozenset(read_only)) if model else None
    return None


def _declared(nodes: list[ast.ClassDef]) -> dict[str, ast.Assign | ast.AnnAssign]:
    found: dict[str, ast.Assign | ast.AnnAssign] = {}
    for node in reversed(nodes):  # the subclass wins
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
                found[stmt.targets[0].id] = stmt
            elif (  # ``root: RelatedField[...] = PrimaryKeyRelatedField(...)``
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.value is not None
            ):
                found[stmt.target.id] = stmt
    return found


def _callee(node: ast.expr) -> str:
    if not isinstance(node, ast.Call):
        return ""
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def writable_relations(
    project: ProjectModel,
    sources: SourceFunctions,
    models: ModelSources,
    serializer: ClassModel,
) -> Iterator[WritableRelation]:
    """Relations of ``serializer`` that accept any object's id (unscoped, unchecked)."""
    if not _MODEL_SERIALIZERS.intersection(short_of(e) for e in serializer.mro):
        return
    nodes: list[ast.ClassDef] = []
    for qual in serializer.mro:
        owner = project.class_named(qual)
        if owner is None:
            continue
        node = sources.class_node(owner.location.path, owner.location.line)
        if node is not None:
            nodes.append(node)
    meta = next((m for n in nodes if (m := _meta(n)) is not None), None)
    if meta is None or narrowed_in_init(project, sources, serializer):
        return
    found = models.class_named(meta.model)
    model = project.class_named(found) if found else None
    if model is None:
        return
    declared = _declared(nodes)
    names = meta.fields if meta.fields is not None else tuple(_relations(project, model))
    generated_scoped = _related_field_scoped(project, serializer)
    for name in names:
        if name in meta.read_only or _checked(project, sources, serializer, name):
            continue
        if generated_scoped and name not in declared:
            continue  # DRF builds it from serializer_related_field, which scopes by the user
        target = _target(project, models, model, name, declared.get(name))
        if target is None:
            continue
        stmt = declared.get(name)
        line = stmt.lineno if stmt is not None else serializer.location.line
        yield WritableRelation(name, target, line, serializer.location.path)


def _related_field_scoped(project: ProjectModel, serializer: ClassModel) -> bool:
    """``serializer_related_field`` (DRF's class for the relations it generates) checks the user.

    ``serializer_related_field = RestrictedRelatedField`` on a base serializer, whose
    ``to_internal_value()`` (or ``get_queryset()``) narrows the queryset with
    ``self.context["request"].user``: every id a generated relation accepts is one the caller
    may see.
    """
    hit = project.attribute(serializer, "serializer_related_field")
    if hit is None or not isinstance(hit[1], Ref):
        return False
    field = project.class_named(hit[1].name)
    if field is None:
        return False
    for name in ("to_internal_value", "get_queryset"):
        for qual in field.mro:  # an override that calls super() keeps its base's narrowing
            owner = project.class_named(qual)
            method = owner.methods.get(name) if owner is not None else None
            if method is None:
                continue
            if user_aware(project, owner, method):
                return True
            if "super" not in method.facts.calls:
                break
    return False


def _relations(project: ProjectModel, model: ClassModel) -> Iterator[str]:
    for qual in model.mro:
        owner = project.class_named(qual)
        for name, value in owner.attributes.items() if owner is not None else ():
            if (
                isinstance(value, Call)
                and isinstance(value.func, Ref)
                and value.func.short in _RELATIONS
            ):
                yield name


def _target(
    project: ProjectModel,
    models: ModelSources,
    model: ClassModel,
    name: str,
    stmt: ast.Assign | ast.AnnAssign | None,
) -> str | None:
    """The model whose ids the field accepts, when any id of it is accepted."""
    if stmt is not None:
        call = stmt.value
        if not isinstance(call, ast.Call) or _callee(call) not in _RELATED_FIELDS:
            return None  # a nested serializer, a method field, a plain value
        read_only = _keyword(call, "read_only")
        if isinstance(read_only, ast.Constant) and read_only.value is True:
            return None
        queryset = _keyword(call, "queryset")
        if queryset is None or mentions_user(queryset):
            return None
        base: ast.expr = queryset
        while isinstance(base, ast.Call | ast.Attribute):
            if isinstance(base, ast.Attribute) and base.attr == "objects":
                break
            base = base.func if isinstance(base, ast.Call) else base.value
        if not (isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name)):
            return None
        return models.class_named(base.value.id)
    for qual in model.mro:
        owner = project.class_named(qual)
        value = owner.attributes.get(name) if owner is not None else None
        if owner is not None and isinstance(value, Call) and isinstance(value.func, Ref):
            if value.func.short not in _RELATIONS:
                return None
            editable = value.kwarg("editable")
            if editable is not None and getattr(editable, "value", True) is False:
                return None
            if value.func.short == "ManyToManyField" and value.kwarg("through") is not None:
                return None  # DRF generates a read-only field for it (dejacode's ``licenses``)
            target = relation_target(project, owner, value)
            return target.qualname if target is not None else None
    return None


def _checked(
    project: ProjectModel, sources: SourceFunctions, serializer: ClassModel, name: str
) -> bool:
    """``validate_<name>()`` or a ``validate()`` naming the field, looking at the user."""
    hit = project.method(serializer, f"validate_{name}")
    if hit is not None and user_aware(project, serializer, hit[1]):
        return True
    for method in ("validate",):
        hit = project.method(serializer, method)
        if hit is None or not user_aware(project, serializer, hit[1]):
            continue
        node = sources.node(hit[1].location.path, hit[1].location.line)
        if node is None:
            continue
        if name in _strings_of(node):
            return True
    return False


def _strings_of(node: FunctionNode) -> frozenset[str]:
    """The string literals of ``node``, collected once (``_checked`` asks for every field)."""
    found: frozenset[str] | None = node.__dict__.get(_STRINGS)
    if found is None:
        found = frozenset(strings(node))
        setattr(node, _STRINGS, found)
    return found


_STRINGS = "_mtlsguard_strings"


def narrowed_in_init(project: ProjectModel, sources: SourceFunctions, cls: ClassModel) -> bool:
    """``__init__`` sets a field's queryset (``self.fields["track"].queryset = event.tracks``).

    Narrowed by the user or by the request's tenant: either way not every object's id.
    """
    hit = project.method(cls, "__init__")
    node = sources.node(hit[1].location.path, hit[1].location.line) if hit else None
    return node is not None and any(
        isinstance(n, ast.Assign)
        and any(isinstance(t, ast.Attribute) and t.attr == "queryset" for t in n.targets)
        for n in walking.walk(node)
    )
