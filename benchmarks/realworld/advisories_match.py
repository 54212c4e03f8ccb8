"""Does a scan report point at an advisory's vulnerable view?

The rule, applied to every finding of a report (``mtlsguard scan --format json``):

* **By location.** Each vulnerable view of an advisory is a file (relative to the repository
  root) and a name: ``Name`` (a top-level class or function), ``Class.method``, or, in a
  settings module, a setting's name (its top-level assignments and the top-level ``if NAME:``
  blocks that test it). The name is looked up in *that* tree's copy of the file with
  :mod:`ast`; a definition's span runs from its first decorator to its last line. A finding
  matches when its location's file (relative to the scanned root, which may be a sub-directory
  of the repository such as ``src/``) is the view's file and its line lies inside the span.
* **By view.** A finding whose ``view`` is the dotted path of the view (module from the file
  path under the scanned root, then the name), or a dotted path under it, matches too: the
  report may locate a finding on a base class or a URLconf while naming the view it is about.
* **By handler.** For a ``Class.method`` view, an item naming the class as its view that is
  about that handler: for an HTTP method handler (``get``, ``post``, ...) or a DRF viewset
  action (``list``, ``retrieve``, ``create``, ``update``, ``partial_update``, ``destroy``) an
  item whose ``methods`` include the method it serves; otherwise an item whose route has a
  path segment equal to the method name (DRF's default ``@action`` URL, ``_`` or ``-``); for a
  helper the view's entry names the HTTP ``methods`` that run it (``"methods": ["GET"]`` for a
  context helper of a detail page). The inventory and class-level findings are located on the
  class line, not the handler's.
* **By route.** A view given as ``route`` (the URL pattern as the project's urls.py writes it,
  for a third-party callable such as ``django.views.static.serve``) matches a finding whose
  route is that pattern or ends in ``/`` + that pattern.

A matching finding is *consistent* with the advisory when its rule is of the advisory's kind of
bug (``consistent``): an authentication rule (MG101, MG102) for ``missing-authn``, an
authentication or certificate-handling rule (MG102, MG3xx) for ``header-trust``, and an
authorization rule -- any MG1xx other than MG101, MG102 and MG106 (unauthenticated, mTLS-only,
login throttling) -- for the authorization classes (IDOR, unscoped lists, weak permissions,
privilege escalation). An MG101 "no authentication" finding on a view that *is* authenticated
and whose bug is a missing object permission lands on the right view for a wrong reason, and
it stays after the fix; the benchmark counts it, but apart.

Findings of severity ``info`` do not count: the scanner uses them for remarks, not for
problems. The same rule tells whether the scanner's route inventory contains the view (a route
whose location or view matches, or whose pattern matches a ``route`` view).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

Json = Mapping[str, Any]
COUNTED_SEVERITIES = frozenset({"critical", "high", "medium", "low"})


@dataclass(frozen=True)
class ViewSpan:
    """Where one vulnerable view is in one tree."""

    file: str
    """Path relative to the repository root."""
    name: str
    """``Name``, ``Class.method``, a setting's name, or empty for a route-only view."""
    route: str
    """URL pattern for a route-only view, else empty."""
    ranges: tuple[tuple[int, int], ...]
    """First and last line of each statement that makes up the view."""
    found: bool
    """False when the file or the name is not in this tree (removed by the fix, or a typo)."""
    methods: frozenset[str] = frozenset()
    """HTTP methods that run a ``Class.helper`` view (from the advisory's entry)."""


def _definition(body: Sequence[ast.stmt], name: str) -> ast.AST | None:
    for node in body:
        if (
            isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name == name
        ):
            return node
    return None


def _span(node: ast.AST) -> tuple[int, int]:
    decorators = getattr(node, "decorator_list", [])
    first = min([d.lineno for d in decorators] + [node.lineno])  # type: ignore[attr-defined]
    return first, node.end_lineno or node.lineno  # type: ignore[attr-defined]


def _setting(body: Sequence[ast.stmt], name: str) -> list[tuple[int, int]]:
    """Top-level assignments to ``name`` and top-level ``if`` blocks whose test reads it."""
    ranges = []
    for node in body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        hit = any(isinstance(t, ast.Name) and t.id == name for t in targets)
        if isinstance(node, ast.If):
            hit = any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node.test))
        if hit:
            ranges.append((node.lineno, node.end_lineno or node.lineno))
    return ranges


