"""The rule engine: front-end model -> route analysis -> rules -> :class:`ScanResult`.

:func:`scan_project` is the static entry point (the run layer hands in the rules it selected);
:func:`analyze` and :func:`run_rules` are the shared engine that runtime introspection
(``manage.py mtlsguard``) feeds with its own :class:`~mtlsguard.scan.project_model.ProjectModel`.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from mtlsguard.findings.model import Finding, ScanError, ScanResult, Severity
from mtlsguard.findings.registry import Rule
from mtlsguard.scan.analysis.idle import idle_note
from mtlsguard.scan.analysis.ownership import forget_project
from mtlsguard.scan.analysis.protection import ProtectionAnalyzer
from mtlsguard.scan.analysis.route import RouteAnalysis
from mtlsguard.scan.analysis.undeclared import hint_object_gates, object_guarded
from mtlsguard.scan.context import RuleContext
from mtlsguard.scan.declared import DeclaredAccess, apply_declarations
from mtlsguard.scan.project_model import ProjectModel
from mtlsguard.scan.rules import static_rules
from mtlsguard.scan.static.frontend import Resolution, build_static_project

__all__ = ["Progress", "Resolution", "analyze", "run_rules", "scan_project"]

Progress = Callable[[int, int], None]
"""``progress(done, total)`` callback; called once per rule (total = number of rules + 1)."""


def analyze(project: ProjectModel) -> RuleContext:
    """Compute the effective protection of every route of ``project``."""
    analyzer = ProtectionAnalyzer(project)
    routes = tuple(analyzer.analyze(route) for route in project.routes)
    return RuleContext(project=project, routes=routes, analyzer=analyzer)


def run_rules(
    context: RuleContext,
    rules: Iterable[Rule] | None = None,
    *,
    progress: Progress | None = None,
    offset: int = 0,
    total: int | None = None,
) -> tuple[Finding, ...]:
    """Run ``rules`` (default: all) over ``context``; findings sorted by file, line, rule.

    One code location is reported once per rule, with every route it serves: a view mounted
    under a hundred URLs is one problem with one fix, not a hundred findings.
    """
    selected = tuple(rules) if rules is not None else static_rules()
    count = total if total is not None else len(selected)
    findings: dict[tuple[str, str, str, int], list[Finding]] = {}
    analyses = {(a.route.pattern, a.view): a for a in context.routes}
    for index, meta in enumerate(selected, start=1):
        assert meta.check is not None, f"{meta.rule_id} is not a static rule"
        for found in meta.check(context, meta):
            finding = _idle_informational(context, analyses, found)
            loc = finding.location
            if loc is None or finding.route is None:
                key = (finding.fingerprint, ",".join(finding.methods), "", 0)
            else:
                key = (finding.rule_id, finding.view or "", loc.path, loc.line)
            findings.setdefault(key, []).append(finding)
        if progress is not None:
            progress(offset + index, count)
    return tuple(
        sorted(
            (_one_per_location(group) for group in findings.values()),
            key=lambda f: (
                f.location.path if f.location else "",
                f.location.line if f.location else 0,
                f.rule_id,
                f.route or "",
            ),
        )
    )


def _idle_informational(
    context: RuleContext,
    analyses: dict[tuple[str, str | None], RouteAnalysis],
    finding: Finding,
) -> Finding:
    """``finding`` lowered to info when its view serves nothing (:mod:`...analysis.idle`)."""
    if finding.route is None or finding.severity <= Severity.INFO:
        return finding
    analysis = analyses.get((finding.route, finding.view))
    if analysis is None:
        return finding
    note = idle_note(context.project, analysis, finding.methods)
    if not note:
        return finding
    return replace(finding, severity=Severity.INFO, evidence=finding.evidence + note)


_LISTED_ROUTES = 5
"""Further routes named in a merged finding's evidence (all are in ``also_routes``)."""


