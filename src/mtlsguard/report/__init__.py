"""Output formats of an assessment and of a route inventory: text, JSON, SARIF, HTML, CSV.

Every format is a pure function of its input (:class:`~mtlsguard.findings.assessment.Assessment`
or :class:`~mtlsguard.findings.assessment.RouteInventory`) that builds a string; none decides
severity, reads the scanned files or writes anything.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mtlsguard.report.html_report import HtmlFormat
    from mtlsguard.report.interface import RouteFormat, ScanFormat
    from mtlsguard.report.json_report import JsonFormat
    from mtlsguard.report.routes import RouteCsvFormat, RouteJsonFormat, RouteTableFormat
    from mtlsguard.report.sarif import SarifFormat
    from mtlsguard.report.text import TextFormat

# Each name is imported on first use (PEP 562): a JSON run must not import rich or the HTML
# templates just because they live in the same package.
_MODULES = {
    "HtmlFormat": "html_report",
    "JsonFormat": "json_report",
    "RouteCsvFormat": "routes",
    "RouteFormat": "interface",
    "RouteJsonFormat": "routes",
    "RouteTableFormat": "routes",
    "SarifFormat": "sarif",
    "ScanFormat": "interface",
    "TextFormat": "text",
}

__all__ = [
    "HtmlFormat",
    "JsonFormat",
    "RouteCsvFormat",
    "RouteFormat",
    "RouteJsonFormat",
    "RouteTableFormat",
    "SarifFormat",
    "ScanFormat",
    "TextFormat",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
