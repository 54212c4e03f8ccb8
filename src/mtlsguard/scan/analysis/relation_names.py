"""Relation names that say who wrote, works on or endorses a record, not who owns it.

``creator``, ``*_by``, a role (``lead``, ``*_manager``, ``assigned_to``) or an endorsement
(``likes``, ``contributors``): :mod:`mtlsguard.scan.analysis.ownership` takes a record with
only such relations to users for shared data (moved here to keep that module short).
"""

from __future__ import annotations

__all__ = ["attribution", "authorship", "shared_relation"]

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


def authorship(name: str) -> bool:
    """Who wrote or handled a record (``creator``, ``*_by``): never an owner, whatever the use."""
    return name in _AUTHOR_NAMES or name.endswith("_by")
