"""Discovery from a bare URL: what routes an application has, found by asking it politely.

Given only a base URL, :func:`discover` looks (as ``A``, GET only, within
:data:`DISCOVERY_BUDGET` requests) for an OpenAPI or Swagger document at the usual places
(:data:`SCHEMA_PATHS`), reads ``robots.txt`` and the sitemap, tries a short list of common
Django/DRF paths (:data:`COMMON_PATHS`), and follows same-host links in HTML and JSON answers
(DRF's browsable API root lists its endpoints as URLs) breadth first; a JSON listing's first
object's ``id`` is tried as its detail route (``/api/accounts/`` → ``/api/accounts/1/``).
Concrete paths become templates (:func:`template_of`: ``/api/invoices/7/`` →
``/api/invoices/{pk}/``, ``/profile/?id=3`` → ``/profile/?id={id}``); a route is kept when it
answered anything but 404.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Final
from urllib.parse import parse_qsl, urljoin, urlsplit

from mtlsguard.probe.client import ProbeClient, same_origin
from mtlsguard.probe.config import Identity
from mtlsguard.probe.discovery import DiscoveryError, Endpoint, load_openapi
from mtlsguard.probe.exchange import Exchange
from mtlsguard.probe.ids import singular

__all__ = [
    "COMMON_PATHS",
    "DISCOVERY_BUDGET",
    "SCHEMA_PATHS",
    "Discovered",
    "discover",
    "links_in",
    "relative_path",
    "template_of",
]

DISCOVERY_BUDGET: Final = 80
"""Requests discovery sends at most."""
SCHEMA_PATHS: Final = (
    "/api/schema/?format=json",
    "/api/schema/",
    "/openapi.json",
    "/swagger.json",
    "/api/openapi.json",
    "/api/docs/?format=openapi",
    "/swagger/?format=openapi",
    "/schema/",
)
"""Where Django projects serve their OpenAPI document (drf-spectacular, drf-yasg, DRF)."""
COMMON_PATHS: Final = (
    "/",
    "/robots.txt",
    "/sitemap.xml",
    "/api/",
    "/api/v1/",
    "/api/me/",
    "/api/user/",
    "/api/users/me/",
    "/me/",
    "/profile/",
    "/accounts/profile/",
    "/health/",
    "/api/health/",
    "/api/users/",
    "/api/accounts/",
    "/api/customers/",
    "/api/orders/",
    "/api/invoices/",
    "/api/payments/",
    "/billing/",
)
"""Paths worth one request each on a Django/DRF application."""
_MAX_DEPTH: Final = 3
_KEY: Final = re.compile(r"\d+|[A-Za-z]{1,12}[-_]\d[\w-]*")
_UNUSABLE: Final = re.compile(r"[{}\s\x00-\x1f\x7f]")
_STATIC: Final = re.compile(r"\.(css|js|png|jpe?g|gif|svg|ico|woff2?|ttf|map|pdf|zip)$", re.I)


@dataclass(slots=True)
class Discovered:
    """What discovery found and what it cost."""

    endpoints: list[Endpoint] = field(default_factory=list)
    """Route templates, in the order found."""
    requests: int = 0
    """Requests discovery sent."""
    schema: str | None = None
    """Path of the OpenAPI document it read, if any."""


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"href", "action", "src"} and value:
                self.links.append(value)


def links_in(exchange: Exchange, limit: int = 500) -> list[str]:
    """Link targets in an answer: HTML attributes, JSON URL strings, robots and sitemap lines."""
    body = exchange.body[: 1 << 20].decode("utf-8", "replace")
    kind = (exchange.header("Content-Type") or "").lower()
    found: list[str] = []
    data = exchange.json()
    if data is not None:
        stack: list[object] = [data]
        budget = 20_000
        while stack and budget > 0 and len(found) < limit:
            budget -= 1
            node = stack.pop()
            if isinstance(node, str) and node.startswith(("/", "http://", "https://")):
                found.append(node)
            elif isinstance(node, dict):
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
    elif "html" in kind or body.lstrip().startswith("<"):
        parser = _Links()
        with contextlib.suppress(AssertionError, ValueError):  # a broken page: what parsed
            parser.feed(body)
        found = parser.links + re.findall(r"<loc>\s*([^<\s]+)\s*</loc>", body)
    else:
        for line in body.splitlines():
            name, _, value = line.partition(":")
            if name.strip().lower() in {"allow", "disallow", "sitemap"} and value.strip():
                found.append(value.strip().replace("*", "").split("$")[0])
    return found[:limit]


def _is_key(segment: str) -> bool:
    if _KEY.fullmatch(segment):
        return True
    try:
        uuid.UUID(segment)
    except ValueError:
        return False
    return len(segment) >= 32


def template_of(path: str) -> str:
    """A concrete path as a template: id-like segments and query values become parameters.

    The last path parameter is ``{pk}`` (``{uuid}``, ``{key}`` by shape), earlier ones are
    named after the segment before them (``/accounts/5/invoices/`` →
    ``/accounts/{account_pk}/invoices/``); query values keep their names (``?id={id}``).
    """
    split = urlsplit(path)
    segments = split.path.split("/")
    keys = [i for i, s in enumerate(segments) if s and _is_key(s)]
    for i in keys:
        shape = "pk" if segments[i].isdigit() else "key"
        if len(segments[i]) >= 32 and not _KEY.fullmatch(segments[i]):
            shape = "uuid"
        if i != keys[-1]:
            shape = f"{singular(segments[i - 1]) if i else 'parent'}_{shape}"
        segments[i] = "{" + re.sub(r"\W", "_", shape) + "}"
    text = "/".join(segments) or "/"
    query = [(k, v) for k, v in parse_qsl(split.query, keep_blank_values=True) if k]
    if query:
        parts = [
            f"{k}={{{k}}}" if _is_key(v) and re.fullmatch(r"\w+", k) else f"{k}={v}"
            for k, v in query
        ]
        text += "?" + "&".join(parts)
    return text


async def _get(client: ProbeClient, who: Identity, path: str, found: Discovered) -> Exchange:
    found.requests += 1
    return await client.send(who, "GET", path, {"Accept": "application/json, text/html;q=0.9"})


def relative_path(link: str, page: str, base: str) -> str | None:
    """``link`` on ``page`` as a path relative to ``base``, or ``None`` when it leaves it.

    Links with braces, whitespace or control characters, and unparsable ones, are ``None``.
    """
    if _UNUSABLE.search(link.strip()):
        return None
    try:
        target = urljoin(urljoin(base, page.lstrip("/")), link.strip())
        if not same_origin(target, base):
            return None
        split = urlsplit(target)
    except ValueError:  # a malformed host or port in a hostile link
        return None
    prefix = urlsplit(base).path
    if not split.path.startswith(prefix) or _STATIC.search(split.path):
        return None
    path = "/" + split.path[len(prefix) :]
    return path + (f"?{split.query}" if split.query else "")


async def _schema(client: ProbeClient, who: Identity, found: Discovered) -> None:
    for path in SCHEMA_PATHS:
        got = await _get(client, who, path, found)
        if not got.ok or not got.body:
            continue
        try:
            inventory = load_openapi(got.body.decode("utf-8", "replace"))
        except DiscoveryError:
            continue
        found.schema = path
        found.endpoints.extend(inventory.endpoints)
        return


async def discover(
    client: ProbeClient, who: Identity, *, budget: int = DISCOVERY_BUDGET
) -> Discovered:
    """Routes of the application at the client's base URL, found as ``who`` (GET only)."""
    found = Discovered()
    first = await _get(client, who, "/", found)
    if first.status is None and first.failure_kind in {"tls", "connection", "timeout"}:
        found.endpoints.append(Endpoint("/"))  # the run reports the failure
        return found
    await _schema(client, who, found)
    known = {e.template for e in found.endpoints}
    queue: deque[tuple[str, int]] = deque((p, 0) for p in COMMON_PATHS)
    queued = set(COMMON_PATHS)
    per_template: dict[str, int] = {}
    while queue and found.requests < budget:
        path, depth = queue.popleft()
        template = template_of(path)
        if per_template.get(template, 0) >= 2:  # two examples of a route are enough
            continue
        per_template[template] = per_template.get(template, 0) + 1
        got = await _get(client, who, path, found)
        if got.status is None or got.status == 404 or got.failure_kind in {"budget", "deadline"}:
            continue
        if template not in known and path not in {"/robots.txt", "/sitemap.xml"}:
            known.add(template)
            found.endpoints.append(Endpoint(template))
        if depth >= _MAX_DEPTH or not got.ok:
            continue
        for link in [*_follow(links_in(got), path, client.base_url), *_detail_guess(got, path)]:
            if link not in queued:
                queued.add(link)
                queue.append((link, depth + 1))
    return found


def _detail_guess(listing: Exchange, path: str) -> list[str]:
    """``/api/accounts/`` listing objects with an ``id`` → ``/api/accounts/<id>/`` (DRF routers)."""
    data = listing.json()
    items = data.get("results") if isinstance(data, dict) else data
    if "?" in path or not path.endswith("/") or not isinstance(items, list) or not items:
        return []
    first = items[0]
    if not isinstance(first, dict):
        return []
    for key in ("id", "pk", "slug", "uuid"):
        value = first.get(key)
        if isinstance(value, int | str) and not isinstance(value, bool) and _is_key(str(value)):
            return [f"{path}{value}/"]
    return []


def _follow(links: Iterable[str], page: str, base: str) -> list[str]:
    out = []
    for link in links:
        if link.startswith(("mailto:", "javascript:", "#")):
            continue
        path = relative_path(link.split("#", 1)[0], page, base)
        if path is not None and "logout" not in path.lower():
            out.append(path)
    return out
