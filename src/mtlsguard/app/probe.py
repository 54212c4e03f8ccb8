"""A probe run: load the routes to probe, probe the running application, assess.

Where the routes come from is the caller's choice (:class:`RouteSource`): an OpenAPI document
(a file or a URL fetched over the same mTLS connection), ``mtlsguard routes -f json`` output,
a plain path list, or none (the base URL alone). The exit decision: findings at or above
``fail_on`` (default ``high`` unless only ``fail_under`` is given) or a grade below
``fail_under``.
"""

from __future__ import annotations

import asyncio
import enum
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from mtlsguard.app.errors import RunError
from mtlsguard.app.rules import known_rules, rules_of
from mtlsguard.findings.assessment import Assessment, RunKind
from mtlsguard.findings.model import Severity
from mtlsguard.probe.client import ProbeClient, ProbeSetupError
from mtlsguard.probe.config import ProbeConfig
from mtlsguard.probe.discovery import (
    DiscoveryError,
    Endpoint,
    Inventory,
    load_openapi,
    load_path_list,
    load_routes_json,
)
from mtlsguard.probe.runner import ProbeResult, Progress, run_probe
from mtlsguard.probe.scoring import grade_rank

__all__ = [
    "DEFAULT_PROBE_FAIL_ON",
    "ProbeOutcome",
    "ProbeRun",
    "RouteSource",
    "RouteSourceKind",
    "assess_probe",
    "below_grade",
    "check_grade",
    "incomplete_reason",
    "run_probe_command",
    "traffic",
    "ungraded_notes",
]

DEFAULT_PROBE_FAIL_ON: Final = Severity.HIGH
"""The threshold of a probe run given neither ``fail_on`` nor ``fail_under``."""
_OPENAPI_FETCH_LIMIT: Final = 16 << 20
"""Bytes an OpenAPI document fetched from the target may have."""


class RouteSourceKind(enum.StrEnum):
    """Where the routes to probe come from."""

    OPENAPI = "openapi"
    """An OpenAPI 3 document (JSON or YAML), a file or an ``https://`` URL."""
    ROUTES = "routes"
    """``mtlsguard routes -f json`` output, or a plain list of paths."""
    PATHS = "paths"
    """A plain list of paths, one a line."""


@dataclass(frozen=True, slots=True)
class RouteSource:
    """One source of routes to probe."""

    kind: RouteSourceKind
    """How to read it."""
    location: str
    """A file path, or (OpenAPI only) a URL."""


@dataclass(frozen=True, slots=True)
class ProbeRun:
    """What a probe run is told."""

    config: ProbeConfig
    """The target, identities and bounds."""
    routes: RouteSource | None = None
    """Where the routes come from; ``None``: the base URL alone."""
    fail_on: Severity | None = None
    """Threshold for failing on findings (see the module docstring for the default)."""
    fail_under: str | None = None
    """The lowest acceptable grade (A-F)."""
    progress: Progress | None = None
    """Called as concrete paths are probed."""


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    """A probe run's assessment, its raw result and the verdicts."""

    assessment: Assessment
    """What every format renders."""
    result: ProbeResult
    """The probe's own result (counts, errors)."""
    skipped: tuple[str, ...]
    """Routes of the route source that could not be probed, and why."""
    failing: bool
    """Findings at or above the threshold, or a grade below ``fail_under``."""
    incomplete: str | None
    """Why the run did not do its work (nothing probed, no answer), else ``None``."""


def check_grade(grade: str | None) -> str | None:
    """``grade`` upper-cased, if it is A-F.

    :raises RunError: for anything else.
    """
    if grade is None:
        return None
    try:
        grade_rank(grade)
    except ValueError as exc:
        raise RunError(str(exc)) from exc
    return grade.strip().upper()


def below_grade(result: ProbeResult, fail_under: str | None) -> bool:
    """``fail_under`` was given and the probe's grade is worse, or there is none.

    A run that tested no category has no grade (``n/a``); it cannot meet a threshold.
    """
    if fail_under is None:
        return False
    if not result.graded or not result.score.tested:
        return True
    return grade_rank(result.score.grade) > grade_rank(fail_under)


def traffic(result: ProbeResult) -> str:
    """What the probes sent, in one line."""
    discovery = f" ({result.discovery_requests} for discovery)" if result.discovery_requests else ""
    return (
        f"{result.routes} routes, {result.paths} paths, {result.requests_sent} requests"
        f"{discovery} in {result.elapsed:.1f}s"
    )


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RunError(f"cannot read the {what} {path}: {exc}") from exc


async def _fetch(config: ProbeConfig, url: str) -> str:
    fetch_config = replace(config, max_body=_OPENAPI_FETCH_LIMIT, max_requests=10)
    async with ProbeClient(fetch_config) as client:
        got = await client.send(config.identity, "GET", url)
    if got.status != 200 or got.truncated:
        raise DiscoveryError(f"cannot fetch {url}: {got.failure or got.status}")
    return got.body.decode("utf-8", "replace")


