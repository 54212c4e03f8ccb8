"""A deliberate public API: ``AllowAny`` reads of a queryset computed per user.

pretalx's ``EventViewSet`` sets ``permission_classes = [AllowAny]`` and returns
``get_events_for_user(self.request.user)``, which gives anonymous callers the public events
only (``if user.is_anonymous: queryset = queryset.filter(is_public=True)``). What an anonymous
caller reads is the project's explicit choice, made in code that looks at the user: a public
API, not a forgotten permission. :func:`user_aware_queryset` says so only when that is provable:
``get_queryset()`` hands ``request.user`` to a project function that reads the user's state
(``is_anonymous``, ``is_authenticated``, ``has_perm``...), or reads it itself. An ``AllowAny``
viewset over ``Model.objects.all()`` has nothing of the kind and keeps its severity.
"""

from __future__ import annotations

from mtlsguard.findings.model import Protection
from mtlsguard.scan.knowledge import SAFE_METHODS, short_of
from mtlsguard.scan.project_model import ClassModel, ProjectModel

__all__ = ["public_api_note"]

_EXPLICIT = frozenset({"class", "decorator"})
"""Who decided an open method: the view itself (``permission_classes``, ``@action``), not
DRF's default."""


def user_aware_queryset(project: ProjectModel, cls: ClassModel) -> str:
    """What computes ``cls``'s queryset per user (``get_events_for_user(request.user)``)."""
    hit = project.method(cls, "get_queryset")
    if hit is None:
        return ""
    facts = hit[1].facts
    for name in facts.capabilities.user_calls:
        helper = project.function_named(name)
        if helper is not None and helper.facts.capabilities.reads_user_state:
            return f"{short_of(name)}(request.user)"
    if facts.mentions_user and facts.capabilities.reads_user_state:
        return f"{short_of(hit[1].qualname)}() on request.user"
    return ""


def public_api_note(
    project: ProjectModel, cls: ClassModel | None, open_methods: list[Protection]
) -> str:
    """Evidence note for reads opened by the view itself over a user-aware queryset, or ``""``."""
    if cls is None or not open_methods:
        return ""
    if any(p.method not in SAFE_METHODS or p.decided_by not in _EXPLICIT for p in open_methods):
        return ""
    source = user_aware_queryset(project, cls)
    if not source:
        return ""
    return (
        f"; its queryset is {source}, which decides per user what an anonymous caller reads: "
        "a deliberate public API, informational"
    )
