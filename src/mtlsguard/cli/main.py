"""Command-line entry point: argument parsing and exit codes only, no rule logic.

Exit codes (contract): 0 nothing at or above the threshold, 1 findings, 2 usage or scan error.
"""

from __future__ import annotations

import argparse
import enum
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, assert_never

from mtlsguard import __version__
from mtlsguard.app.baseline import (
    Baseline,
    BaselineError,
    BaselineKind,
    dump_baseline,
    findings_baseline,
    load_baseline,
    routes_baseline,
)
from mtlsguard.app.config import ConfigError, ProjectConfig, load_config
from mtlsguard.app.triage import triage_routes, triage_scan
from mtlsguard.cli.probe import COMMAND as PROBE_COMMAND
from mtlsguard.cli.probe import add_command as add_probe_command
from mtlsguard.cli.probe import run_command as run_probe_command
from mtlsguard.cli.scan_probe import add_scan_probe_arguments
from mtlsguard.demo.command import COMMAND as DEMO_COMMAND
from mtlsguard.demo.command import add_command as add_demo_command
from mtlsguard.demo.command import run_command as run_demo_command
from mtlsguard.devserver.commands import COMMANDS as DEVSERVER_COMMANDS
from mtlsguard.devserver.commands import add_commands as add_devserver_commands
from mtlsguard.devserver.commands import run_command as run_devserver_command
from mtlsguard.findings.model import ScanResult, Severity
from mtlsguard.report.interface import RouteFormat, RouteReport, ScanFormat, ScanReport
from mtlsguard.scan.suppression import SUPPRESSION_WITHOUT_REASON

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

SEVERITY_NAMES = ("critical", "high", "medium", "low", "info")

Engine = Callable[[Path], ScanResult]
"""Builds a :class:`ScanResult` for a project root (static scan or runtime introspection)."""


class ScanFormatChoice(enum.StrEnum):
    """``mtlsguard scan --format``."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    HTML = "html"


class RouteFormatChoice(enum.StrEnum):
    """``mtlsguard routes --format``."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def _fatal(message: str) -> NoReturn:
    """Print ``message`` to stderr and exit with the usage/scan error code."""
    print(f"mtlsguard: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_ERROR)


def _warn(message: str) -> None:
    print(f"mtlsguard: {message}", file=sys.stderr)


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


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="mtlsguard",
        description=(
            "Find and fix Django/DRF endpoints whose only gate is mutual TLS. "
            "A valid client certificate is not application authentication."
        ),
        epilog="Exit codes: 0 nothing at or above the threshold, 1 findings, "
        "2 usage or scan error.",
    )
    parser.add_argument("--version", action="version", version=f"mtlsguard {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    scan = commands.add_parser(
        "scan",
        help="static scan of a Django project tree (never imports it)",
        description="Static scan of a Django/DRF project tree. The project is never imported.",
    )
    add_scan_arguments(scan)
    add_scan_probe_arguments(scan)  # scan PATH --probe URL (mtlsguard.cli.scan_probe)
    routes = commands.add_parser(
        "routes",
        help="inventory: every route, its view and its effective protection",
        description="List every route with its view, methods and effective protection. "
        "Exits 1 when a method is reachable without authentication and not in --baseline.",
    )
    add_routes_arguments(routes)
    add_probe_command(commands)  # probe (logic in mtlsguard.cli.probe)
    add_demo_command(commands)  # demo (logic in mtlsguard.demo)
    add_devserver_commands(commands)  # pki, devserver
    return parser


def add_scan_arguments(scan: argparse.ArgumentParser, *, path_default: Path | None = None) -> None:
    """Register the ``scan`` options (shared with ``manage.py mtlsguard scan``)."""
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


def add_routes_arguments(
    routes: argparse.ArgumentParser, *, path_default: Path | None = None
) -> None:
    """Register the ``routes`` options (shared with ``manage.py mtlsguard routes``)."""
    _add_common(routes, path_default=path_default)
    routes.add_argument(
        "-f",
        "--format",
        choices=[c.value for c in RouteFormatChoice],
        default=RouteFormatChoice.TABLE.value,
        help="inventory format (default: table)",
    )