def locate(tree: Path, view: Json) -> ViewSpan:
    """The span of ``view`` (an entry of an advisory's ``views``) in ``tree``."""
    file = str(view["file"])
    name = str(view.get("name", ""))
    route = str(view.get("route", ""))
    methods = frozenset(str(m).upper() for m in view.get("methods", ()))
    path = tree / file
    missing = ViewSpan(file, name, route, (), found=False, methods=methods)
    if not name:
        return ViewSpan(file, name, route, (), found=path.is_file(), methods=methods)
    if not path.is_file():
        return missing
    try:
        module = ast.parse(path.read_bytes())
    except SyntaxError:
        return missing
    body: Sequence[ast.stmt] = module.body
    node: ast.AST | None = None
    for part in name.split("."):
        node = _definition(body, part)
        if node is None:
            settings = _setting(module.body, name)
            if not settings:
                return missing
            return ViewSpan(file, name, route, tuple(settings), found=True, methods=methods)
        body = getattr(node, "body", [])
    assert node is not None
    return ViewSpan(file, name, route, (_span(node),), found=True, methods=methods)


def _repo_path(location: Json | None, scan_root: str) -> str:
    if not location:
        return ""
    path = str(location.get("path", ""))
    return str(PurePosixPath(scan_root) / path) if scan_root not in ("", ".") else path


def _dotted(span: ViewSpan, scan_root: str) -> str:
    pure = PurePosixPath(span.file)
    if scan_root not in ("", "."):
        try:
            pure = pure.relative_to(scan_root)
        except ValueError:
            return ""
    parts = list(pure.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join([*parts, span.name]) if span.name else ""


def _route_matches(route: str, pattern: str) -> bool:
    route = route.lstrip("^/")
    pattern = pattern.lstrip("^/")
    return route == pattern or route.endswith("/" + pattern)


def points_at(item: Json, span: ViewSpan, scan_root: str) -> bool:
    """True when a finding or a route of a report is about ``span``."""
    if span.route and _route_matches(
        str(item.get("route") or item.get("pattern") or ""), span.route
    ):
        return True
    if not span.found or not span.name:
        return False
    location = item.get("location")
    if _repo_path(location, scan_root) == span.file and location is not None:
        line = int(location.get("line") or 0)
        if any(first <= line <= last for first, last in span.ranges):
            return True
    dotted = _dotted(span, scan_root)
    view = str(item.get("view") or "")
    if dotted and (view == dotted or view.startswith(dotted + ".")):
        return True
    owner, _, method = dotted.rpartition(".")
    if "." in span.name and view == owner:
        served = {str(m).upper() for m in item.get("methods") or ()}
        if method in HTTP_HANDLERS:
            return HTTP_HANDLERS[method] in served
        if span.methods:
            return bool(span.methods & served)
        segments = str(item.get("route") or item.get("pattern") or "").strip("^$/").split("/")
        return method in segments or method.replace("_", "-") in segments
    return False


HTTP_HANDLERS = {
    **{verb: verb.upper() for verb in ("get", "post", "put", "patch", "delete", "head", "options")},
    # DRF viewset actions and the method their router maps them to.
    "list": "GET",
    "retrieve": "GET",
    "create": "POST",
    "update": "PUT",
    "partial_update": "PATCH",
    "destroy": "DELETE",
}
AUTHENTICATION_RULES = frozenset({"MG101", "MG102"})
NOT_AUTHORIZATION_RULES = frozenset({"MG101", "MG102", "MG106"})


def consistent(rule_id: str, bug_class: str) -> bool:
    """Whether a finding of ``rule_id`` describes a bug of ``bug_class`` (see the module doc)."""
    if bug_class == "missing-authn":
        return rule_id in AUTHENTICATION_RULES
    if bug_class == "header-trust":
        return rule_id == "MG102" or rule_id.startswith("MG3")
    if bug_class == "data-exposure":
        return True
    return rule_id.startswith("MG1") and rule_id not in NOT_AUTHORIZATION_RULES


def matching_findings(report: Json, spans: Iterable[ViewSpan], scan_root: str) -> list[Json]:
    """The counted findings of ``report`` that point at any of ``spans``."""
    spans = list(spans)
    return [
        finding
        for finding in report.get("findings", [])
        if finding.get("severity") in COUNTED_SEVERITIES
        and any(points_at(finding, span, scan_root) for span in spans)
    ]


def routed(report: Json, spans: Iterable[ViewSpan], scan_root: str) -> int:
    """How many routes of the report's inventory lead to any of ``spans``."""
    spans = list(spans)
    return sum(
        1
        for route in report.get("routes", [])
        if any(points_at(route, span, scan_root) for span in spans)
    )
