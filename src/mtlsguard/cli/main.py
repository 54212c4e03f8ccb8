"""The ``mtlsguard`` command: the top-level parser and the dispatch to each subcommand.

Exit codes (contract, :mod:`mtlsguard.cli.exit_codes`): 0 nothing at or above the threshold,
1 findings, 2 usage or scan error.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence

from mtlsguard import __version__
from mtlsguard.cli.demo import COMMAND as DEMO_COMMAND
from mtlsguard.cli.demo import add_command as add_demo_command
from mtlsguard.cli.demo import run_command as run_demo_command
from mtlsguard.cli.devserver import COMMANDS as DEVSERVER_COMMANDS
from mtlsguard.cli.devserver import add_commands as add_devserver_commands
from mtlsguard.cli.devserver import run_command as run_devserver_command
from mtlsguard.cli.exit_codes import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK
from mtlsguard.cli.output import fatal, internal_error
from mtlsguard.cli.probe import COMMAND as PROBE_COMMAND
from mtlsguard.cli.probe import add_command as add_probe_command
from mtlsguard.cli.probe import run_command as run_probe_command
from mtlsguard.cli.rules import COMMAND as RULES_COMMAND
from mtlsguard.cli.rules import add_command as add_rules_command
from mtlsguard.cli.rules import run_command as run_rules_command
from mtlsguard.cli.scan import add_routes_arguments, add_scan_arguments, run_routes, run_scan

__all__ = ["EXIT_ERROR", "EXIT_FINDINGS", "EXIT_OK", "build_parser", "main", "program"]


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
        usage="mtlsguard scan [options] PATH",
        help="static scan of a Django project tree (never imports it)",
        description="Static scan of a Django/DRF project tree. The project is never imported.",
    )
    add_scan_arguments(scan)
    routes = commands.add_parser(
        "routes",
        help="inventory: every route, its view and its effective protection",
        description="List every route with its view, methods and effective protection. "
        "Exits 1 when a method is reachable without authentication and not in --baseline.",
    )
    add_routes_arguments(routes)
    add_probe_command(commands)
    add_rules_command(commands)
    add_demo_command(commands)
    add_devserver_commands(commands)  # pki, devserver
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "scan":
        return run_scan(args)
    if args.command == "routes":
        return run_routes(args)
    if args.command == PROBE_COMMAND:
        return run_probe_command(args)
    if args.command == RULES_COMMAND:
        return run_rules_command(args)
    if args.command == DEMO_COMMAND:
        return run_demo_command(args)
    if args.command in DEVSERVER_COMMANDS:
        return run_devserver_command(args)
    fatal(f"unknown command {args.command!r}")  # pragma: no cover - argparse rejects first


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        fatal("interrupted")
    except BrokenPipeError:
        # `mtlsguard scan . | head`: the reader left; exit quietly like other Unix tools.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
    except Exception as exc:  # a bug must end in one line and exit 2, never a traceback
        internal_error(exc)
    except BaseException as exc:
        # Ctrl-C while the probe's event loop runs can surface as asyncio's CancelledError
        # instead of KeyboardInterrupt (a timeout cancelled the same task): still "interrupted".
        if type(exc).__name__ == "CancelledError" and type(exc).__module__.startswith("asyncio"):
            fatal("interrupted")
        raise


def program() -> int:
    """Run :func:`main` as the process's own program (the console script, ``python -m``).

    The process ends right after: what a scan allocated (millions of AST nodes in reference
    cycles, garbage once the report is written) would otherwise be traversed and freed one
    object at a time by the collector's pass at interpreter exit (~10 % of a scan's CPU time
    on pretix) only for the operating system to reclaim the memory anyway. ``gc.freeze()``
    moves it out of the collector's reach; exit handlers and stream flushes still run.
    In-process callers (tests, ``manage.py mtlsguard``) call :func:`main` and keep the
    collector's normal behaviour.
    """
    _keep_freed_heap()
    code = main()
    gc.freeze()
    return code


_M_TRIM_THRESHOLD = -1
"""glibc's ``mallopt`` parameter: how much free memory the top of the heap keeps."""
_KEPT_HEAP_BYTES = 256 * 1024 * 1024


def _keep_freed_heap() -> None:
    """Let glibc keep the heap memory the process frees, for its next allocations.

    The parser allocates scratch memory for every module it reads (megabytes for a large one)
    and frees it when the module's tree is built. glibc gives the top of its heap back to the
    kernel as soon as 128 KiB of it are free, so the next module faults the same pages in
    again: on pretix, 60 MB given back 40 times, a quarter of the scan's page faults and some
    50 ms of system time. A process that ends after one run loses nothing by keeping it.
    Elsewhere (macOS, Windows, a C library without ``mallopt``) nothing changes.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # here: only a process that runs the command itself tunes its heap

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_TRIM_THRESHOLD, _KEPT_HEAP_BYTES)
