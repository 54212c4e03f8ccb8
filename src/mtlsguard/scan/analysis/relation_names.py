"""What a user relation's name says: ownership, authorship, a role or an endorsement.

A foreign key or many-to-many to the user model does not always mean "this user owns the
record". ``creator``/``*_by`` say who wrote or handled it; ``lead``, ``product_manager``,
``assigned_to`` say who works on shared data; ``usage``, ``likes``, ``followers``,
``contributors`` list who uses, likes or wrote a public record; ``updated_by`` & co are audit
columns. :mod:`mtlsguard.scan.analysis.ownership` reads the names through these predicates.
"""

from __future__ import annotations

__all__ = ["AUDIT_FIELDS", "attribution", "shared_relation"]

AUDIT_FIELDS = frozenset(
    {
        "updated_by",
        "modified_by",
        "deleted_by",
        "last_modified_by",
        "last_updated_by",
        "edited_by",
        "last_edited_by",
    }
)
"""Edit attributions: the last user to touch a record, not its owner."""


_AUTHOR_NAMES = frozenset({"creator", "author", "submitter", "poster", "uploader"})
_ROLE_NAMES = frozenset(
    {
        "assignee",
        "assigned_to",
        "lead",
        "manager",
        "reviewer",
        "approver",
        "responsible",
    }
)
"""Who works on a record (DefectDojo's ``lead``/``product_manager``, ``assigned_to``): a
colleague's role on shared data, not who may read it."""
_ROLE_SUFFIXES = tuple(sorted(f"_{name}" for name in _ROLE_NAMES))


_ENDORSEMENTS = frozenset(
    {
        "usage",
        "likes",
        "liked_by",
        "voters",
        "votes",
        "followers",
        "subscribers",
        "watchers",
        "fans",
        "stars",
        "starred_by",
        "favorites",
        "favourites",
        "favorited_by",
        "bookmarked_by",
        "contributors",
        "authors",
    }
)
"""Many-to-many relations listing users who use, like, follow or wrote a public record
(Django Packages' ``Package.usage``, Kitsune's ``Document.contributors``): no membership."""


def attribution(name: str) -> bool:
    """A relation that says who wrote, handles or works on a record.

    ``creator``, ``reviewed_by``, ``assigned_to``, ``lead``, ``product_manager``.
    """
    return (
        name in _AUTHOR_NAMES
        or name in _ENDORSEMENTS
        or name.endswith("_by")
        or name in _ROLE_NAMES
        or name.endswith(_ROLE_SUFFIXES)
    )


def shared_relation(name: str) -> bool:
    """A user's role on, or use of, a shared record (``lead``, ``assigned_to``, ``usage``)."""
    return name in _ROLE_NAMES or name in _ENDORSEMENTS or name.endswith(_ROLE_SUFFIXES)
