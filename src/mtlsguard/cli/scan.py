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
from mtlsguard.cli.formats import RouteFormatChoice, ScanFormatChoice, route_format, scan_format
from mtlsguard.cli.output import fatal, warn, write
from mtlsguard.findings.model import ScanResult, Severity

if TYPE_CHECKING:  # the run layer loads when a command runs: `mtlsguard --help` stays quick
    from mtlsguard.app.static import Engine, StaticOutcome, StaticRun
    from mtlsguard.scan.engine import Progress

__all__ = [
    "SEVERITY_NAMES",
    "add_resolution_arguments",
    "add_routes_arguments",
    "add_scan_arguments",
    "report_routes",
    "report_scan",
    "run_routes",
    "run_scan",
    "scan_outcome",
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
)


def _add_common(command: argparse.ArgumentParser, *, path_default: Path | None = None) -> None:
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
    command.add_argument(
        "-o", "--output", metavar="FILE", type=Path, help="write the report to FILE, not stdout"
    )
    command.add_argument(
        "--baseline",
        metavar="FILE",
        type=Path,
        help="accept everything recorded in FILE; only new problems are reported and fail",
    )
    command.add_argument(
        "--write-baseline",
        metavar="FILE",
        type=Path,
        help="record every current problem in FILE (a later --baseline FILE accepts them) "
        "and exit 0",
    )
    command.add_argument(
        "--no-progress", action="store_true", help="never draw a progress bar on the terminal"
    )
    add_resolution_arguments(command, live=path_default is not None)


def add_resolution_arguments(command: argparse.ArgumentParser, *, live: bool = False) -> None:
    """Register how the project is resolved (``--settings``, ``--urlconf``, ``--allow-partial``...).

    ``--settings`` and ``--site-packages`` serve the static front-end only.

    Under ``manage.py mtlsguard`` (``live``) Django's own ``--settings`` applies and installed
    packages are the running ones, so only ``--urlconf`` and ``--allow-partial`` are added.
    """
    group = command.add_argument_group("project resolution")
    if not live:
        group.add_argument(
            "--settings",
            metavar="MODULE",
            help="settings module to evaluate (default: DJANGO_SETTINGS_MODULE as manage.py, "
            "wsgi.py, asgi.py or the pytest/tox configuration set it)",
        )
    group.add_argument(
        "--urlconf",
        metavar="MODULE",
        help="root URLconf to walk instead of the settings' ROOT_URLCONF",
    )
    if not live:
        group.add_argument(
            "--site-packages",
            metavar="DIR",
            type=Path,
            action="append",
            default=[],
            help="read include()d URLconfs of installed packages from DIR first (repeatable; "
            "then a virtualenv in the project, then this interpreter's site-packages)",
        )
    group.add_argument(
        "--allow-partial",
        action="store_true",
        help="report what could not be resolved (unparsable files on a route's path, a "
        "missing settings module, URLconf or include()) and go on, instead of exit 2",
    )


def add_scan_arguments(scan: argparse.ArgumentParser, *, path_default: Path | None = None) -> None:
    """Register the ``scan`` options, ``--probe`` and its target options included."""
    from mtlsguard.cli.probe import add_target_arguments

    _add_common(scan, path_default=path_default)
    scan.add_argument(
        "-f",
        "--format",
        choices=[c.value for c in ScanFormatChoice],
        default=ScanFormatChoice.TEXT.value,
        help="report format (default: text)",
    )
    scan.add_argument(
        "--fail-on",
        metavar="SEVERITY",
        choices=SEVERITY_NAMES,
        type=str.lower,
        help="exit 1 when a finding is at or above SEVERITY: "
        f"{', '.join(SEVERITY_NAMES)} (default: [tool.mtlsguard] fail-on, else high)",
    )
    scan.add_argument(
        "--probe",
        metavar="URL",
        help="also probe the running application at URL over mTLS with the scanned routes and "
        "merge the findings per route; needs --cert and --key (the probe's options below)",
    )
    add_target_arguments(scan, cert_required=False)
    scan.add_argument("--fail-under", metavar="GRADE", help="exit 1 below this probe grade (A-F)")


def add_routes_arguments(
    routes: argparse.ArgumentParser, *, path_default: Path | None = None
) -> None:
    """Register the ``routes`` options."""
    _add_common(routes, path_default=path_default)
    routes.add_argument(
        "-f",
        "--format",
        choices=[c.value for c in RouteFormatChoice],
        default=RouteFormatChoice.TABLE.value,
        help="inventory format (default: table)",
    )