def _one_per_location(group: list[Finding]) -> Finding:
    """The findings of one rule at one location, merged: the worst first, every route listed."""
    group.sort(key=lambda f: (-f.severity, -f.confidence, f.route or ""))
    first = group[0]
    routes = tuple(dict.fromkeys(f.route for f in group if f.route and f.route != first.route))
    if not routes:
        return first
    methods = tuple(dict.fromkeys(m for f in group for m in f.methods))
    shown = ", ".join(f"/{r.lstrip('^/')}" for r in routes[:_LISTED_ROUTES])
    more = f" and {len(routes) - _LISTED_ROUTES} more" if len(routes) > _LISTED_ROUTES else ""
    return replace(
        first,
        methods=methods if all(f.methods for f in group) else (),
        also_routes=routes,
        evidence=f"{first.evidence}; the same code also serves {shown}{more}",
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the duration of a scan.

    A scan allocates millions of AST nodes and keeps every parsed tree until the end, so the
    collector's generation-2 passes re-traverse an ever larger live heap for nothing: on
    pretix that was half the scan's CPU time. Nothing is freed early by collecting, so peak
    memory is unchanged; the collector resumes (if it was on) when the scan returns.

    What the scan allocated is still in the youngest generation then, so the first young
    collection after resuming would traverse all of it (~10 % of the scan on pretix):
    ``gc.freeze()`` + ``gc.unfreeze()`` first moves every tracked object into the oldest
    generation, which is collected as usual, only not at once.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def scan_project(
    root: Path,
    *,
    rules: Sequence[Rule] | None = None,
    progress: Progress | None = None,
    resolution: Resolution | None = None,
    declared: DeclaredAccess | None = None,
) -> ScanResult:
    """Statically scan the Django project under ``root`` (never imports it).

    ``resolution`` overrides what the project declares (settings module, URLconf) and says
    where installed packages are read from; what could not be resolved is in the result's
    ``unresolved``, the settings module and URLconf used in ``settings_module``/``urlconf``.

    ``rules`` are the static rules to run, already selected and configured by the caller
    (:meth:`~mtlsguard.findings.registry.RuleSelection.apply`); ``None`` runs every static
    rule with its defaults. Routes and errors do not depend on the rules.

    ``declared`` is what the project says about its own access model (``[tool.mtlsguard]``
    ``guards`` and ``public``, :mod:`mtlsguard.scan.declared`).

    Unreadable or unparsable files become :class:`ScanError` entries; the scan goes on.
    A missing or non-directory ``root`` is reported the same way (nothing scanned).
    """
    selected = tuple(rules) if rules is not None else static_rules()
    with _collector_paused():
        return _scan(Path(root), selected, progress, resolution, declared or DeclaredAccess())


def _scan(
    root: Path,
    rules: tuple[Rule, ...],
    progress: Progress | None,
    resolution: Resolution | None,
    declared: DeclaredAccess,
) -> ScanResult:
    if not root.is_dir():
        return ScanResult(
            root=str(root.absolute()),
            errors=(ScanError(str(root), "not a directory"),),
        )
    total = len(rules) + 1
    static = build_static_project(root, resolution)
    static.model.declared = declared
    if progress is not None:
        progress(1, total)
    context = analyze(static.model)
    try:
        findings = run_rules(context, rules, progress=progress, offset=1, total=total)
    finally:
        forget_project()
    routes = tuple(r.to_route() for r in context.routes)
    findings = hint_object_gates(static.model, context.routes, findings)
    guarded = object_guarded(static.model, context.routes, declared)
    findings = apply_declarations(findings, declared, root, routes, guarded)
    return ScanResult(
        root=str(root.resolve()),
        findings=findings,
        routes=routes,
        errors=tuple(static.errors),
        files_scanned=static.files_scanned,
        lines_scanned=static.lines_scanned,
        settings_module=settings.module if (settings := static.model.settings) else None,
        urlconf=static.urlconf,
        unresolved=tuple(static.unresolved),
        assumptions=tuple(static.assumptions),
    )
