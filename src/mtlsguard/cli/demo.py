"""``mtlsguard demo``: argument parsing, output and exit codes.

:mod:`mtlsguard.cli.main` registers the subcommand with :func:`add_command` and dispatches
to :func:`run_command`; the run is :func:`mtlsguard.app.demo.run_demo`. Exit codes: 0 the
demo ran (its findings are the point, not a failure), 2 it could not run (the message says
why).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Final

from mtlsguard.cli.exit_codes import EXIT_ERROR, EXIT_OK

__all__ = ["COMMAND", "DEFAULT_OUTPUT_DIR", "add_command", "missing_extras", "run_command"]

COMMAND: Final = "demo"
DEFAULT_OUTPUT_DIR: Final = Path("mtlsguard-demo")


def add_command(commands: Any) -> None:
    """Register ``demo`` on the top-level subparsers action."""
    demo = commands.add_parser(
        COMMAND,
        help="scan and probe the vulnerable and hardened example apps over real mTLS",
        description="Build a throwaway PKI, start the vulnerable and hardened example Django "
        "projects on loopback under the embedded mTLS server, scan their source, probe them "
        "with alice's certificate (and bob's for BOLA), print both side by side and write "
        "HTML and SARIF reports. Everything it starts is stopped before it exits.",
    )
    demo.add_argument(
        "--output-dir",
        type=Path,
        default=DEFAULT_OUTPUT_DIR,
        metavar="DIR",
        help=f"where the reports go (default: ./{DEFAULT_OUTPUT_DIR})",
    )
    demo.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")


def missing_extras() -> list[str]:
    """The packages of the ``django`` and ``drf`` extras that cannot be imported."""
    import importlib

    missing = []
    for package, name in (("django", "Django"), ("rest_framework", "djangorestframework")):
        try:
            importlib.import_module(package)
        except ImportError:
            missing.append(name)
    return missing


def _say(line: str) -> None:
    print(f"mtlsguard demo: {line}", file=sys.stderr, flush=True)


def _error(message: str) -> int:
    # Not output.fatal: the demo's own errors name it, and the exit code is returned.
    print(f"mtlsguard: error: demo: {message}", file=sys.stderr)
    return EXIT_ERROR


def run_command(args: argparse.Namespace) -> int:
    """Run ``mtlsguard demo`` and return its exit code (Ctrl-C propagates, servers stopped)."""
    from mtlsguard.app.demo import run_demo
    from mtlsguard.app.errors import RunError
    from mtlsguard.demo.stage import DemoError
    from mtlsguard.demo.summary import render_summary, report_documents
    from mtlsguard.devserver.localca import PKIError
    from mtlsguard.probe.client import ProbeSetupError

    missing = missing_extras()
    if missing:
        return _error(
            f"the demo runs Django example apps, and {' and '.join(missing)} cannot be "
            'imported: pip install "mtlsguard[django,drf]" (or, in a checkout, '
            '`pip install -e ".[django,drf]"`)'
        )
    output_dir: Path = args.output_dir
    if output_dir.exists() and not output_dir.is_dir():
        return _error(f"--output-dir {output_dir} exists and is not a directory")
    try:
        result = run_demo(say=None if args.quiet else _say)
    except (DemoError, PKIError, ProbeSetupError, RunError) as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"{type(exc).__name__}: {exc}")
    directory = output_dir.absolute()
    reports = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in report_documents(result):
            path = directory / name
            path.write_text(text, encoding="utf-8")
            reports.append(path)
    except OSError as exc:
        return _error(f"cannot write the reports to {output_dir}: {exc.strerror or exc}")
    sys.stdout.write(render_summary(result, reports))
    sys.stdout.flush()
    return EXIT_OK
