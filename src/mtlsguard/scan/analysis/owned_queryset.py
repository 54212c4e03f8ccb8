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
from mtlsguard.scan.facts.syntax import FunctionNode, is_request_user, reads_request_method
from mtlsguard.scan.project_model import Call, ClassModel, ProjectModel, Ref

__all__ = ["checks_fetched_object", "filtered_by_checked_parent", "owner_filtered"]

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
    """Every value ``cls.<method>()`` returns is filtered by a checked parent.

    A parent is a local assigned only from ``self.<helper>()`` whose every lookup is by URL keys
    in ``keys`` (checked against the user before the handler runs). Each returned value must be
    a query chain rooted at ``Model.objects.filter/get(...)`` or ``get_object_or_404(...)`` with
    a keyword whose value is such a parent, or a local assigned only such chains (``queryset =
    Purchase.objects.filter(canteen=canteen)``, then ``queryset = queryset.filter(...)``): not
    ``super().get_queryset()``, ``self.queryset`` or ``Model.objects.select_related(...)``.
    """
    hit = project.method(cls, method)
    node = sources.node(hit[1].location.path, hit[1].location.line) if hit else None
    if node is None or not keys:
        return False
    assigned: dict[str, list[ast.expr]] = {}
    returns: list[ast.expr | None] = []
    for sub in walking.walk(node):
        if isinstance(sub, ast.Assign):
            for target in sub.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(sub.value)
        elif isinstance(sub, ast.Return):
            returns.append(sub.value)
    parents = {
        name
        for name, values in assigned.items()
        if all(_checked_fetch(project, cls, value, keys) for value in values)
    }
    scoped = set(assigned) - parents
    changed = True
    while changed:  # a local is scoped when every value given to it is
        changed = False
        for name in list(scoped):
            if not all(_scoped_query(v, parents, scoped) for v in assigned[name]):
                scoped.discard(name)
                changed = True
    return bool(parents and returns) and all(
        value is not None and _scoped_query(value, parents, scoped) for value in returns
    )


def _scoped_query(expr: ast.expr, parents: set[str], scoped: set[str]) -> bool:
    """``expr`` is a query chain rooted at a parent-filtered query or a scoped local."""
    while True:
        if isinstance(expr, ast.Name):
            return expr.id in scoped
        if not isinstance(expr, ast.Call):
            return False
        kind = _query(expr.func)
        if kind:
            return kind in ("filter", "get", "get_object_or_404") and any(
                isinstance(k.value, ast.Name) and k.value.id in parents for k in expr.keywords
            )
        if not isinstance(expr.func, ast.Attribute):
            return False
        expr = expr.func.value  # .order_by(...), .filter(...) on the chain


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


def checks_fetched_object(node: FunctionNode) -> bool:
    """A permission hook that asks about the user and ``view.get_object()`` whatever the method.

    ``return request.user.has_perm(perm, view.get_object())`` (or the object kept in a local
    first), or ``view.get_object().owner == request.user``; not a hook that reads
    ``request.method`` (it answers some methods without the object).
    """
    if reads_request_method(node):
        return False
    objects: set[str] = set()
    for sub in walking.walk(node):
        if isinstance(sub, ast.Assign) and _fetches_object(sub.value):
            objects.update(t.id for t in sub.targets if isinstance(t, ast.Name))

    def is_object(expr: ast.expr) -> bool:
        return _fetches_object(expr) or (isinstance(expr, ast.Name) and expr.id in objects)

    for sub in walking.walk(node):
        if (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and is_request_user(sub.func.value)
            and any(is_object(a) for a in [*sub.args, *(k.value for k in sub.keywords)])
        ):
            return True  # request.user.has_perm(perm, casecomment)
        if isinstance(sub, ast.Compare) and len(sub.comparators) == 1:
            sides = (sub.left, sub.comparators[0])
            if any(is_request_user(x) for x in sides) and any(
                isinstance(x, ast.Attribute) and is_object(x.value) for x in sides
            ):
                return True  # view.get_object().owner == request.user
    return False


def _fetches_object(expr: ast.expr) -> bool:
    return (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "get_object"
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
