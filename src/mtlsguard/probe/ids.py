"""Which object IDs the run has seen, and which to try on a detail route.

IDs come from the JSON answers of collection routes (listings, ``/api/accounts/``), per
identity: :func:`harvest_ids` reads the values of ID-like keys, :class:`HarvestedIds` keeps
them per listing and identity, and :func:`candidate_ids` adds the integer neighbours of what
was seen (``3`` → ``2``, ``4``), for detail routes such as ``/api/accounts/{pk}/``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from mtlsguard.probe.discovery import collection_of
from mtlsguard.probe.exchange import Exchange

__all__ = ["HarvestedIds", "candidate_ids", "harvest_ids"]

_ID_KEYS: Final = re.compile(r"^(id|pk|uuid|slug|.*_id|.*Id)$")


def _is_id(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 <= value < 1 << 63
    if isinstance(value, str) and 0 < len(value) <= 64:
        if value.isdigit():
            return True
        try:
            uuid.UUID(value)
        except ValueError:
            return bool(re.fullmatch(r"[A-Za-z0-9_-]+", value))
        return True
    return False


def harvest_ids(data: object, *, limit: int = 200) -> list[str]:
    """IDs seen in a JSON value: values of ``id``/``pk``/``uuid``/``slug``/``*_id`` keys.

    Walks at most a few thousand nodes, keeps the first ``limit`` distinct IDs in order.
    """
    found: dict[str, None] = {}
    budget = 10_000
    stack: list[object] = [data]
    while stack and budget > 0 and len(found) < limit:
        budget -= 1
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and _ID_KEYS.match(key) and _is_id(value):
                    found.setdefault(str(value), None)
            stack.extend(reversed([v for v in node.values() if isinstance(v, dict | list)]))
        elif isinstance(node, list):
            stack.extend(reversed([v for v in node if isinstance(v, dict | list)]))
    return list(found)[:limit]


def candidate_ids(seen: Iterable[str], *, neighbours: int = 1) -> list[str]:
    """The seen IDs followed by integer neighbours not seen (``3`` → ``2``, ``4``)."""
    ordered = list(dict.fromkeys(seen))
    numbers = sorted({int(i) for i in ordered if i.isdigit() and len(i) < 19})
    extra: list[str] = []
    for n in numbers:
        for delta in range(1, neighbours + 1):
            for candidate in (n - delta, n + delta):
                text = str(candidate)
                if candidate > 0 and text not in ordered and text not in extra:
                    extra.append(text)
    return ordered + extra


@dataclass(slots=True)
class HarvestedIds:
    """The IDs in each identity's answer to each collection route, in the order seen."""

    a: dict[str, list[str]] = field(default_factory=dict)
    """Collection template → IDs in A's answer (an entry for every listing observed)."""
    b: dict[str, list[str]] = field(default_factory=dict)
    """Collection template → IDs in B's answer (entries only when the run has B)."""

    def add_listing(self, template: str, a_answer: Exchange, b_answer: Exchange | None) -> None:
        """Harvest the answers of A and (when the run has one) B to collection ``template``."""
        self.a[template] = harvest_ids(a_answer.json())
        if b_answer is not None:
            self.b[template] = harvest_ids(b_answer.json())

    def seen_for(self, template: str) -> list[str]:
        """IDs to fill detail ``template`` with: B's first, then A's.

        Each from the listing the template's last parameter comes from (``/a/{pk}/`` →
        ``/a/``), or from every listing when that one was not observed or showed no ID.
        """
        parent = collection_of(template) or ""
        theirs = self.b.get(parent, []) or _every(self.b)
        mine = self.a.get(parent, []) or _every(self.a)
        return [*theirs, *mine]

    def listings(self, template: str) -> tuple[list[str], list[str]]:
        """B's and A's IDs that tell whose an object of detail ``template`` is.

        From the template's own listing when it was observed (even when it showed no ID,
        unlike :meth:`seen_for`: an ID from another listing says nothing about this one's
        owner), else from every listing.
        """
        parent = collection_of(template) or ""
        return self.b.get(parent, _every(self.b)), self.a.get(parent, _every(self.a))


def _every(listings: dict[str, list[str]]) -> list[str]:
    return [i for ids in listings.values() for i in ids]
