"""A static run: scan a project (its source, or its live resolver), triage, assess.

``mtlsguard scan``/``routes`` read the source tree; ``manage.py mtlsguard`` passes an
:data:`Engine` that builds the same result from the running project. Either way the order is
fixed here: the project's configuration picks the rules *before* they run, then its path
exclusions and severity overrides, inline suppressions and the baseline apply; the threshold
decides what fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from mtlsguard.app.baseline import Baseline, BaselineError, BaselineKind, load_baseline
from mtlsguard.app.config import (
    ConfigError,
    ProjectConfig,
    apply_config,
    load_config,
    load_config_file,
)
from mtlsguard.app.errors import RunError
from mtlsguard.app.rules import check_selection, known_rules, rules_of
from mtlsguard.app.triage import TriagedScan, triage_routes, triage_scan
from mtlsguard.findings.assessment import Assessment, RouteInventory, RunKind
from mtlsguard.findings.model import Finding, Route, ScanResult, Severity
from mtlsguard.findings.registry import EVERY_RULE, Rule, RuleKind, RuleSelection
from mtlsguard.scan.declared import UNUSED_DECLARATION, DeclaredAccess
from mtlsguard.scan.engine import Progress, Resolution, scan_project
from mtlsguard.scan.excerpt import read_excerpts
from mtlsguard.scan.rules import static_rules
from mtlsguard.scan.suppression import RuleIds

__all__ = [
    "Engine",
    "RoutesOutcome",
    "StaticOutcome",
    "StaticRun",
    "assess_static",
    "baseline_file",
    "nothing_scanned",
    "project_config",
    "project_root",
    "require_complete",
    "run_routes",
    "run_static",
    "scan_raw",
    "selected_rules",
    "static_engine",
    "suppression_rule_ids",
]

Engine = Callable[[Path, Sequence[Rule], Progress | None, DeclaredAccess], ScanResult]
"""Builds the raw result of a project root with the given rules (static or runtime)."""


def _static_engine(
    root: Path, rules: Sequence[Rule], progress: Progress | None, declared: DeclaredAccess
) -> ScanResult:
    return scan_project(root, rules=rules, progress=progress, declared=declared)


def static_engine(resolution: Resolution) -> Engine:
    """The static front-end with ``resolution``'s overrides (``--settings``, ``--urlconf``...)."""

    def engine(
        root: Path, rules: Sequence[Rule], progress: Progress | None, declared: DeclaredAccess
    ) -> ScanResult:
        return scan_project(
            root, rules=rules, progress=progress, resolution=resolution, declared=declared
        )

    return engine


@dataclass(frozen=True, slots=True)
class StaticRun:
    """What a static run is told: the project, how to judge it and how to report it."""

    root: Path
    """Root of the Django project (a directory)."""
    baseline: Path | None = None
    """A findings (or routes) baseline file whose entries are accepted."""
    fail_on: Severity | None = None
    """Threshold for failing; ``None``: the project's ``fail-on``, else ``high``."""
    selection: RuleSelection = field(default=EVERY_RULE)
    """Rules the caller selects, on top of the project's configuration."""
    excerpts: bool = False
    """Read the source lines around each finding (the HTML report shows them)."""
    engine: Engine = _static_engine
    """What builds the raw result (the static front-end unless the live resolver is used)."""
    progress: Progress | None = None
    """Called as the scan advances (a terminal progress bar)."""
    allow_partial: bool = False
    """Report what could not be resolved and go on (``--allow-partial``), instead of failing
    the run: an unparsable file on a route's path, an unresolved settings module, URLconf or
    ``include()``, no route in a tree with views."""
    config: Path | None = None
    """The file holding ``[tool.mtlsguard]`` (``--config``); ``None``: found from the root up."""


@dataclass(frozen=True, slots=True)
class StaticOutcome:
    """A static run's assessment and what ``--write-baseline`` records."""

    assessment: Assessment
    """What every format renders."""
    current: tuple[Finding, ...]
    """Every finding before the baseline was applied."""
    config_source: str | None = None
    """The file the project's configuration came from (``None``: defaults)."""

    @property
    def failing(self) -> bool:
        """Findings at or above the threshold remain."""
        return bool(self.assessment.failing)


@dataclass(frozen=True, slots=True)
class RoutesOutcome:
    """The route inventory and the unprotected route methods no baseline accepts."""

    inventory: RouteInventory
    """What the route formats render."""
    new_unprotected: tuple[tuple[Route, str], ...]
    """``(route, key)`` of each open route method that is not in the baseline."""


def project_root(path: Path) -> Path:
    """``path`` resolved, if it is an existing directory.

    :raises RunError: when it does not exist, is not a directory or cannot be resolved.
    """
    if not path.exists():
        raise RunError(f"{path}: no such file or directory")
    if not path.is_dir():
        raise RunError(f"{path}: not a directory; give the root of the Django project")
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise RunError(f"{path}: cannot be resolved: {exc}") from exc


def project_config(root: Path, explicit: Path | None = None) -> ProjectConfig:
    """The project's ``[tool.mtlsguard]``: from ``explicit``, else found from ``root`` up.

    :raises RunError: when it is missing (``explicit``) or malformed.
    """
    try:
        return load_config(root) if explicit is None else load_config_file(explicit)
    except ConfigError as exc:
        raise RunError(str(exc)) from exc


