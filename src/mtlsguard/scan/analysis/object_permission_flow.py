"""DRF object permissions that really run: ``get_object()`` calls ``has_object_permission``.

A permission class that overrides only ``has_object_permission`` lets every request through
``has_permission`` (``BasePermission`` returns ``True``), but DRF's ``GenericAPIView.get_object()``
calls ``check_object_permissions()`` on the object it fetches, so on a route that serves one
object through that ``get_object()`` (``RetrieveAPIView``, a viewset's ``retrieve``/``update``/
``partial_update``/``destroy``) the object check decides who gets what. It never runs on a list,
nor in a ``get_object()`` override that fetches the object itself without calling
``check_object_permissions()`` (or ``super().get_object()``), nor in a handler the project
overrides without calling ``get_object()``. The class may be named on the view or come from
``DEFAULT_PERMISSION_CLASSES``.
"""

from __future__ import annotations

from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.analysis.scoping import user_aware
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import (
    Call,
    ClassModel,
    Expr,
    FunctionModel,
    ProjectModel,
    Ref,
    Seq,
)

__all__ = ["bypassed_object_permission", "deciding_object_permission"]

_DETAIL_ACTIONS = frozenset({"retrieve", "update", "partial_update", "destroy"})
_DETAIL_VIEWS = frozenset(
    {
        "RetrieveAPIView",
        "UpdateAPIView",
        "DestroyAPIView",
        "RetrieveUpdateAPIView",
        "RetrieveDestroyAPIView",
        "RetrieveUpdateDestroyAPIView",
    }
)
"""DRF's single-object generic views: each handler goes through ``get_object()``."""
_HANDLERS = {
    "GET": ("get", "retrieve"),
    "HEAD": ("get", "head", "retrieve"),
    "PUT": ("put", "update"),
    "PATCH": ("patch", "partial_update", "update"),
    "DELETE": ("delete", "destroy"),
}


def _calls_any(func: FunctionModel, names: tuple[str, ...]) -> bool:
    return any(short_of(c) in names for c in func.facts.calls) or any(
        short_of(c) in names for c in func.facts.super_calls
    )


def _serves_checked_objects(
    project: ProjectModel, analysis: RouteAnalysis, cls: ClassModel
) -> bool:
    """Every method of the route serves one object that DRF's ``get_object()`` checks."""
    actions = {a for _, a in analysis.method_actions}
    if actions:
        if not actions <= _DETAIL_ACTIONS:
            return False
    elif not any(short_of(entry) in _DETAIL_VIEWS for entry in cls.mro):
        return False
    found = project.method(cls, "get_object")
    if found is not None and not _calls_any(found[1], ("check_object_permissions", "get_object")):
        return False  # its own fetch: has_object_permission never runs
    handlers = {n for p in analysis.protections for n in _HANDLERS.get(p.method, ())} | actions
    for name in handlers:
        hit = project.method(cls, name)
        if hit is not None and not _calls_any(hit[1], ("get_object", name)):
            return False  # a handler of the project that never fetches through get_object()
    return True


def _object_checkers(project: ProjectModel, perms: Expr | None) -> list[str]:
    """Classes of the permission list whose ``has_object_permission`` looks at the user."""
    found: list[str] = []
    for item in perms.items if isinstance(perms, Seq) else ():
        base = item.func if isinstance(item, Call) else item
        perm_cls = project.class_named(base.name) if isinstance(base, Ref) else None
        hit = project.method(perm_cls, "has_object_permission") if perm_cls else None
        if perm_cls is not None and hit is not None and user_aware(project, hit[0], hit[1]):
            found.append(short_of(perm_cls.qualname))
    return found


def bypassed_object_permission(
    project: ProjectModel, analysis: RouteAnalysis, perms: Expr | None
) -> str:
    """Evidence note when a ``get_object()`` override skips the object check, or ``""``.

    ``def get_object(self): return get_object_or_404(Email, ...)`` never calls
    ``check_object_permissions()``: the permission class's ``has_object_permission`` is dead.
    """
    cls = analysis.klass
    if cls is None or analysis.framework != "drf":
        return ""
    found = project.method(cls, "get_object")
    if found is None or _calls_any(found[1], ("check_object_permissions", "get_object")):
        return ""
    checkers = _object_checkers(project, perms)
    if not checkers:
        return ""
    return (
        f"; {checkers[0]}.has_object_permission never runs: {short_of(found[0].qualname)}."
        "get_object() fetches the object itself and never calls self.check_object_permissions()"
    )


def deciding_object_permission(
    project: ProjectModel, analysis: RouteAnalysis, perms: Expr | None
) -> str:
    """The permission class whose user-aware object check decides this route, or ``""``.

    ``perms`` is the view's permission list (its own or ``DEFAULT_PERMISSION_CLASSES``); a list
    is an AND, so one such class in it checks every object served.
    """
    cls = analysis.klass
    if cls is None or analysis.framework != "drf" or not isinstance(perms, Seq):
        return ""
    if not _serves_checked_objects(project, analysis, cls):
        return ""
    checkers = _object_checkers(project, perms)
    return checkers[0] if checkers else ""
