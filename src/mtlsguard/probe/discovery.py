"""Which URLs to probe: route templates from OpenAPI 3, ``mtlsguard routes`` JSON or a list.

A *template* is a path relative to the base URL with ``{name}`` parameters
(``/api/accounts/{pk}/``). Django patterns (``api/accounts/<int:pk>/``, ``re_path`` regexes
with named groups) become templates; patterns that cannot be (unnamed regex groups) are
skipped and counted. Parameters are filled (:func:`fill`) with IDs harvested from responses
(:mod:`mtlsguard.probe.ids`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from mtlsguard.findings.model import Location

if TYPE_CHECKING:
    from mtlsguard.findings.model import Route

__all__ = [
    "DiscoveryError",
    "Endpoint",
    "Inventory",
    "collection_of",
    "django_pattern_to_template",
    "endpoints_from_routes",
    "fill",
    "load_openapi",
    "load_path_list",
    "load_routes_json",
    "match_template",
    "parameters",
]

MAX_ENDPOINTS: Final = 5000
_PARAM: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.-]*)\}")
_DJANGO_CONVERTER: Final = re.compile(
    r"<(?:(?P<conv>[A-Za-z_][A-Za-z0-9_]*):)?(?P<name>[A-Za-z_]\w*)>"
)
_REGEX_GROUP: Final = re.compile(r"\(\?P<(?P<name>[A-Za-z_]\w*)>(?:[^()\\]|\\.|\([^()]*\))*\)")
_HTTP_METHODS: Final = ("get", "head", "options", "post", "put", "patch", "delete")


class DiscoveryError(Exception):
    """A discovery document cannot be read; the message names what is wrong."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One route template and what discovery knows about it."""

    template: str
    """Path relative to the base URL, ``/``-prefixed, with ``{name}`` parameters."""
    methods: tuple[str, ...] = ("GET",)
    """Methods it answers (upper-case)."""
    view: str | None = None
    """Dotted view path when known (``bank.views.AccountDetail``)."""
    location: Location | None = None
    """Where the view is defined, when the route file says (findings carry it)."""


@dataclass(frozen=True, slots=True)
class Inventory:
    """Endpoints found and what was skipped."""

    endpoints: tuple[Endpoint, ...]
    """Unique templates, in document order."""
    skipped: tuple[str, ...] = field(default=())
    """Entries that could not become a template, with the reason."""


def parameters(template: str) -> list[str]:
    """Parameter names of a template, in order."""
    return _PARAM.findall(template)


def _normalise(path: str) -> str:
    path = path.strip()
    return path if path.startswith("/") else "/" + path


def django_pattern_to_template(pattern: str) -> str | None:
    """``api/accounts/<int:pk>/`` or ``^api/(?P<pk>[0-9]+)/$`` → ``/api/accounts/{pk}/``.

    Returns ``None`` for a regex that cannot be turned into a path (unnamed groups,
    alternations, quantifiers left after the named groups are replaced).
    """
    text = pattern
    if text.startswith("^") or text.endswith("$") or "(?P<" in text:  # re_path()
        text = _REGEX_GROUP.sub(lambda m: "{" + m.group("name") + "}", text)
        text = text.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
        text = text.replace("\\/", "/").replace("\\.", ".").replace("\\-", "-")
        if re.search(r"[()\[\]|*+?^$\\]", text):
            return None
    else:  # path(): <int:pk>
        text = _DJANGO_CONVERTER.sub(lambda m: "{" + m.group("name") + "}", text)
    if any(c in text for c in "<>\r\n\t #"):
        return None
    return _normalise(text)


def _inventory(items: Iterable[Endpoint], skipped: list[str]) -> Inventory:
    seen: dict[str, Endpoint] = {}
    for endpoint in items:
        if endpoint.template not in seen:
            if len(seen) >= MAX_ENDPOINTS:
                skipped.append(f"more than {MAX_ENDPOINTS} routes: the rest are ignored")
                break
            seen[endpoint.template] = endpoint
    return Inventory(tuple(seen.values()), tuple(skipped))


def load_openapi(text: str) -> Inventory:
    """Endpoints of an OpenAPI 3 (or Swagger 2) document (JSON, or YAML with PyYAML).

    :raises DiscoveryError: when the document is not an OpenAPI 3 object with ``paths``.
    """
    document = _load_document(text)
    swagger = isinstance(document, dict) and str(document.get("swagger", "")).startswith("2")
    if not isinstance(document, dict) or not (
        swagger or str(document.get("openapi", "")).startswith("3")
    ):
        raise DiscoveryError("not an OpenAPI 3 document (no 'openapi: 3.x' field)")
    base = str(document.get("basePath") or "").rstrip("/") if swagger else ""
    paths = document.get("paths")
    if not isinstance(paths, dict):
        raise DiscoveryError("the OpenAPI document has no 'paths' object")
    skipped: list[str] = []
    items: list[Endpoint] = []
    for path, item in paths.items():
        if not isinstance(path, str) or not path.startswith("/") or not isinstance(item, dict):
            skipped.append(f"{str(path)[:80]!r}: not a path item")
            continue
        methods = tuple(m.upper() for m in _HTTP_METHODS if isinstance(item.get(m), dict))
        items.append(Endpoint(base + path, methods or ("GET",)))
    return _inventory(items, skipped)


