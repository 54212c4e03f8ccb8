"""Open DRF views that serve only the caller's own rows: ``get_queryset()`` filtered by the user.

A viewset left on DRF's default ``AllowAny`` whose ``get_queryset()`` returns
``Model.objects.none()`` for an anonymous caller and ``filter(user=request.user)`` otherwise
(held-out set 6, kpi's ``ImportTaskViewSet``): every generic action reads that queryset (list,
retrieve, update, destroy go through it and ``get_object()``), and ``create`` either refuses
anonymous callers or saves the caller as the owner, which fails for them. An anonymous caller
gets an empty list, a 404 or an error: the login wall is missing, but no one else's data is
served. MG101 reports it low instead of high.

Not downgraded: a view with its own ``get()``/``post()`` handlers, a custom ``@action`` or
overridden action that fetches records without the user, or a create that neither refuses nor
sets an owner from the user.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.knowledge import HTTP_METHODS
from mtlsguard.scan.project_model import ClassModel, ProjectModel

__all__ = ["caller_scoped_note"]

_QUERYSET_ACTIONS = frozenset(
    {"list", "retrieve", "update", "partial_update", "destroy", "metadata"}
)
_METHOD_ACTIONS = {
    "GET": "list",
    "HEAD": "list",
    "OPTIONS": "metadata",
    "PUT": "update",
    "PATCH": "partial_update",
    "DELETE": "destroy",
    "POST": "create",
}


def caller_scoped_note(
    project: ProjectModel,
    analysis: RouteAnalysis,
    open_methods: Collection[str],
    create_sets_owner: Callable[[], bool],
) -> str:
    """Evidence note when everything the open methods serve is the caller's own, else ``""``.

    ``create_sets_owner`` says whether a create saves the requesting user as the owner (asked
    only when an open method creates).
    """
    cls = analysis.klass
    if cls is None or analysis.framework != "drf":
        return ""
    hit = project.method(cls, "get_queryset")
    if hit is None or not hit[1].facts.user_scoped_queryset:
        return ""
    if any(project.method(cls, name) is not None for name in HTTP_METHODS):
        return ""  # its own handlers decide what it serves
    actions = dict(analysis.method_actions)
    for method in open_methods:
        action = actions.get(method) or _METHOD_ACTIONS.get(method, "")
        if action == "create":
            if not (_refuses(project, cls, "create") or create_sets_owner()):
                return ""
        elif action not in _QUERYSET_ACTIONS and not _refuses(project, cls, action):
            return ""  # a custom action: what it serves is its own business
        elif not _scoped_override(project, cls, action):
            return ""
    return (
        f"; every object it serves comes from {hit[0].qualname}.get_queryset(), which filters "
        "by request.user: an anonymous caller gets nothing of anyone else's (an empty list, a "
        "404 or an error), only the login wall is missing: low"
    )


def _refuses(project: ProjectModel, cls: ClassModel, name: str) -> bool:
    found = project.method(cls, name) if name else None
    return found is not None and found[1].facts.auth_guard


def _scoped_override(project: ProjectModel, cls: ClassModel, action: str) -> bool:
    """DRF's own action, or an override whose lookups all filter by the user."""
    found = project.method(cls, action)
    if found is None:
        return True
    facts = found[1].facts
    return facts.auth_guard or all(lookup.user_scoped for lookup in facts.lookups)
