"""Comparing responses: do two answers carry the same content, and is an answer anyone's.

Decisions are made on bodies, never on status codes alone: two responses carry "the same
content" when their JSON values are equal (or their bytes, for non-JSON bodies) once the
fields that only echo the caller (``"client": "alice"`` for alice where bob gets ``"bob"``)
are set aside. An answer carries *owned data* (:func:`owned_data`) when it names an
identity or has owner-like fields (``owner``, ``user``, ``created_by`` ...); the same answer
for every caller without any (a health check, a price list, the OpenAPI document) is public
information, not a certificate-only exposure. Whose an object is lives in
:mod:`mtlsguard.probe.ownership`.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Final

from mtlsguard.probe.exchange import Exchange

__all__ = ["CALLER", "OWNER_KEY", "masked", "owned_data", "same_content"]

CALLER: Final = "\x00caller"
"""What an echo of the caller is replaced with before comparing."""
OWNER_KEY: Final = re.compile(
    r"^(owner|user|username|email|created_by|author|customer|tenant|holder|account_holder|"
    r"(owner|user|customer|tenant|creator|author)_?(id|pk|name|email))$",
    re.IGNORECASE,
)
"""Keys whose value says whose an object is."""
_BUDGET: Final = 20_000


def masked(data: object, markers: Collection[str]) -> object:
    """``data`` with every value equal to one of ``markers`` replaced by :data:`CALLER`.

    Case-insensitive; a bounded walk.
    """
    if not markers:
        return data
    budget = [_BUDGET]

    def walk(node: object) -> object:
        budget[0] -= 1
        if budget[0] < 0:
            return node
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        scalar = isinstance(node, str | int) and not isinstance(node, bool)
        if scalar and str(node).strip().lower() in markers:
            return CALLER
        return node

    return walk(data)


def same_content(
    a: Exchange,
    b: Exchange,
    *,
    a_markers: Collection[str] = (),
    b_markers: Collection[str] = (),
) -> bool:
    """Both are 2xx with data and carry equal bodies (JSON compared as values).

    ``a_markers``/``b_markers``: what names each caller; their echoes are masked first.
    """
    if not (a.has_data and b.has_data):
        return False
    left, right = a.json(), b.json()
    if left is not None or right is not None:
        return left == right or _echo_equal(left, right, a_markers, b_markers, [_BUDGET])
    if a.body == b.body:
        return True
    if not (a_markers or b_markers):
        return False
    return _echo_equal_text(a.body, b.body, a_markers, b_markers)


def _echo_equal(
    left: object,
    right: object,
    a_markers: Collection[str],
    b_markers: Collection[str],
    budget: list[int],
) -> bool:
    """Equal, where a value naming A on the left may face one naming B on the right."""
    budget[0] -= 1
    if budget[0] < 0:
        return left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(
            _echo_equal(left[k], right[k], a_markers, b_markers, budget) for k in left
        )
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            _echo_equal(x, y, a_markers, b_markers, budget)
            for x, y in zip(left, right, strict=True)
        )
    if left == right:
        return True
    return (
        isinstance(left, str)
        and isinstance(right, str)
        and left.strip().lower() in a_markers
        and right.strip().lower() in b_markers
    )


def _echo_equal_text(left: bytes, right: bytes, a: Collection[str], b: Collection[str]) -> bool:
    """Token by token equal, where a token naming A on the left may face one naming B."""
    split = re.compile(r"([\s<>\"'=,;:()]+)")
    lt = split.split(left.decode("utf-8", "replace"))
    rt = split.split(right.decode("utf-8", "replace"))
    if len(lt) != len(rt) or len(lt) > _BUDGET:
        return False
    return all(
        x == y or (x.strip().lower() in a and y.strip().lower() in b)
        for x, y in zip(lt, rt, strict=True)
    )


def owned_data(
    exchange: Exchange, markers: Collection[str], *, caller: Collection[str] = ()
) -> bool:
    """The answer holds someone's records, as far as its body shows.

    It names one of ``markers``, has owner-like fields, or lists records (objects with an
    ``id``/``pk``/``uuid``, or a list of integer ids) -- unless the path is a public one
    (health, version, pricing, the API schema) and nothing names an owner. ``caller``: what
    names the caller; its echoes are masked first (``"client": "alice"`` alone is not
    alice's data). An OpenAPI or Swagger document is never owned data.
    """
    data = masked(exchange.json(), caller)
    if data is None:
        text = exchange.body.decode("utf-8", "replace").lower()
        for echo in sorted(caller, key=len, reverse=True):
            text = text.replace(echo, " ") if len(echo) >= 3 else text
        return any(len(m) >= 3 and m in text for m in markers)
    if isinstance(data, dict) and ("openapi" in data or "swagger" in data):
        return False
    public = bool(_PUBLIC_PATH.search(exchange.url.split("?", 1)[0]))
    records = False
    stack: list[object] = [data]
    budget = _BUDGET
    while stack and budget > 0:
        budget -= 1
        node = stack.pop()
        if isinstance(node, dict):
            if any(isinstance(k, str) and OWNER_KEY.match(k) for k in node):
                return True
            records = records or any(k in _RECORD_KEYS for k in node)
            stack.extend(node.values())
        elif isinstance(node, list):
            ints = [v for v in node if isinstance(v, int) and not isinstance(v, bool)]
            records = records or (bool(ints) and len(ints) == len(node))
            stack.extend(node)
        elif isinstance(node, str) and node.strip().lower() in markers:
            return True
    return records and not public


_RECORD_KEYS: Final = frozenset({"id", "pk", "uuid"})
_PUBLIC_PATH: Final = re.compile(
    r"/(health|healthz|healthcheck|status|ping|version|pricing|prices|plans|schema|openapi"
    r"|swagger|docs|ready|live)(\.json)?/?$",
    re.IGNORECASE,
)
