"""Baselines: accept today's findings (or unprotected routes) so CI fails only on new ones.

A findings baseline is keyed on :attr:`Finding.fingerprint` (rule, view or file, route), so a
finding that moves to another line stays known. A routes baseline is keyed on method, URL
pattern and view of every route method that is reachable without authentication.

The file is JSON::

    {"tool": "mtlsguard", "kind": "findings", "version": 1,
     "entries": [{"key": "MG101:billing.views.BillingView:api/billing/", ...}]}

Fields other than ``key`` are there for the humans who review the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from mtlsguard.findings.assessment import route_key, route_keys, unprotected_methods
from mtlsguard.findings.model import Finding, Route

__all__ = [
    "BASELINE_VERSION",
    "Baseline",
    "BaselineError",
    "BaselineKind",
    "dump_baseline",
    "findings_baseline",
    "load_baseline",
    "parse_baseline",
    "route_key",
    "route_keys",
    "routes_baseline",
    "unprotected_methods",
]

BASELINE_VERSION = 1


class BaselineError(ValueError):
    """A baseline file is unreadable, malformed or of the wrong kind; the message says which."""


class BaselineKind(StrEnum):
    """What a baseline records."""

    FINDINGS = "findings"
    ROUTES = "routes"


@dataclass(frozen=True, slots=True)
class Baseline:
    """A set of accepted keys and, for the file, a human description of each."""

    kind: BaselineKind
    """Findings (``mtlsguard scan``) or routes (``mtlsguard routes``)."""
    entries: tuple[tuple[str, dict[str, object]], ...] = ()
    """``(key, description)`` pairs in file order."""

    @property
    def keys(self) -> frozenset[str]:
        """The accepted keys."""
        return frozenset(key for key, _ in self.entries)

    def __contains__(self, key: object) -> bool:
        return key in self.keys


def findings_baseline(findings: Iterable[Finding]) -> Baseline:
    """A baseline that accepts every one of ``findings``."""
    described: dict[str, dict[str, object]] = {}
    for finding in findings:
        described.setdefault(
            finding.fingerprint,
            {
                "rule_id": finding.rule_id,
                "title": finding.title,
                "severity": finding.severity.label,
                "path": finding.location.path if finding.location else None,
            },
        )
    return Baseline(BaselineKind.FINDINGS, tuple(sorted(described.items())))


def routes_baseline(routes: Iterable[Route]) -> Baseline:
    """A baseline that accepts every currently unprotected route method."""
    described: dict[str, dict[str, object]] = {}
    for route in routes:
        for key in route_keys(route):
            described.setdefault(key, {"pattern": route.pattern, "view": route.view})
    return Baseline(BaselineKind.ROUTES, tuple(sorted(described.items())))


def dump_baseline(baseline: Baseline) -> str:
    """Serialise ``baseline`` as stable, diff-friendly JSON (sorted keys, one entry a line)."""
    document = {
        "tool": "mtlsguard",
        "kind": baseline.kind.value,
        "version": BASELINE_VERSION,
        "entries": [{"key": key, **description} for key, description in baseline.entries],
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def parse_baseline(text: str, kind: BaselineKind, source: str = "baseline") -> Baseline:
    """Parse baseline JSON and check that it is of ``kind``.

    :raises BaselineError: not JSON, not a mtlsguard baseline, another version or kind.
    """
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise BaselineError(f"{source}: not valid JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("tool") != "mtlsguard":
        raise BaselineError(f'{source}: not a mtlsguard baseline (no "tool": "mtlsguard")')
    if document.get("version") != BASELINE_VERSION:
        raise BaselineError(
            f"{source}: baseline version {document.get('version')!r} is not supported "
            f"(expected {BASELINE_VERSION}); write a new one with --write-baseline"
        )
    if document.get("kind") != kind.value:
        raise BaselineError(
            f"{source}: this is a {document.get('kind')!r} baseline, but a {kind.value!r} "
            f"baseline is needed here"
        )
    raw_entries = document.get("entries")
    if not isinstance(raw_entries, list):
        raise BaselineError(f"{source}: 'entries' must be a list")
    entries = []
    for index, entry in enumerate(raw_entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            raise BaselineError(f"{source}: entry {index} has no string 'key'")
        description = {k: v for k, v in entry.items() if k != "key"}
        entries.append((entry["key"], description))
    return Baseline(kind, tuple(entries))


def load_baseline(path: Path, kind: BaselineKind) -> Baseline:
    """Read a baseline file.

    :raises BaselineError: the file cannot be read or is not a baseline of ``kind``.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc}") from None
    return parse_baseline(text, kind, str(path))
