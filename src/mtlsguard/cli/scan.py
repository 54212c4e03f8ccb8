"""``mtlsguard scan`` and ``mtlsguard routes``: their options, and the runs they describe.

The same options serve ``python manage.py mtlsguard scan|routes``, which passes the live
resolver as the engine. The runs themselves are :mod:`mtlsguard.app.static` and
:mod:`mtlsguard.app.combined` (``scan --probe``); this module turns options into their inputs
and their outcomes into reports, baselines and exit codes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtlsguard.cli.exit_codes import EXIT_FINDINGS, EXIT_OK
from mtlsguard.cli.formats import RouteFormatChoice, route_format
from mtlsguard.cli.output import fatal, warn, write
from mtlsguard.cli.report_options import (
    add_display_arguments,
    add_report_arguments,
    report_targets,
    wants_html,
    write_reports,
)
from mtlsguard.findings.model import ScanResult, Severity

if TYPE_CHECKING:  # the run layer loads when a command runs: `mtlsguard --help` stays quick
    from mtlsguard.app.static import Engine, StaticOutcome, StaticRun
    from mtlsguard.findings.assessment import Assessment
    from mtlsguard.scan.engine import Progress

__all__ = [
    "SEVERITY_NAMES",
    "add_routes_arguments",
    "add_scan_arguments",
    "report_routes",
    "report_scan",
    "route_format_of",
    "run_routes",
    "run_scan",
    "scan_outcome",
    "shown_and_failing",
    "static_run",
    "write_baseline",
]

SEVERITY_NAMES = tuple(s.label for s in sorted(Severity, reverse=True))
"""``critical`` ... ``info``."""

#: ``scan`` options that only mean something with ``--probe`` (and have no default).
_PROBE_ONLY = (
    "fail_under",
    "cert",
    "key",
    "cacert",
    "peer_cert",
    "peer_key",
    "auth_header",
    "peer_auth_header",
    "credential_probes",
    "allow_unsafe_methods",
    "login_url",
    "key_password_env",
    "key_password_file",
    "peer_key_password_env",
    "peer_key_password_file",
)


def _add_path(command: argparse.ArgumentParser, path_default: Path | None) -> None:
    if path_default is None:
        command.add_argument("path", metavar="PATH", type=Path, help="root of the Django project")
    else:
        command.add_argument(
            "path",
            metavar="PATH",
            type=Path,
            nargs="?",
            default=path_default,
            help=f"root of the Django project (default: {path_default})",
        )


def _add_baseline(group: Any) -> None:
    group.add_argument(
        "--baseline",
        metavar="FILE",
        type=Path,
        help="accept everything recorded in FILE; only new problems are reported and fail",
    )
    group.add_argument(
        "--write-baseline",
        metavar="FILE",
        type=Path,
        help="record every current problem in FILE (a later --baseline FILE accepts them) "
        "and exit 0",
    )


def _add_static_arguments(group: Any) -> None:
    """What the static scan reads and which rules run."""
    group.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        help="read [tool.mtlsguard] from FILE (default: the nearest pyproject.toml with one, "
        "from PATH up to the repository root)",
    )
    group.add_argument(
        "--select",
        metavar="IDS",
        type=_rule_ids,
        action="extend",
        help="run only these rules: ids or prefixes, comma-separated (MG1,MG201)",
    )
    group.add_argument(
        "--ignore",
        metavar="IDS",
        type=_rule_ids,
        action="extend",
        help="never run these rules (ids or prefixes; wins over --select and adds to the "
        "project's disable)",
    )


def _add_ci_arguments(group: Any) -> None:
    """The exit code and the baseline."""
    group.add_argument(
        "--fail-on",
        metavar="SEVERITY",
        choices=SEVERITY_NAMES,
        type=str.lower,
        help="exit 1 when a finding is at or above SEVERITY: "
        f"{', '.join(SEVERITY_NAMES)} (default: [tool.mtlsguard] fail-on, else high)",
    )
    group.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when findings fail the threshold (2 still means the run failed)",
    )
    _add_baseline(group)


def _rule_ids(text: str) -> list[str]:
    ids = [part.strip().upper() for part in text.split(",") if part.strip()]
    if not ids:
        raise argparse.ArgumentTypeError("give rule ids or prefixes, like MG101 or MG1")
    return ids


SCAN_EXAMPLES = """\
examples:
  mtlsguard scan .                                  text report, exit 1 on high or critical
  mtlsguard scan . -o mtlsguard.sarif               SARIF (the extension picks the format)
  mtlsguard scan . --sarif-output r.sarif --html-output r.html   two reports from one run
  mtlsguard scan . -f concise --severity medium     one line per finding, medium and above
  mtlsguard scan . --select MG1 --ignore MG106      only the endpoint rules, without MG106
  mtlsguard scan . --baseline base.json --fail-on medium   CI: only new problems fail
  mtlsguard scan . --probe https://localhost:8443/ --cert a.pem --key a.key   static + probe
  mtlsguard rules MG101                             what a rule checks and how to fix it
