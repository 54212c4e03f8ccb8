"""Command-line entry point: argument parsing and exit codes only, no rule logic.

Exit codes (contract): 0 nothing at or above the threshold, 1 findings, 2 usage or scan error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from mtlsguard import __version__

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


def _fatal(message: str) -> NoReturn:
    """Print ``message`` to stderr and exit with the usage/scan error code."""
    print(f"mtlsguard: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_ERROR)


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="mtlsguard",
        description=(
            "Find and fix Django/DRF endpoints whose only gate is mutual TLS. "
            "A valid client certificate is not application authentication."
        ),
    )
    parser.add_argument("--version", action="version", version=f"mtlsguard {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    _fatal(f"unknown command {args.command!r}")  # pragma: no cover - argparse rejects first
