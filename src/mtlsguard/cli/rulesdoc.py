"""``python -m mtlsguard.cli.rulesdoc [--check] DIR``: write or check the rule reference pages.

Exit codes: 0 written (or up to date), 1 ``--check`` found stale pages, 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from mtlsguard.app.rules import builtin_rules
from mtlsguard.cli.exit_codes import EXIT_FINDINGS, EXIT_OK
from mtlsguard.report.rulesdoc import GENERATOR, check_docs, write_docs

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of the generator; returns 0, or 1 when ``--check`` finds stale pages."""
    parser = argparse.ArgumentParser(prog="python -m mtlsguard.cli.rulesdoc")
    parser.add_argument("directory", type=Path, help="output directory (docs/rules)")
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if stale")
    args = parser.parse_args(argv)
    rules = builtin_rules()
    if args.check:
        problems = check_docs(args.directory, rules)
        for problem in problems:
            print(f"{args.directory}/{problem}", file=sys.stderr)
        if problems:
            print(f"regenerate with: {GENERATOR}", file=sys.stderr)
        return EXIT_FINDINGS if problems else EXIT_OK
    for path in write_docs(args.directory, rules):
        print(f"wrote {path}")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