def load_routes(source: RouteSource, config: ProbeConfig) -> Inventory:
    """The endpoints ``source`` describes.

    :raises RunError: when it cannot be read or parsed, or holds no route.
    """
    try:
        if source.kind is RouteSourceKind.OPENAPI:
            if source.location.startswith(("http://", "https://")):
                text = asyncio.run(_fetch(config, source.location))
            else:
                text = _read(Path(source.location), "OpenAPI document")
            inventory = load_openapi(text)
        elif source.kind is RouteSourceKind.ROUTES:
            text = _read(Path(source.location), "routes file")
            # `mtlsguard routes -f json` output, or a plain list of paths
            loader = load_routes_json if text.lstrip().startswith("{") else load_path_list
            inventory = loader(text)
        else:
            inventory = load_path_list(_read(Path(source.location), "path list"))
    except DiscoveryError as exc:
        raise RunError(str(exc)) from exc
    except ProbeSetupError as exc:
        raise RunError(str(exc)) from exc
    if not inventory.endpoints:
        raise RunError("discovery found no route to probe")
    return inventory


def assess_probe(
    result: ProbeResult, *, fail_on: Severity | None, fail_under: str | None
) -> Assessment:
    """The assessment of a probe-only run.

    A run that failed (unreachable, TLS, every answer 404 ...) or reached too few of its
    routes has no grade, in every format: its notes say why.
    """
    return Assessment(
        result=result.scan_result(),
        kind=RunKind.PROBE,
        rules=rules_of(RunKind.PROBE),
        fail_on=fail_on,
        fail_under=fail_under,
        grade=result.score if result.graded else None,
        notes=(*ungraded_notes(result), *result.notes),
        traffic=traffic(result),
        title="Probe report",
        sections={"probe": result.summary()},
        successful=result.reached > 0 and result.failure is None,
    )


def ungraded_notes(result: ProbeResult) -> tuple[str, ...]:
    """Why a probe run has no grade (first in its notes), its coverage and what it skipped."""
    coverage = result.coverage
    notes: list[str] = []
    if result.failure is not None:
        notes.append(f"error: {result.failure}; no grade")
    elif coverage.low:
        notes.append(f"{coverage.sentence}; no grade")
    elif coverage.known:
        notes.append(f"coverage: {coverage.sentence}")
    reasons = Counter(why for _, why in coverage.skipped)
    if reasons:
        counted = ", ".join(f"{n} {why}" for why, n in sorted(reasons.items()))
        notes.append(f"routes skipped: {counted}")
    return tuple(notes)


def incomplete_reason(result: ProbeResult, fail_under: str | None = None) -> str | None:
    """Why a probe run did not do its work, or ``None`` when it did.

    The one judgement for every kind of run (``probe``, ``scan --probe``). A run whose rule
    selection needed no route observed (only the sign-in probes) is judged by the phases
    that ran, not by the paths it observed. With ``fail_under``, a run that reached too few
    routes to be graded is incomplete too: there is no grade to compare.
    """
    reason = _why_incomplete(result)
    if reason is None and fail_under is not None and result.coverage.low:
        return f"{result.coverage.sentence}: no grade to compare with --fail-under"
    return reason


def _why_incomplete(result: ProbeResult) -> str | None:
    if not result.phases:
        return "no probe ran: the rule selection leaves no probe rule"
    if not result.observed_routes:
        return None
    if result.failure is not None:
        return result.failure
    if result.paths == 0:
        return "nothing was probed (no route answers GET, or no ID could fill a route's parameters)"
    if result.reached == 0:
        return "no response from the target with A's certificate"
    return None


def run_probe_command(
    run: ProbeRun, *, probe: Callable[..., ProbeResult] = run_probe
) -> ProbeOutcome:
    """Load the routes, probe, assess and decide.

    :raises RunError: for an unusable certificate, key or CA file, or an unreadable route source.
    """
    fail_under = check_grade(run.fail_under)
    known_rules()  # a broken rule plugin stops the run before any request
    endpoints: Sequence[Endpoint] = ()
    skipped: tuple[str, ...] = ()
    if run.routes is not None:
        inventory = load_routes(run.routes, run.config)
        endpoints, skipped = inventory.endpoints, tuple(inventory.skipped)
    try:
        result = probe(run.config, list(endpoints), progress=run.progress)
    except ProbeSetupError as exc:
        raise RunError(str(exc)) from exc
    fail_on = run.fail_on
    if fail_on is None and fail_under is None:
        fail_on = DEFAULT_PROBE_FAIL_ON
    assessment = assess_probe(result, fail_on=fail_on, fail_under=fail_under)
    failing = bool(assessment.failing) or below_grade(result, fail_under)
    incomplete = incomplete_reason(result, fail_under)
    return ProbeOutcome(assessment, result, skipped, failing, incomplete)