def baseline_file(path: Path | None, kind: BaselineKind) -> Baseline | None:
    """The baseline at ``path`` (``None`` without one).

    :raises RunError: when it cannot be read, is malformed or of the other kind.
    """
    if path is None:
        return None
    try:
        return load_baseline(path, kind)
    except BaselineError as exc:
        raise RunError(str(exc)) from exc


def selected_rules(config: ProjectConfig, selection: RuleSelection) -> tuple[Rule, ...]:
    """The static rules the project's configuration and the caller's selection let run.

    :raises RunError: when a rule plugin fails to load, or either selection names a rule or
        an option that does not exist (a typo must not leave a rule running unnoticed).
    """
    project = config.selection()
    check_selection(project, config.source or "[tool.mtlsguard]")
    check_selection(selection, "the rule selection")
    return selection.apply(project.apply(static_rules()))


def suppression_rule_ids(
    config: ProjectConfig, selection: RuleSelection, raw: ScanResult
) -> RuleIds:
    """What judges the suppressions of ``raw``.

    Every rule id, the ids that ran (the selected static rules and the tool's own), and the
    views' files to check beyond the findings'.
    """
    ran = {r.rule_id for r in selected_rules(config, selection)}
    ran |= {r.rule_id for r in known_rules() if r.kind is RuleKind.TOOL}
    return RuleIds(
        known=frozenset(r.rule_id for r in known_rules()),
        ran=frozenset(ran),
        checked=frozenset(r.location.path for r in raw.routes if r.location is not None),
    )


def scan_raw(run: StaticRun, root: Path, config: ProjectConfig) -> ScanResult:
    """The raw result of ``run``'s engine with the selected rules.

    :raises RunError: for a bad selection (:func:`selected_rules`) or a tree that cannot be
        read. Anything else the engine raises is a bug, left to the command line to report.
    """
    rules = selected_rules(config, run.selection)
    try:
        raw = run.engine(root, rules, run.progress, config.declared_access())
    except OSError as exc:
        raise RunError(f"cannot scan {root}: {exc}") from exc
    if not run.selection.allows(UNUSED_DECLARATION.rule_id):  # --select / --ignore
        kept = tuple(f for f in raw.findings if f.rule_id != UNUSED_DECLARATION.rule_id)
        raw = replace(raw, findings=kept)
    if not run.allow_partial:
        require_complete(apply_config(raw, config), root)
    return raw


def require_complete(result: ScanResult, root: Path) -> None:
    """Fail a run whose scan is partial: a security gate never passes on what it did not see.

    :raises RunError: listing every unresolved item and unscanned file (up to 20), the
        settings module and URLconf used, and how to go on.
    """
    problems = [u.describe() for u in result.unresolved]
    problems += [f"{e.path}: could not be scanned: {e.message}" for e in result.errors]
    if not problems:
        return
    used = f"settings {result.settings_module or '(none)'}, URLconf {result.urlconf or '(none)'}"
    shown = "".join(f"\n  {line}" for line in problems[:20])
    more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
    raise RunError(
        f"the scan of {root} is incomplete ({used}): {len(problems)} item(s) could not be "
        f"resolved or scanned:{shown}{more}\n"
        "Resolve them (--settings MODULE, --urlconf MODULE, --site-packages DIR, install the "
        "project's dependencies), or pass --allow-partial to report them as unresolved and go on"
    )


def nothing_scanned(root: Path, result: ScanResult) -> RunError:
    """The error of a run that could read no Python file of ``root``."""
    if result.errors:
        return RunError(f"nothing under {root} could be scanned")
    return RunError(f"no Django project found under {root} (no Python file could be scanned)")


def assess_static(
    triaged: TriagedScan, root: Path, *, excerpts: bool, kind: RunKind = RunKind.STATIC
) -> Assessment:
    """The assessment of a triaged static result."""
    result = triaged.result
    return Assessment(
        result=result,
        kind=kind,
        rules=rules_of(kind),
        suppressed=triaged.suppressed,
        baselined=triaged.baselined,
        fail_on=triaged.fail_on,
        excerpts=read_excerpts(root, result.findings) if excerpts else (),
        successful=result.files_scanned > 0 or not result.errors,
    )


def run_static(run: StaticRun) -> StaticOutcome:
    """Scan, triage and assess ``run``'s project.

    :raises RunError: for a missing project, a bad configuration or baseline, a scan that
        could not read any file, or a crash of the engine.
    """
    root = project_root(run.root)
    config = project_config(root, run.config)
    baseline = baseline_file(run.baseline, BaselineKind.FINDINGS)
    raw = scan_raw(run, root, config)
    rule_ids = suppression_rule_ids(config, run.selection, raw)
    triaged = triage_scan(
        raw, root, config, baseline=baseline, fail_on=run.fail_on, rule_ids=rule_ids
    )
    if triaged.nothing_scanned:
        raise nothing_scanned(root, triaged.result)
    assessment = assess_static(triaged, root, excerpts=run.excerpts)
    return StaticOutcome(assessment, triaged.current, config.source)


def run_routes(run: StaticRun) -> RoutesOutcome:
    """The route inventory of ``run``'s project, with the routes baseline applied.

    :raises RunError: as :func:`run_static`.
    """
    root = project_root(run.root)
    config = project_config(root, run.config)
    baseline = baseline_file(run.baseline, BaselineKind.ROUTES)
    raw = scan_raw(run, root, config)
    triaged = triage_routes(raw, config, baseline=baseline)
    if triaged.nothing_scanned:
        raise nothing_scanned(root, triaged.result)
    return RoutesOutcome(RouteInventory(triaged.result, triaged.baselined), triaged.new_unprotected)
