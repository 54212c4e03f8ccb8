"""A view queryset filtered to the objects the requesting user owns.

``Set.objects.filter(exerciseday__training__user=self.request.user)`` in ``get_queryset()``:
the lookup path follows forward foreign keys of the served model (``Set.exerciseday`` ->
``Day.training`` -> ``Workout``) and ends at the owning user foreign key of the last model
(``Workout.user``), compared with the requesting user. Every object the view fetches through
``get_object()`` then belongs to the caller, so what its model computes from it (a property
building its result from the object's own rows) is the caller's data too. A filter through a
many-to-many (``members=request.user``: objects shared with the user) is not ownership.

A queryset filtered by a parent the view's own helper fetched by a URL key that a permission
class checked against the user (ma-cantine's ``canteen = self._get_canteen()``, then
``Purchase.objects.filter(canteen=canteen)``, behind ``IsCanteenManagerUrlParam``) holds that
parent's records only: :func:`filtered_by_checked_parent`.
"""

from __future__ import annotations

import ast

from mtlsguard.scan import walking
from mtlsguard.scan.analysis.ownership import relation_target, user_owner_fields
from mtlsguard.scan.analysis.scoping import served_model
from mtlsguard.scan.analysis.sources import SourceFunctions
from mtlsguard.scan.facts.syntax import is_request_user
from mtlsguard.scan.project_model import Call, ClassModel, ProjectModel, Ref

__all__ = ["filtered_by_checked_parent", "owner_filtered"]

_FORWARD = frozenset({"ForeignKey", "OneToOneField"})


def _owner_path(project: ProjectModel, model: str, path: list[str]) -> bool:
    """``path`` follows forward foreign keys from ``model`` to an owning user foreign key."""
    current = project.class_named(model)
    for segment in path[:-1]:
        if current is None:
            return False
        value = None
        for qual in current.mro:
            owner = project.class_named(qual)
            if owner is not None and segment in owner.attributes:
                value = owner.attributes[segment]
                break
        if not (isinstance(value, Call) and isinstance(value.func, Ref)):
            return False
        if value.func.short not in _FORWARD:
            return False
        current = relation_target(project, current, value)
    return current is not None and path[-1] in user_owner_fields(project, current.qualname)


def owner_filtered(project: ProjectModel, sources: SourceFunctions, cls: ClassModel) -> bool:
    """``cls.get_queryset()`` keeps only objects the requesting user owns."""
    model = served_model(project, cls)
    hit = project.method(cls, "get_queryset")
    if model is None or hit is None:
        return False
    node = sources.node(hit[1].location.path, hit[1].location.line)
    for sub in walking.walk(node) if node is not None else ():
        if not (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)):
            continue
        if sub.func.attr != "filter":
            continue
        for keyword in sub.keywords:
            owned = keyword.arg and is_request_user(keyword.value)
            if owned and _owner_path(project, model, str(keyword.arg).split("__")):
                return True
    return False


_MANAGER_QUERIES = frozenset({"filter", "get", "all", "exclude", "none"})


def filtered_by_checked_parent(
    project: ProjectModel,
    sources: SourceFunctions,
    cls: ClassModel,
    keys: set[str],
    method: str = "get_queryset",
) -> bool:
    """Every query of ``cls.<method>()`` is filtered by a checked parent.

    A parent is a local assigned from ``self.<helper>()`` whose every lookup is by URL keys in
    ``keys`` (checked against the user before the handler runs). Each ``Model.objects.<query>``
    (or ``get_object_or_404(...)``) of the body must be ``filter``/``get`` with a keyword whose
    value is such a parent (``get_object_or_404(Diagnostic, pk=pk, canteen=canteen)``).
    """
    hit = project.method(cls, method)
    node = sources.node(hit[1].location.path, hit[1].location.line) if hit else None
    if node is None or not keys:
        return False
    parents: set[str] = set()
    queries: list[ast.Call] = []
    for sub in walking.walk(node):
        if isinstance(sub, ast.Assign) and _checked_fetch(project, cls, sub.value, keys):
            parents.update(t.id for t in sub.targets if isinstance(t, ast.Name))
        elif isinstance(sub, ast.Call) and _query(sub.func):
            queries.append(sub)
    return bool(parents and queries) and all(
        _query(q.func) in ("filter", "get", "get_object_or_404")
        and any(isinstance(k.value, ast.Name) and k.value.id in parents for k in q.keywords)
        for q in queries
    )


def _query(func: ast.expr) -> str:
    """``filter`` for ``Model.objects.filter``, ``get_object_or_404`` for that shortcut."""
    if isinstance(func, ast.Name) and func.id == "get_object_or_404":
        return func.id
    if (
        isinstance(func, ast.Attribute)
        and func.attr in _MANAGER_QUERIES
        and isinstance(func.value, ast.Attribute)
        and func.value.attr in ("objects", "_default_manager")
    ):
        return func.attr
    return ""


def _checked_fetch(project: ProjectModel, cls: ClassModel, value: ast.expr, keys: set[str]) -> bool:
    """``self.<helper>()`` whose every lookup is by URL keys in ``keys`` (at least one)."""
    if not (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and isinstance(value.func.value, ast.Name)
        and value.func.value.id == "self"
    ):
        return False
    hit = project.method(cls, value.func.attr)
    lookups = hit[1].facts.lookups if hit is not None else ()
    return bool(lookups) and all(lk.url_kwargs and set(lk.url_kwargs) <= keys for lk in lookups)
