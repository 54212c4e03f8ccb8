"""MG404 for writes (opt-in): A changes or deletes an object B created -- the probe's own.

Part of the BOLA phase; runs only with ``--allow-unsafe-methods`` (test environments). For
every listing route that accepts POST and whose detail route (``/x/`` → ``/x/{pk}/``) accepts
PATCH, PUT or DELETE,
``B`` creates an object with the smallest body a prior GET of the listing suggests (its first
object's plain fields, without ids and owner fields). Only that object -- one the probe
created -- is then written to as ``A``: a PATCH (or PUT) with the same body, then a DELETE.
A 2xx is A changing B's object (MG404, the methods that got through). Whatever happens, B
deletes the object afterwards. A route the probe cannot create an object for is reported as
"not probed (unsafe)".
"""

from __future__ import annotations

import json
from typing import Final

from mtlsguard.findings.model import Finding
from mtlsguard.probe.compare import OWNER_KEY
from mtlsguard.probe.config import Identity
from mtlsguard.probe.discovery import collection_of, fill, parameters
from mtlsguard.probe.exchange import Exchange
from mtlsguard.probe.ids import scalar_id
from mtlsguard.probe.redact import web_request, web_response
from mtlsguard.probe.rules import probe_finding
from mtlsguard.probe.rules.mg404_bola import RULE as MG404
from mtlsguard.probe.state import RunState

__all__ = ["minimal_body", "write_findings"]

_JSON: Final = {"Content-Type": "application/json", "Accept": "application/json"}
_WRITES: Final[tuple[str, ...]] = ("PATCH", "PUT", "DELETE")
_NOT_FIELDS: Final = frozenset({"id", "pk", "uuid", "url", "created", "updated", "modified"})


def minimal_body(listing: object) -> dict[str, object] | None:
    """The plain fields of the first object of a listing, without ids and owner fields."""
    items = listing.get("results") if isinstance(listing, dict) else listing
    first = items[0] if isinstance(items, list) and items else None
    if not isinstance(first, dict):
        return None
    body: dict[str, object] = {
        key: value
        for key, value in first.items()
        if isinstance(key, str)
        and isinstance(value, str | int | float | bool)
        and key.lower() not in _NOT_FIELDS
        and not key.lower().endswith(("_id", "_at"))
        and not OWNER_KEY.match(key)
    }
    return body or None


def _created_id(exchange: Exchange, parameter: str) -> str | None:
    data = exchange.json()
    if not exchange.ok or not isinstance(data, dict):
        return None
    for key in (parameter, "id", "pk", "uuid", "slug"):
        value = scalar_id(data.get(key))
        if value is not None:
            return value
    return None


def _writable(state: RunState) -> list[tuple[str, str, tuple[str, ...]]]:
    """``(listing, detail, write methods)`` of routes an object can be created for."""
    creatable = {e.template for e in state.endpoints if "POST" in e.methods}
    pairs: list[tuple[str, str, tuple[str, ...]]] = []
    for endpoint in state.endpoints:
        names = set(parameters(endpoint.template))
        writes = tuple(m for m in _WRITES if m in endpoint.methods)
        listing = collection_of(endpoint.template)
        if len(names) == 1 and writes and listing is not None and listing in creatable:
            pairs.append((listing, endpoint.template, writes))
    return pairs


async def _write_as_a(
    state: RunState, path: str, body: bytes, methods: tuple[str, ...]
) -> list[Exchange]:
    a = state.config.identity
    got = []
    for method in _WRITES:
        if method in methods and not (method == "PUT" and "PATCH" in methods):
            content = None if method == "DELETE" else body
            got.append(await state.client.send(a, method, path, _JSON, content))
    return got


def _finding(state: RunState, template: str, path: str, through: list[Exchange]) -> Finding:
    methods = tuple(e.method for e in through)
    first = through[0]
    return probe_finding(
        MG404,
        route=template,
        view=state.view_of(template),
        methods=methods,
        evidence=f"{' and '.join(methods)} {path} as A on an object B created (the probe's own): "
        + ", ".join(f"{e.method} {e.status}" for e in through),
        remediation="Scope the queryset of every method to request.user (get_queryset, "
        "OwnerScopedQuerysetMixin) and add an object permission, not only for GET.",
        web_request=web_request(first),
        web_response=web_response(first),
    )


async def write_findings(state: RunState) -> list[Finding]:
    """Create an object as B per writable route; try to change and delete it as A.

    Part of the BOLA phase (:mod:`.bola`), run only when unsafe methods are allowed.
    """
    b = state.config.peer
    if b is None or not state.config.allow_unsafe_methods:
        return []
    findings = []
    for listing, template, methods in _writable(state):
        observed = state.observed.get(listing, [])
        answers = [obs.b_full or obs.a_full for _, obs in observed]
        body = next((minimal_body(x.json()) for x in answers if minimal_body(x.json())), None)
        if body is None:
            state.skipped[template] = "not probed (unsafe: no body to create an object with)"
            continue
        content = json.dumps(body).encode()
        created = await state.client.send(b, "POST", listing, _JSON, content)
        state.record(created)
        object_id = _created_id(created, parameters(template)[0])
        path = fill(template, dict.fromkeys(parameters(template), object_id or ""))
        if object_id is None or path is None:
            state.skipped[template] = "not probed (unsafe: the probe could not create an object)"
            continue
        state.skipped.pop(template, None)
        state.written.add(template)
        written = await _write_as_a(state, path, content, methods)
        for exchange in written:
            state.record(exchange)
        through = [e for e in written if e.ok]
        if through:
            findings.append(_finding(state, template, path, through))
        await _clean_up(state, b, path, written)
    return findings


async def _clean_up(state: RunState, b: Identity, path: str, written: list[Exchange]) -> None:
    if not any(e.method == "DELETE" and e.ok for e in written):
        state.record(await state.client.send(b, "DELETE", path, _JSON))