def _wants_color(args: argparse.Namespace) -> bool:
    return args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _width(args: argparse.Namespace, default: int) -> int:
    if args.output is None and sys.stdout.isatty():
        return shutil.get_terminal_size((default, 24)).columns
    return default


def _scan_format(choice: ScanFormatChoice, args: argparse.Namespace) -> ScanFormat:
    # Each format is imported when chosen: a JSON or SARIF run in CI never loads rich.
    from mtlsguard.report.html_report import HtmlFormat
    from mtlsguard.report.json_report import JsonFormat
    from mtlsguard.report.sarif import SarifFormat
    from mtlsguard.report.text import TextFormat

    match choice:
        case ScanFormatChoice.TEXT:
            return TextFormat(color=_wants_color(args), width=_width(args, 100))
        case ScanFormatChoice.JSON:
            return JsonFormat()
        case ScanFormatChoice.SARIF:
            return SarifFormat()
        case ScanFormatChoice.HTML:
            return HtmlFormat()
        case _:
            assert_never(choice)


def _route_format(choice: RouteFormatChoice, args: argparse.Namespace) -> RouteFormat:
    from mtlsguard.report.routes import RouteCsvFormat, RouteJsonFormat, RouteTableFormat

    match choice:
        case RouteFormatChoice.TABLE:
            return RouteTableFormat(color=_wants_color(args), width=_width(args, 140))
        case RouteFormatChoice.JSON:
            return RouteJsonFormat()
        case RouteFormatChoice.CSV:
            return RouteCsvFormat()
        case _:
            assert_never(choice)


def _project_root(path: Path) -> Path:
    if not path.exists():
        _fatal(f"{path}: no such file or directory")
    if not path.is_dir():
        _fatal(f"{path}: not a directory; give the root of the Django project")
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        _fatal(f"{path}: cannot be resolved: {exc}")


def _load_config(root: Path) -> ProjectConfig:
    try:
        return load_config(root)
    except ConfigError as exc:
        _fatal(str(exc))


def _load_baseline(path: Path | None, kind: BaselineKind) -> Baseline | None:
    if path is None:
        return None
    try:
        return load_baseline(path, kind)
    except BaselineError as exc:
        _fatal(str(exc))


def _write(path: Path | None, text: str, what: str) -> None:
    if path is None:
        try:
            sys.stdout.write(text)
        except UnicodeEncodeError:
            # A terminal that cannot show a path or an evidence excerpt must not cost the report.
            encoding = sys.stdout.encoding or "ascii"
            sys.stdout.flush()
            sys.stdout.buffer.write(text.encode(encoding, errors="backslashreplace"))
        sys.stdout.flush()
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fatal(f"cannot write {what} to {path}: {exc.strerror or exc}")


def _run_engine(root: Path, args: argparse.Namespace, engine: Engine | None) -> ScanResult:
    # The engine and its rules load only when a scan runs, so `--help` stays quick.
    from mtlsguard.scan.engine import scan_project

    enabled = not args.no_progress and sys.stderr.isatty()
    try:
        if engine is not None:
            return engine(root)
        if not enabled:
            return scan_project(root)
        from mtlsguard.report.progress import TerminalProgress

        with TerminalProgress(sys.stderr, enabled=True) as progress:
            return scan_project(root, progress=progress)
    except OSError as exc:
        _fatal(f"cannot scan {root}: {exc}")
    except Exception as exc:  # a crash inside the engine must not end in a traceback
        if os.environ.get("MTLSGUARD_DEBUG"):
            raise
        _fatal(
            f"internal error while scanning {root}: {type(exc).__name__}: {exc} "
            "(please report it; MTLSGUARD_DEBUG=1 shows the traceback)"
        )


def _report_errors(result: ScanResult) -> None:
    if result.errors:
        _warn(f"{len(result.errors)} file(s) could not be scanned and were skipped:")
        for error in result.errors[:20]:
            print(f"  {error.path}: {error.message}", file=sys.stderr)
        if len(result.errors) > 20:
            print(f"  ... and {len(result.errors) - 20} more (see the report)", file=sys.stderr)