def static_run(options: Mapping[str, Any], engine: Engine | None = None) -> StaticRun:
    """The static run that parsed ``options`` (``vars(args)`` or Django's ``options``)."""
    from mtlsguard.app.static import StaticRun, static_engine
    from mtlsguard.scan.engine import Resolution

    fail_on = options.get("fail_on")
    run = StaticRun(
        root=Path(options["path"]),
        baseline=options.get("baseline"),
        fail_on=Severity.parse(fail_on) if fail_on else None,
        excerpts=options.get("format") == ScanFormatChoice.HTML.value,
        allow_partial=bool(options.get("allow_partial")),
    )
    if engine is None:
        resolution = Resolution(
            settings=options.get("settings"),
            urlconf=options.get("urlconf"),
            site_packages=tuple(options.get("site_packages") or ()),
        )
        engine = static_engine(resolution)
    return replace(run, engine=engine)


def _report_errors(result: ScanResult, *, probed: bool = False) -> None:
    if result.unresolved:  # only with --allow-partial: otherwise the run stopped with exit 2
        warn(f"partial scan: {len(result.unresolved)} item(s) could not be resolved:")
        for item in result.unresolved[:20]:
            print(f"  {item.describe()}", file=sys.stderr)
    if result.errors:
        if probed:
            warn(f"{len(result.errors)} file(s) or probe request(s) failed and were skipped:")
        else:
            warn(f"{len(result.errors)} file(s) could not be scanned and were skipped:")
        for error in result.errors[:20]:
            print(f"  {error.path}: {error.message}", file=sys.stderr)
        if len(result.errors) > 20:
            print(f"  ... and {len(result.errors) - 20} more (see the report)", file=sys.stderr)


def _progress(options: Mapping[str, Any]) -> AbstractContextManager[Progress | None]:
    """A progress bar on a terminal (rich loads only then), else nothing."""
    if options.get("no_progress") or not sys.stderr.isatty():
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

    output = options.get("output")
    report_format = scan_format(ScanFormatChoice(options["format"]), output)
    try:
        outcome, failing = scan_outcome(options, engine)
    except RunError as exc:
        fatal(str(exc))
    _report_errors(outcome.assessment.result, probed=bool(options.get("probe")))
    write(output, report_format.render(outcome.assessment))
    baseline_path = options.get("write_baseline")
    if baseline_path is not None:
        write_baseline(baseline_path, outcome)
        return EXIT_OK
    return EXIT_FINDINGS if failing else EXIT_OK


def write_baseline(path: Path, outcome: StaticOutcome) -> None:
    """Record every current finding of ``outcome`` in the baseline file ``path``."""
    from mtlsguard.app.baseline import dump_baseline, findings_baseline

    write(path, dump_baseline(findings_baseline(outcome.current)), "baseline")
    warn(f"wrote {len(outcome.current)} finding(s) to baseline {path}")


def report_routes(options: Mapping[str, Any], engine: Engine | None = None) -> int:
    """Run the route inventory ``options`` describe; exit code."""
    from mtlsguard.app.baseline import dump_baseline, routes_baseline
    from mtlsguard.app.errors import RunError
    from mtlsguard.app.static import run_routes as app_run_routes

    output = options.get("output")
    inventory_format = route_format(RouteFormatChoice(options["format"]), output)
    try:
        with _progress(options) as progress:
            outcome = app_run_routes(replace(static_run(options, engine), progress=progress))
    except RunError as exc:
        fatal(str(exc))
    _report_errors(outcome.inventory.result)
    write(output, inventory_format.render(outcome.inventory), "the inventory")
    baseline_path = options.get("write_baseline")
    if baseline_path is not None:
        accepted = routes_baseline(outcome.inventory.result.routes)
        write(baseline_path, dump_baseline(accepted), "baseline")
        warn(f"wrote {len(accepted.entries)} open route method(s) to {baseline_path}")
        return EXIT_OK
    return EXIT_FINDINGS if outcome.new_unprotected else EXIT_OK


def run_scan(args: argparse.Namespace) -> int:
    """``mtlsguard scan`` with parsed ``args``; the exit code."""
    return report_scan(vars(args))


def run_routes(args: argparse.Namespace) -> int:
    """``mtlsguard routes`` with parsed ``args``; the exit code."""
    return report_routes(vars(args))
