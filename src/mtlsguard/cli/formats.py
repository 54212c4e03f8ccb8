"""The ``--format`` choices and the report classes they select.

Each format is imported when chosen: a JSON or SARIF run in CI never loads rich.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, assert_never

from mtlsguard.cli.output import terminal_width, wants_color

if TYPE_CHECKING:
    from mtlsguard.report.interface import RouteFormat, ScanFormat

__all__ = ["RouteFormatChoice", "ScanFormatChoice", "route_format", "scan_format"]


class ScanFormatChoice(enum.StrEnum):
    """``--format`` of ``scan`` and ``probe``."""

    TEXT = "text"
    CONCISE = "concise"
    JSON = "json"
    SARIF = "sarif"
    HTML = "html"


class RouteFormatChoice(enum.StrEnum):
    """``mtlsguard routes --format``."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def scan_format(choice: ScanFormatChoice, output: Path | None) -> ScanFormat:
    """The format for ``choice``, writing to ``output`` (stdout when ``None``)."""
    match choice:
        case ScanFormatChoice.TEXT:
            from mtlsguard.report.text import TextFormat

            return TextFormat(color=wants_color(output), width=terminal_width(output, 100))
        case ScanFormatChoice.CONCISE:
            from mtlsguard.report.text import ConciseFormat

            return ConciseFormat()
        case ScanFormatChoice.JSON:
            from mtlsguard.report.json_report import JsonFormat

            return JsonFormat()
        case ScanFormatChoice.SARIF:
            from mtlsguard.report.sarif import SarifFormat

            return SarifFormat()
        case ScanFormatChoice.HTML:
            from mtlsguard.report.html_report import HtmlFormat

            return HtmlFormat()
        case _:
            assert_never(choice)


def route_format(choice: RouteFormatChoice, output: Path | None) -> RouteFormat:
    """The route inventory format for ``choice``."""
    from mtlsguard.report.routes import RouteCsvFormat, RouteJsonFormat, RouteTableFormat

    match choice:
        case RouteFormatChoice.TABLE:
            return RouteTableFormat(color=wants_color(output), width=terminal_width(output, 140))
        case RouteFormatChoice.JSON:
            return RouteJsonFormat()
        case RouteFormatChoice.CSV:
            return RouteCsvFormat()
        case _:
            assert_never(choice)