def _load_document(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        raise DiscoveryError("not JSON (install PyYAML to read a YAML document)") from None
    try:
        return yaml.safe_load(text)
    except Exception as exc:  # PyYAML raises several unrelated types
        raise DiscoveryError(f"neither JSON nor YAML: {type(exc).__name__}") from None


def load_routes_json(text: str) -> Inventory:
    """Endpoints of ``mtlsguard routes --format json`` output.

    :raises DiscoveryError: when the document is not that schema.
    """
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise DiscoveryError(f"routes file is not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("schema") != "mtlsguard-routes":
        raise DiscoveryError("not the output of 'mtlsguard routes --format json'")
    routes = document.get("routes")
    if not isinstance(routes, list):
        raise DiscoveryError("the routes file has no 'routes' list")
    skipped: list[str] = []
    items: list[Endpoint] = []
    for route in routes:
        pattern = route.get("pattern") if isinstance(route, dict) else None
        if not isinstance(pattern, str):
            skipped.append("a route without a pattern")
            continue
        template = django_pattern_to_template(pattern)
        if template is None:
            skipped.append(f"{pattern[:80]!r}: a regex that is not a plain path")
            continue
        raw_methods = route.get("methods")
        methods = tuple(
            m.upper()
            for m in (raw_methods if isinstance(raw_methods, list) else [])
            if isinstance(m, str) and m.isalpha()
        )
        view = route.get("view")
        items.append(
            Endpoint(
                template,
                methods or ("GET",),
                view if isinstance(view, str) else None,
                _location(route.get("location")),
            )
        )
    return _inventory(items, skipped)


def _location(value: object) -> Location | None:
    """A route file's ``{"path": ..., "line": ...}``, or ``None`` when it is not one."""
    if not isinstance(value, dict):
        return None
    path, line = value.get("path"), value.get("line")
    if not isinstance(path, str) or not path or isinstance(line, bool) or not isinstance(line, int):
        return None
    return Location(path, max(1, line))


def endpoints_from_routes(routes: Iterable[Route]) -> list[Endpoint]:
    """The static route inventory (``ScanResult.routes``) as the probe's discovery."""
    endpoints = []
    for route in routes:
        template = django_pattern_to_template(route.pattern)
        if template is not None:
            endpoints.append(Endpoint(template, route.methods or ("GET",), route.view))
    return endpoints


def load_path_list(text: str) -> Inventory:
    """Endpoints of a plain list: one path per line (``{name}`` or Django ``<int:pk>``).

    Blank lines and ``#`` comments are ignored; an optional leading method
    (``GET /api/``) is kept.
    """
    skipped: list[str] = []
    items: list[Endpoint] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        method, _, rest = line.partition(" ")
        methods: tuple[str, ...] = ("GET",)
        if rest and method.isalpha() and method.isupper():
            methods, line = (method,), rest.strip()
        template = django_pattern_to_template(line)
        if template is None:
            skipped.append(f"line {number}: {line[:80]!r} is not a path")
            continue
        items.append(Endpoint(template, methods))
    return _inventory(items, skipped)


def collection_of(template: str) -> str | None:
    """The listing a detail template's last parameter comes from (``/a/{pk}/`` → ``/a/``)."""
    matches = list(_PARAM.finditer(template))
    if not matches:
        return None
    match = matches[-1]
    prefix = template[: match.start()]
    return prefix if prefix.endswith("/") and not _PARAM.search(prefix) else None


def fill(template: str, values: dict[str, str]) -> str | None:
    """The template with every parameter replaced, or ``None`` if one has no value."""
    missing = [p for p in parameters(template) if p not in values]
    if missing:
        return None
    return _PARAM.sub(lambda m: values[m.group(1)], template)


def match_template(path: str, templates: Iterable[str]) -> str | None:
    """The template a concrete path belongs to (``/api/accounts/2/`` → ``/api/accounts/{pk}/``).

    A parameter matches one non-empty path segment; the template with the most literal
    characters wins (``/a/new/`` over ``/a/{pk}/``). Query strings are ignored.
    """
    wanted = _normalise(path.split("?", 1)[0].split("#", 1)[0])
    best: tuple[int, str] | None = None
    for template in templates:
        pieces = _PARAM.split(template)
        # re.split with one group alternates literal text and parameter names
        literal = pieces[0::2]
        pattern = "[^/]+".join(re.escape(piece) for piece in literal)
        if re.fullmatch(pattern, wanted):
            weight = sum(len(piece) for piece in literal)
            if best is None or weight > best[0]:
                best = (weight, template)
    return best[1] if best else None
