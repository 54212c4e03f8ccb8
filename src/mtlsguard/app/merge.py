"""Static and dynamic findings merged per route (``mtlsguard scan PATH --probe URL``).

A probe finding confirms the static findings of the same problem on the same route: MG402
("a certificate alone got the data") confirms MG101/MG102 ("no authentication"), MG404
confirms an unscoped queryset or lookup, MG405-MG407 confirm the sign-in and session rules,
and so on (:data:`CONFIRMS`). Routes are matched through the static route inventory: a probe
route is a template (``/api/accounts/{pk}/``) or a concrete path (``/accounts/login/``), a
static one a Django pattern (``api/accounts/<int:pk>/``); a static finding without a route
(``MG204`` names only its view) takes its view's route; a settings finding (``MG202``) goes
with the probe finding that confirms it wherever that was seen.

Each merged entry is the static finding (its location, view and fingerprint, so inline
suppressions and baselines keep working) with the highest severity and confidence of its
parts, the probe's request/response evidence, and one evidence line carrying both sides::

    static: ... (MG101 at bank/views.py:38); dynamic: ... (MG402)

Probe findings that confirm nothing stay entries of their own, their route written as the
static pattern it matched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final

from mtlsguard.findings.model import Finding, Route
from mtlsguard.probe.discovery import django_pattern_to_template, match_template

__all__ = ["CONFIRMS", "MergedFinding", "RouteIndex", "merge_findings"]

CONFIRMS: Final[Mapping[str, frozenset[str]]] = {
    "MG401": frozenset({"MG101", "MG102"}),
    "MG402": frozenset({"MG101", "MG102"}),
    "MG403": frozenset({"MG102", "MG301"}),
    "MG404": frozenset({"MG103", "MG104", "MG105"}),
    "MG405": frozenset({"MG106"}),
    "MG406": frozenset({"MG204"}),
    "MG407": frozenset({"MG202"}),
    "MG408": frozenset({"MG303"}),
}
"""Probe rule → the static rules whose problem it confirms."""


@dataclass(frozen=True, slots=True)
class MergedFinding:
    """One entry of the merged report and what it was made of."""

    finding: Finding
    """The entry as reported (a static finding with both evidences, or a lone one)."""
    static: tuple[Finding, ...] = ()
    """The static finding(s) in it."""
    dynamic: tuple[Finding, ...] = ()
    """The probe finding(s) in it."""

    @property
    def confirmed(self) -> bool:
        """Both sides saw it."""
        return bool(self.static and self.dynamic)


def _where(finding: Finding) -> str:
    if finding.location is None:
        return finding.rule_id
    return f"{finding.rule_id} at {finding.location.path}:{finding.location.line}"


def _combine(static: Finding, dynamic: Sequence[Finding]) -> Finding:
    parts = [f"static: {static.evidence} ({_where(static)})"]
    parts += [f"dynamic: {d.evidence} ({d.rule_id})" for d in dynamic]
    with_web = next((d for d in dynamic if d.web_request is not None), None)
    methods = tuple(dict.fromkeys([*static.methods, *(m for d in dynamic for m in d.methods)]))
    return replace(
        static,
        severity=max([static.severity, *(d.severity for d in dynamic)]),
        confidence=max([static.confidence, *(d.confidence for d in dynamic)]),
        route=static.route or dynamic[0].route,
        evidence="; ".join(parts),
        methods=methods if static.methods else static.methods,
        web_request=with_web.web_request if with_web else static.web_request,
        web_response=with_web.web_response if with_web else static.web_response,
    )


class RouteIndex:
    """Static patterns by probe template, and by view."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.pattern_of: dict[str, str] = {}
        self.by_view: dict[str, list[str]] = {}
        for route in routes:
            template = django_pattern_to_template(route.pattern)
            if template is not None:
                self.pattern_of.setdefault(template, route.pattern)
            if route.view:
                self.by_view.setdefault(route.view, []).append(route.pattern)

    def static_pattern(self, dynamic_route: str | None) -> str | None:
        """The static pattern a probe route (template or concrete path) belongs to."""
        if not dynamic_route:
            return None
        if dynamic_route in self.pattern_of:
            return self.pattern_of[dynamic_route]
        template = match_template(dynamic_route, self.pattern_of)
        return self.pattern_of[template] if template is not None else None

    def route_key(self, finding: Finding) -> str | None:
        """A static finding's pattern: its route, else its view's only route."""
        if finding.route:
            return finding.route
        patterns = self.by_view.get(finding.view or "", [])
        return patterns[0] if len(set(patterns)) == 1 else None


def merge_findings(
    static: Sequence[Finding], routes: Sequence[Route], dynamic: Sequence[Finding]
) -> list[MergedFinding]:
    """Merge ``dynamic`` (MG4xx) into ``static`` per route and problem; see the module doc."""
    index = RouteIndex(routes)
    confirming: dict[int, list[Finding]] = {}
    lone: list[tuple[Finding, Finding]] = []  # (as shown, as the probe reported it)
    for finding in dynamic:
        pattern = index.static_pattern(finding.route)
        if pattern is None and finding.view and finding.view in index.by_view:
            pattern = index.by_view[finding.view][0]
        family = CONFIRMS.get(finding.rule_id, frozenset())
        candidates = [
            (i, s)
            for i, s in enumerate(static)
            if s.rule_id in family
            and (
                (pattern is not None and index.route_key(s) == pattern)
                or (s.route is None and s.view is None)  # a setting: confirmed anywhere
            )
        ]
        if candidates:
            # the most severe static finding of the family takes the confirmation
            chosen, _ = max(candidates, key=lambda pair: (pair[1].severity, -pair[0]))
            confirming.setdefault(chosen, []).append(finding)
        else:
            shown = replace(finding, route=pattern) if pattern is not None else finding
            lone.append((shown, finding))
    merged: list[MergedFinding] = []
    for i, finding in enumerate(static):
        extra = confirming.get(i)
        if extra:
            entry = _combine(finding, extra)
            if entry.route is not None and entry.route.startswith("/"):
                entry = replace(entry, route=index.static_pattern(entry.route) or entry.route)
            merged.append(MergedFinding(entry, (finding,), tuple(extra)))
        else:
            merged.append(MergedFinding(finding, (finding,)))
    merged += [MergedFinding(shown, (), (original,)) for shown, original in lone]
    return merged
