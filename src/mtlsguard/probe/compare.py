"""Comparing responses: do two answers carry the same content.

Decisions are made on bodies, never on status codes alone: two responses carry "the same
content" when their JSON values are equal (or their bytes, for non-JSON bodies). Whose an
object is lives in :mod:`mtlsguard.probe.ownership`.
"""

from __future__ import annotations

from mtlsguard.probe.exchange import Exchange

__all__ = ["same_content"]


def same_content(a: Exchange, b: Exchange) -> bool:
    """Both are 2xx with data and carry equal bodies (JSON compared as values)."""
    if not (a.has_data and b.has_data):
        return False
    left, right = a.json(), b.json()
    if left is not None or right is not None:
        return left == right
    return a.body == b.body
