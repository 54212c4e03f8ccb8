"""Route inventory formats for ``mtlsguard routes``: table, JSON and CSV.

One line per route and method: the view, whether an unauthenticated request is refused, and
what decided it (decorator, class, default, middleware). Unprotected methods that a routes
baseline already accepts are marked ``open (baseline)`` rather than ``OPEN``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator

from rich.table import Table
from rich.text import Text

from mtlsguard import __version__
from mtlsguard.findings.assessment import RouteInventory, route_key, route_keys
from mtlsguard.findings.model import Protection, Route
from mtlsguard.report.interface import RouteFormat
from mtlsguard.report.json_report import route_dict
from mtlsguard.report.text import make_console, printable
from mtlsguard.report.wording import readable_route

__all__ = [
    "CSV_COLUMNS",
    "RouteCsvFormat",
    "RouteJsonFormat",
    "RouteTableFormat",
    "route_rows",
    "wrap_at",
]

CSV_COLUMNS = (
    "pattern",
    "name",
    "view",
    "path",
    "line",
    "method",
    "status",
    "authenticated",
    "decided_by",
    "detail",
)


def _status(route: Route, protection: Protection, baselined: frozenset[str]) -> str:
    if protection.authenticated is True:
        return "authenticated"
    if protection.authenticated is None:
        return "unknown"
    return "open (baseline)" if route_key(route, protection.method) in baselined else "OPEN"


def route_rows(report: RouteInventory) -> Iterator[dict[str, str]]:
    """One row per route and method (a route without protections gets one ``unknown`` row)."""
    for route in report.result.routes:
        protections = route.protections or (Protection("*", None, "none", "not determined"),)
        for protection in protections:
            yield {
                "pattern": route.pattern,
                "name": route.name or "",
                "view": route.view or "",
                "path": route.location.path if route.location else "",
                "line": str(route.location.line) if route.location else "",
                "method": protection.method,
                "status": _status(route, protection, report.baselined),
                "authenticated": {True: "yes", False: "no", None: "unknown"}[
                    protection.authenticated
                ],
                "decided_by": protection.decided_by,
                "detail": protection.detail,
            }


def wrap_at(text: str, separator: str, width: int) -> str:
    """``text`` in lines of at most ``width`` characters, broken after ``separator`` only.

    A single part longer than ``width`` stays whole: a name is never cut mid-word.
    """
    lines = [""]
    for piece in re.split(f"(?<={re.escape(separator)})", text):
        if lines[-1] and len(lines[-1]) + len(piece) > width:
            lines.append(piece)
        else:
            lines[-1] += piece
    return "\n".join(lines)


_STATUS_STYLES = {
    "authenticated": "green",
    "unknown": "yellow",
    "open (baseline)": "dim red",
    "OPEN": "bold red",
}


class RouteTableFormat(RouteFormat):
    """``--format table`` (the default for ``routes``)."""

    name = "table"

    def __init__(self, *, color: bool = False, width: int = 140) -> None:
        self.color = color
        self.width = width

    def render(self, report: RouteInventory) -> str:
        """Return the inventory as a table, with a one-line summary under it."""
        buffer = io.StringIO()
        console = make_console(buffer, color=self.color, width=self.width)
        table = Table(show_lines=False, header_style="bold", expand=False)
        rows = list(route_rows(report))
        # Dotted view names and routes have no space to wrap at: they are broken at their dots
        # and slashes here, never mid-word, and "decided by" (words) takes the rest.
        room = max(16, self.width // 4)
        table.add_column("route", no_wrap=True)
        table.add_column("method", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("view", no_wrap=True)
        table.add_column("decided by", overflow="fold")
        for row in rows:
            decided = row["decided_by"] + (f": {row['detail']}" if row["detail"] else "")
            table.add_row(
                printable(wrap_at(readable_route(row["pattern"]), "/", room)),
                printable(row["method"]),
                Text(row["status"], style=_STATUS_STYLES[row["status"]]),
                printable(wrap_at(row["view"], ".", room)),
                printable(decided),
            )
        console.print(table)
        open_now = sum(1 for row in rows if row["status"] == "OPEN")
        known = sum(1 for row in rows if row["status"] == "open (baseline)")
        console.print(
            f"{len(report.result.routes)} routes; {open_now} open methods"
            + (f" (+{known} accepted by the baseline)" if known else "")
        )
        return buffer.getvalue()


class RouteJsonFormat(RouteFormat):
    """``--format json``: versioned like the scan report."""

    name = "json"

    def render(self, report: RouteInventory) -> str:
        """Return the inventory as indented JSON."""
        routes = []
        for route in report.result.routes:
            data = route_dict(route)
            data["open_methods"] = [
                key.split(" ", 1)[0] for key in route_keys(route) if key not in report.baselined
            ]
            data["baselined_methods"] = [
                key.split(" ", 1)[0] for key in route_keys(route) if key in report.baselined
            ]
            routes.append(data)
        document = {
            "schema": "mtlsguard-routes",
            "version": 1,
            "tool": {"name": "mtlsguard", "version": __version__},
            "root": report.result.root,
            "routes": routes,
            "errors": [{"path": e.path, "message": e.message} for e in report.result.errors],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


class RouteCsvFormat(RouteFormat):
    """``--format csv``: one row per route and method, columns :data:`CSV_COLUMNS`."""

    name = "csv"

    def render(self, report: RouteInventory) -> str:
        """Return RFC 4180 CSV with a header row."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        for row in route_rows(report):
            writer.writerow(row)
        return buffer.getvalue()
