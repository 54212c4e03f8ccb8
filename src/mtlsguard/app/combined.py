"""Static and dynamic results brought together: the one place that merges them.

``mtlsguard scan PATH --probe URL`` probes the running application with the static route
inventory and merges the probe's findings into the static ones per route and problem
(:func:`mtlsguard.app.merge.merge_findings`: "static: no authentication; dynamic: a certificate
alone got the data"), *before* configuration, inline suppressions and the baseline apply, so
``--fail-on`` and ``--baseline`` act on the merged set. The demo shows both sides next to each
other instead (``confirm=False``): every probe finding stays its own entry, its route written
as the static pattern it matched. Either way probe errors are reported with the run they came
from and one score covers every probe run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from mtlsguard.app.baseline import BaselineKind
from mtlsguard.app.errors import RunError
from mtlsguard.app.merge import MergedFinding, RouteIndex, merge_findings
from mtlsguard.app.probe import (
    below_grade,
    check_grade,
    incomplete_reason,
    traffic,
    ungraded_notes,
)
from mtlsguard.app.static import (
    StaticOutcome,
    StaticRun,
    assess_static,
    baseline_file,
    nothing_scanned,
    project_config,
    project_root,
    scan_raw,
)
from mtlsguard.app.triage import triage_scan
from mtlsguard.findings.assessment import MergedParts, RunKind
from mtlsguard.findings.model import Finding, ScanError, ScanResult
from mtlsguard.probe.client import ProbeSetupError
from mtlsguard.probe.config import ProbeConfig
from mtlsguard.probe.discovery import endpoints_from_routes
from mtlsguard.probe.rules import Category
from mtlsguard.probe.runner import ProbeResult, run_probe
from mtlsguard.probe.scoring import Score, score_findings

__all__ = ["Combined", "CombinedOutcome", "combine", "run_combined"]


@dataclass(frozen=True, slots=True)
class Combined:
    """A static result with the findings and errors of one or more probe runs brought in."""

    raw: ScanResult
    """The static result with the probe findings merged (or added) and every run's errors."""
    entries: tuple[MergedFinding, ...]
    """Each entry and what it was made of."""
    score: Score
    """One score over every probe run's findings."""
    notes: tuple[str, ...]
    """Every probe run's notes."""
    sources: tuple[str, ...]
    """Per entry, where it came from: ``static_label``, or the label of the probe run that
    first saw a lone probe finding."""

    def parts(self, shown: Sequence[Finding]) -> MappingProxyType[str, MergedParts]:
        """Fingerprint -> parts of every confirmed entry among the ``shown`` findings."""
        keep = {f.fingerprint for f in shown}
        return MappingProxyType(
            {
                e.finding.fingerprint: MergedParts(e.static, e.dynamic)
                for e in self.entries
                if e.confirmed and e.finding.fingerprint in keep
            }
        )


def _tested(results: Sequence[ProbeResult]) -> set[Category]:
    return {
        Category(c.category) for r in results for c in r.score.categories if c.score is not None
    }


def combine(
    static: ScanResult,
    probes: Sequence[tuple[str, ProbeResult]],
    *,
    confirm: bool = True,
    static_label: str = "static",
) -> Combined:
    """Bring the ``(label, result)`` probe runs into ``static``.

    ``confirm``: a probe finding that confirms a static finding of the same problem on the
    same route becomes part of it; otherwise every probe finding is an entry of its own. A
    probe finding seen by several runs (same rule and route) counts once.
    """
    seen: dict[tuple[str, str | None], str] = {}
    dynamic: list[Finding] = []
    errors: list[ScanError] = list(static.errors)
    for label, result in probes:
        errors += [ScanError(e.path, f"{label}: {e.message}") for e in result.errors]
        for finding in result.findings:
            if (finding.rule_id, finding.route) not in seen:
                seen[(finding.rule_id, finding.route)] = label
                dynamic.append(finding)
    if confirm:
        entries = merge_findings(static.findings, static.routes, dynamic)
    else:
        index = RouteIndex(static.routes)
        entries = [MergedFinding(f, (f,)) for f in static.findings]
        entries += [
            MergedFinding(replace(f, route=index.static_pattern(f.route) or f.route), (), (f,))
            for f in dynamic
        ]
    sources = tuple(
        seen[(e.dynamic[0].rule_id, e.dynamic[0].route)] if not e.static else static_label
        for e in entries
    )
    raw = replace(static, findings=tuple(e.finding for e in entries), errors=tuple(errors))
    score = score_findings(dynamic, _tested([r for _, r in probes]))
    notes = tuple(note for _, result in probes for note in result.notes)
    return Combined(raw, tuple(entries), score, notes, sources)


@dataclass(frozen=True, slots=True)
class CombinedOutcome:
    """A merged run's outcome: the static outcome (merged assessment) and the probe's result."""

    static: StaticOutcome
    """The merged assessment and what ``--write-baseline`` records."""
    probe: ProbeResult
    """The probe's own result."""
    failing: bool
    """Findings at or above the threshold, or a grade below ``fail_under``."""


def run_combined(
    run: StaticRun, config: ProbeConfig, *, fail_under: str | None = None
) -> CombinedOutcome:
    """Scan ``run``'s project, probe ``config``'s target with its routes, merge, assess.

    :raises RunError: as a static run; and when the probe's certificate files are unusable or
        the target never answered A's certificate.
    """
    fail_under = check_grade(fail_under)
    root = project_root(run.root)
    project = project_config(root, run.config)
    baseline = baseline_file(run.baseline, BaselineKind.FINDINGS)
    static = scan_raw(run, root, project)
    # The project's configuration picks the probe's rules too (``disable = ["MG403"]``), and
    # so does the command line's --select/--ignore.
    selection = replace(
        project.selection(),
        select=run.selection.select,
        ignore=project.selection().ignore | run.selection.ignore,
    )
    try:
        probed = run_probe(
            replace(config, selection=selection), endpoints_from_routes(static.routes)
        )
    except ProbeSetupError as exc:
        raise RunError(str(exc)) from exc
    incomplete = incomplete_reason(probed, fail_under)
    if incomplete is not None:
        errors = "".join(f"\n  {e.path}: {e.message}" for e in probed.errors[:20])
        raise RunError(f"probe of {config.base_url}: {incomplete}{errors}")
    combined = combine(static, [("probe", probed)])
    triaged = triage_scan(combined.raw, root, project, baseline=baseline, fail_on=run.fail_on)
    if triaged.nothing_scanned:
        raise nothing_scanned(root, triaged.result)
    assessment = replace(
        assess_static(triaged, root, excerpts=run.excerpts, kind=RunKind.COMBINED),
        fail_under=fail_under,
        grade=probed.score if probed.graded else None,
        notes=(*ungraded_notes(probed), *combined.notes),
        traffic=traffic(probed),
        merged=combined.parts(triaged.result.findings),
        sections={"probe": probed.summary()},
    )
    failing = bool(assessment.failing) or below_grade(probed, fail_under)
    outcome = StaticOutcome(assessment, triaged.current, project.source)
    return CombinedOutcome(outcome, probed, failing)