def _nothing_scanned(root: Path, result: ScanResult) -> NoReturn:
    if result.errors:
        _fatal(f"nothing under {root} could be scanned")
    _fatal(f"no Django project found under {root} (no Python file could be scanned)")


def run_scan(args: argparse.Namespace, engine: Engine | None = None) -> int:
    """Run ``scan`` with parsed ``args``; ``engine`` replaces the static scan. Exit code."""
    root = _project_root(args.path)
    config = _load_config(root)
    baseline = _load_baseline(args.baseline, BaselineKind.FINDINGS)
    fail_on = Severity.parse(args.fail_on) if args.fail_on else None
    report_format = _scan_format(ScanFormatChoice(args.format), args)
    raw = _run_engine(root, args, engine)
    probed = merged = None
    if getattr(args, "probe", None):  # scan --probe URL: merge the probe's findings per route
        from mtlsguard.cli.scan_probe import merge_probe, probe_project

        probed = probe_project(args, raw)
        merged = merge_probe(raw, probed)
        raw = merged.raw
    triaged = triage_scan(raw, root, config, baseline=baseline, fail_on=fail_on)
    _report_errors(triaged.result)
    if triaged.nothing_scanned:
        _nothing_scanned(root, triaged.result)
    from mtlsguard.scan.excerpt import read_excerpts
    from mtlsguard.scan.rules import static_rules

    html = ScanFormatChoice(args.format) is ScanFormatChoice.HTML
    report = ScanReport(
        result=triaged.result,
        rules=[*static_rules(), SUPPRESSION_WITHOUT_REASON],
        suppressed=triaged.suppressed,
        baselined=triaged.baselined,
        fail_on=triaged.fail_on,
        excerpts=read_excerpts(root, triaged.result.findings) if html else (),
    )
    failing = bool(triaged.failing)
    if probed is not None and merged is not None:
        from mtlsguard.cli.scan_probe import below_grade, decorate, with_probe

        report = with_probe(report, probed)
        text = decorate(
            report_format.render(report), args.format, merged, triaged.result.findings, probed
        )
        failing = failing or below_grade(args, probed)
    else:
        text = report_format.render(report)
    _write(args.output, text, "the report")
    if args.write_baseline is not None:
        _write(args.write_baseline, dump_baseline(findings_baseline(triaged.current)), "baseline")
        _warn(f"wrote {len(triaged.current)} finding(s) to baseline {args.write_baseline}")
        return EXIT_OK
    return EXIT_FINDINGS if failing else EXIT_OK


def run_routes(args: argparse.Namespace, engine: Engine | None = None) -> int:
    """Run ``routes`` with parsed ``args``; ``engine`` replaces the static scan. Exit code."""
    root = _project_root(args.path)
    config = _load_config(root)
    baseline = _load_baseline(args.baseline, BaselineKind.ROUTES)
    route_format = _route_format(RouteFormatChoice(args.format), args)
    raw = _run_engine(root, args, engine)
    triaged = triage_routes(raw, config, baseline=baseline)
    _report_errors(triaged.result)
    if triaged.nothing_scanned:
        _nothing_scanned(root, triaged.result)
    _write(args.output, route_format.render(RouteReport(triaged.result, triaged.baselined)), "")
    if args.write_baseline is not None:
        accepted = routes_baseline(triaged.result.routes)
        _write(args.write_baseline, dump_baseline(accepted), "baseline")
        _warn(f"wrote {len(accepted.entries)} open route method(s) to {args.write_baseline}")
        return EXIT_OK
    return EXIT_FINDINGS if triaged.new_unprotected else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        if args.command == "scan":
            return run_scan(args)
        if args.command == "routes":
            return run_routes(args)
        if args.command == PROBE_COMMAND:
            return run_probe_command(args)
        if args.command == DEMO_COMMAND:
            return run_demo_command(args)
        if args.command in DEVSERVER_COMMANDS:
            return run_devserver_command(args)
    except KeyboardInterrupt:
        _fatal("interrupted")
    except BrokenPipeError:
        # `mtlsguard scan . | head`: the reader left; exit quietly like other Unix tools.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
    _fatal(f"unknown command {args.command!r}")  # pragma: no cover - argparse rejects first
