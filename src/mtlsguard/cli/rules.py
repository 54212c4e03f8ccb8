"""``mtlsguard rules [ID ...]``: the rule registry on the terminal.

Without an id: one line per rule. With ids (or prefixes such as ``MG1``): each rule's reference
page, the same text as ``docs/rules/`` and SARIF's ``help``. Exit codes: 0 shown, 2 no rule
matches an id.
"""

from __future__ import annotations

import argparse
from typing import Any, Final

from mtlsguard.cli.exit_codes import EXIT_OK
from mtlsguard.cli.output import fatal, terminal_width, write

__all__ = ["COMMAND", "add_command", "run_command"]

COMMAND: Final = "rules"


def add_command(commands: Any) -> None:
    """Register ``rules`` on the top-level subparsers action."""
    rules = commands.add_parser(
        COMMAND,
        help="list the rules, or explain one (mtlsguard rules MG101)",
        description="List every rule mtlsguard can report (static, probe and its own), or show "
        "the documentation of the rules named: what they detect, why it matters, a vulnerable "
        "example and the fix.",
    )
    rules.add_argument(
        "ids", metavar="ID", nargs="*", help="rule ids or prefixes (MG101, mg4); none: list all"
    )


def run_command(args: argparse.Namespace) -> int:
    """Run ``mtlsguard rules`` and return its exit code."""
    from mtlsguard.app.errors import RunError
    from mtlsguard.app.rules import known_rules
    from mtlsguard.report.rulesdoc import rule_list, rule_page

    try:
        rules = known_rules()
    except RunError as exc:
        fatal(str(exc))
    if not args.ids:
        write(None, rule_list(rules, terminal_width(None, 100)))
        return EXIT_OK
    wanted = [text.strip().upper() for text in args.ids]
    unknown = [w for w in wanted if not any(r.rule_id.startswith(w) for r in rules)]
    if unknown:
        fatal(f"no rule matches {', '.join(unknown)}; `mtlsguard rules` lists them")
    chosen = [r for r in rules if any(r.rule_id.startswith(w) for w in wanted)]
    write(None, "\n\n".join(rule_page(rule).rstrip("\n") for rule in chosen) + "\n")
    return EXIT_OK
