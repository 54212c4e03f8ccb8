"""``python manage.py mtlsguard scan|routes``: the scanner fed by the real URL resolver.

Same options, formats and exit codes as ``mtlsguard scan``/``mtlsguard routes`` (the options
are :mod:`mtlsguard.cli.scan`'s, ``--probe`` included); only the model comes from the running
project (:mod:`mtlsguard.django.scanner`) instead of the source tree. The run is the run
layer's (:mod:`mtlsguard.app`), with the live resolver as its engine.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from mtlsguard.cli.output import internal_error
from mtlsguard.cli.scan import add_routes_arguments, add_scan_arguments, report_routes, report_scan
from mtlsguard.django.scanner.project import introspect_project


def _default_root() -> Path:
    """``BASE_DIR`` when the settings define it, else the working directory (manage.py's)."""
    base = getattr(settings, "BASE_DIR", None)
    return Path(base) if base else Path.cwd()


class Command(BaseCommand):
    """Scan the running project: ``scan`` reports findings, ``routes`` lists protection."""

    help = (
        "Find endpoints whose only gate is mTLS, using the real URL resolver and view classes. "
        "Exit codes: 0 nothing at or above the threshold, 1 findings, 2 usage or scan error."
    )
    # A project with failing system checks still gets scanned.
    requires_system_checks: ClassVar[list[str]] = []

    def add_arguments(self, parser: CommandParser) -> None:
        """Register the ``scan`` and ``routes`` subcommands with the CLI's own options."""
        commands = parser.add_subparsers(dest="subcommand", metavar="COMMAND", required=True)
        root = _default_root()
        add_scan_arguments(
            commands.add_parser("scan", help="findings for every route and setting"),
            path_default=root,
        )
        add_routes_arguments(
            commands.add_parser("routes", help="every route and its effective protection"),
            path_default=root,
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the subcommand; a non-zero exit code leaves through :class:`SystemExit`."""
        report = report_scan if options["subcommand"] == "scan" else report_routes
        try:
            engine = partial(introspect_project, urlconf=options.get("urlconf"))
            code = report(options, engine=engine)
        except Exception as exc:  # as the command line: one line and exit 2, no traceback
            internal_error(exc)
        if code:
            raise SystemExit(code)
