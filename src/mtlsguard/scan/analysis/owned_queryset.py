"""A view queryset filtered to the objects the requesting user owns.

``Set.objects.filter(exerciseday__training__user=self.request.user)`` in ``get_queryset()``:
the lookup path follows forward foreign keys of the served model (``Set.exerciseday`` ->
``Day.training`` -> ``Workout``) and ends at the owning user foreign key of the last model
(``Workout.user``), compared with the requesting user. Every object the view fetches through
``get_object()`` then belongs to the caller, so what its model computes from it (a property
building its result from the object's own rows) is the caller's data too. A filter through a
many-to-many (``members=request.user``: objects shared with the user) is not ownership.
"""

from __future__ import annotations

import ast

from mtlsguard.scan import walking
from mtlsguard.scan.analysis.ownership import relation_target, user_owner_fields
from mtlsguard.scan.analysis.scoping import served_model
from mtlsguard.scan.analysis.sources import SourceFunctions
from mtlsguard.scan.facts.syntax import is_request_user
from mtlsguard.scan.project_model import Call, ClassModel, ProjectModel, Ref

__all__ = ["owner_filtered"]

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