"""


def add_scan_arguments(scan: argparse.ArgumentParser, *, path_default: Path | None = None) -> None:
    """Register the ``scan`` options, ``--probe`` and its target options included.

    They come in groups, as ``--help`` shows them: static analysis, output, CI and the probe.
    """
    from mtlsguard.cli.probe import add_target_arguments

    scan.formatter_class = argparse.RawDescriptionHelpFormatter
    scan.epilog = SCAN_EXAMPLES
    _add_path(scan, path_default)
    _add_static_arguments(scan.add_argument_group("static analysis"))
    output = scan.add_argument_group("output")
    add_report_arguments(output)
    add_display_arguments(output)
    output.add_argument(
        "--no-progress", action="store_true", help="never draw a progress bar on the terminal"
    )
    _add_ci_arguments(scan.add_argument_group("CI and exit code"))
    probe = scan.add_argument_group(
        "probe (with --probe URL: the scanned routes are probed over mTLS and merged)"
    )
    probe.add_argument(
        "--probe",
        metavar="URL",
        help="also probe the running application at URL over mTLS with the scanned routes and "
        "merge the findings per route; needs --cert and --key",
    )
    add_target_arguments(probe, cert_required=False, parser=scan)
    probe.add_argument("--fail-under", metavar="GRADE", help="exit 1 below this probe grade (A-F)")


def add_routes_arguments(
    routes: argparse.ArgumentParser, *, path_default: Path | None = None
) -> None:
    """Register the ``routes`` options."""
    _add_path(routes, path_default)
    routes.add_argument(
        "-f",
        "--format",
        choices=[c.value for c in RouteFormatChoice],
        default=None,
        help="inventory format (default: from the -o file's extension, else table)",
    )
    routes.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=Path,
        help="write the inventory to FILE, not stdout (.json and .csv pick the format)",
    )
    routes.add_argument("--config", metavar="FILE", type=Path, help="read [tool.mtlsguard] here")
    routes.add_argument(
        "--fail-on-open",
        action="store_true",
        help="exit 1 when a route method is reachable without authentication and not in "
        "--baseline (without it: exit 0, public pages are normal, unless --baseline is given "
        "and a new open method appears)",
    )
    _add_baseline(routes)
    routes.add_argument(
        "--no-progress", action="store_true", help="never draw a progress bar on the terminal"
    )


def static_run(options: Mapping[str, Any], engine: Engine | None = None) -> StaticRun:
    """The static run that parsed ``options`` (``vars(args)`` or Django's ``options``)."""
    from mtlsguard.app.static import StaticRun
    from mtlsguard.findings.registry import RuleSelection

    fail_on = options.get("fail_on")
    run = StaticRun(
        root=Path(options["path"]),
        baseline=options.get("baseline"),
        fail_on=Severity.parse(fail_on) if fail_on else None,
        selection=RuleSelection(
            select=frozenset(options.get("select") or ()),
            ignore=frozenset(options.get("ignore") or ()),
        ),
        excerpts=options.get("format") not in set(RouteFormatChoice) and wants_html(options),
        config=options.get("config"),
    )
    return run if engine is None else replace(run, engine=engine)


def _report_errors(result: ScanResult, options: Mapping[str, Any]) -> None:
    if not result.errors or options.get("quiet"):
        return
    requests = sum(1 for error in result.errors if "://" in error.path)
    files = len(result.errors) - requests
    what = [f"{files} file(s) could not be scanned"] if files else []
    what += [f"{requests} probe request(s) failed"] if requests else []
    warn(f"{' and '.join(what)}; skipped:")
    shown = len(result.errors) if options.get("verbose") else 20
    for error in result.errors[:shown]:
        print(f"  {error.path}: {error.message}", file=sys.stderr)
    if len(result.errors) > shown:
        more = len(result.errors) - shown
        print(f"  ... and {more} more (see the report, or -v)", file=sys.stderr)


def _progress(options: Mapping[str, Any]) -> AbstractContextManager[Progress | None]:
    """A progress bar on a terminal (rich loads only then), else nothing."""
    if options.get("no_progress") or options.get("quiet") or not sys.stderr.isatty():
        return nullcontext()
    from mtlsguard.cli.progress import TerminalProgress

    return TerminalProgress(sys.stderr, enabled=True)


def scan_outcome(
    options: Mapping[str, Any], engine: Engine | None = None
) -> tuple[StaticOutcome, bool]:
    """The outcome of the scan ``options`` describe, and whether it fails.

    ``--probe`` merges a probe into it.

    :raises RunError: when the run cannot do its work. Usage errors exit 2.
    """
    from mtlsguard.app.static import run_static

    run = static_run(options, engine)
    probe_url = options.get("probe")
    if probe_url and (options.get("cert") is None or options.get("key") is None):
        fatal("--probe needs --cert and --key (the client certificate of identity A)")
    if not probe_url:
        stray = [name for name in _PROBE_ONLY if options.get(name)]
        if stray:
            fatal(f"--{stray[0].replace('_', '-')} needs --probe URL (it is a probe option)")
    with _progress(options) as progress:
        run = replace(run, progress=progress)
        if probe_url:
            # The probe (httpx, asyncio) loads only when asked for: a static scan stays lean.
            from mtlsguard.app.combined import run_combined
            from mtlsguard.cli.probe import probe_config

            config = probe_config(options, probe_url)
            combined = run_combined(run, config, fail_under=options.get("fail_under"))
            return combined.static, combined.failing
        outcome = run_static(run)
        return outcome, outcome.failing


def report_scan(options: Mapping[str, Any], engine: Engine | None = None) -> int:
    """Run the scan ``options`` describe (merged with a probe under ``--probe``); exit code."""
    from mtlsguard.app.errors import RunError

    report_targets(options)  # usage errors before the run
    try:
        outcome, failing = scan_outcome(options, engine)
    except RunError as exc:
        fatal(str(exc))
    if options.get("verbose"):
        warn(f"configuration: {outcome.config_source or 'none (defaults)'}")
    shown, failing = shown_and_failing(options, outcome.assessment, failing)
    _report_errors(outcome.assessment.result, options)
    write_reports(options, shown)
    baseline_path = options.get("write_baseline")
    if baseline_path is not None:
        write_baseline(baseline_path, outcome, quiet=bool(options.get("quiet")))
        return EXIT_OK
    return EXIT_FINDINGS if failing else EXIT_OK


def shown_and_failing(
    options: Mapping[str, Any], assessment: Assessment, failing: bool
) -> tuple[Assessment, bool]:
    """What the reports show (``--severity``/``--confidence``) and whether the run fails.

    What is not shown does not fail; a probe grade below ``--fail-under`` still does;
    ``--exit-zero`` never fails on findings.
    """
    from mtlsguard.app.triage import shown_findings

    shown = shown_findings(assessment, options.get("severity"), options.get("confidence"))
    if shown is not assessment:
        below_grade = failing and not assessment.failing
        failing = bool(shown.failing) or below_grade
    return shown, failing and not options.get("exit_zero")


def write_baseline(path: Path, outcome: StaticOutcome, *, quiet: bool = False) -> None:
    """Record every current finding of ``outcome`` in the baseline file ``path``."""
    from mtlsguard.app.baseline import dump_baseline, findings_baseline

    write(path, dump_baseline(findings_baseline(outcome.current)), "baseline")
    if not quiet:
        warn(f"wrote {len(outcome.current)} finding(s) to baseline {path}")


def report_routes(options: Mapping[str, Any], engine: Engine | None = None) -> int:
    """Run the route inventory ``options`` describe; exit code."""
    from mtlsguard.app.baseline import dump_baseline, routes_baseline
    from mtlsguard.app.errors import RunError
    from mtlsguard.app.static import run_routes as app_run_routes

    output = options.get("output")
    inventory_format = route_format(route_format_of(options), output)
    try:
        with _progress(options) as progress:
            outcome = app_run_routes(replace(static_run(options, engine), progress=progress))
    except RunError as exc:
        fatal(str(exc))
    _report_errors(outcome.inventory.result, options)
    write(output, inventory_format.render(outcome.inventory), "the inventory")
    baseline_path = options.get("write_baseline")
    if baseline_path is not None:
        accepted = routes_baseline(outcome.inventory.result.routes)
        write(baseline_path, dump_baseline(accepted), "baseline")
        warn(f"wrote {len(accepted.entries)} open route method(s) to {baseline_path}")
        return EXIT_OK
    # The inventory is a report: a public page is normal. It fails only when asked to, or when
    # a baseline of accepted open routes is given and a new one appears.
    gate = options.get("fail_on_open") or options.get("baseline") is not None
    return EXIT_FINDINGS if gate and outcome.new_unprotected else EXIT_OK


def route_format_of(options: Mapping[str, Any]) -> RouteFormatChoice:
    """``routes -f``, else the ``-o`` file's extension (``.json``, ``.csv``), else table."""
    if options.get("format"):
        return RouteFormatChoice(options["format"])
    suffix = Path(options["output"]).suffix.lower() if options.get("output") else ""
    return {".json": RouteFormatChoice.JSON, ".csv": RouteFormatChoice.CSV}.get(
        suffix, RouteFormatChoice.TABLE
    )


def run_scan(args: argparse.Namespace) -> int:
    """``mtlsguard scan`` with parsed ``args``; the exit code."""
    return report_scan(vars(args))


def run_routes(args: argparse.Namespace) -> int:
    """``mtlsguard routes`` with parsed ``args``; the exit code."""
    return report_routes(vars(args))
