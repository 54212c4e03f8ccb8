"""Reads through a relation that hand out a user's private fields (``owner__email``).

An open route that only reads, but reads ``Task.objects.values("owner__email")``, hands an
anonymous caller a user's private data whatever the model it queries looks like: strong
evidence for MG101 (:mod:`.anonymous_reads`). The names a public page shows beside what someone
wrote (``author__username``, ``user__profile``) are not.
"""

from __future__ import annotations

from mtlsguard.scan.analysis.ownership import points_at_user, relation_target
from mtlsguard.scan.project_model import Call, ProjectModel

__all__ = ["reads_private_fields"]


def reads_private_fields(project: ProjectModel, models: list[str], path: str) -> bool:
    """``path`` (``owner__email``) reads a user's private fields through a relation.

    Not a public identity (``author__username``, ``user__profile``, ``creator__name``: the
    names a page shows beside what someone wrote). A longer path is followed through the read
    models' relations (``gift__recipient__email``: ``recipient`` points at the user model);
    where the scan cannot follow it, a part named for a user relation (``owner``, ``*_by``)
    counts.
    """
    parts = path.split("__")
    if parts[-1] in _PUBLIC_IDENTITY:
        return False
    followed = False
    for model in models:
        cls = project.class_named(model) if model != "?" else None
        for part in parts[:-1]:
            hit = project.attribute(cls, part) if cls is not None else None
            if hit is None or not isinstance(hit[1], Call):
                break
            followed = True
            if points_at_user(part, hit[1]):
                return True
            cls = relation_target(project, cls, hit[1]) if cls is not None else None
    if len(parts) > 2 and not followed:
        return any(part in _USER_RELATIONS or part.endswith("_by") for part in parts[:-1])
    return False


_PUBLIC_IDENTITY = frozenset(
    {
        "username",
        "first_name",
        "last_name",
        "name",
        "full_name",
        "display_name",
        "profile",
        "avatar",
        "slug",
        "id",
        "pk",
    }
)
"""What a public page shows of the user behind a record: a name, a profile link."""
_USER_RELATIONS = frozenset({"user", "owner", "author", "creator", "account", "member"})
