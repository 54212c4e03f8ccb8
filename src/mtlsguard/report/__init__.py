"""Output formats for scan results and route inventories: text, JSON, SARIF, HTML, CSV.

Every format is a pure function of its input (:class:`ScanReport` or :class:`RouteReport`) that
builds a string; none decides severity, reads the scanned files or writes anything.
"""

from mtlsguard.report.html_report import HtmlFormat
from mtlsguard.report.interface import (
    RouteFormat,
    RouteReport,
    RuleMetadata,
    ScanFormat,
    ScanReport,
)
from mtlsguard.report.json_report import JsonFormat
from mtlsguard.report.routes import RouteCsvFormat, RouteJsonFormat, RouteTableFormat
from mtlsguard.report.sarif import SarifFormat
from mtlsguard.report.text import TextFormat

__all__ = [
    "HtmlFormat",
    "JsonFormat",
    "RouteCsvFormat",
    "RouteFormat",
    "RouteJsonFormat",
    "RouteReport",
    "RouteTableFormat",
    "RuleMetadata",
    "SarifFormat",
    "ScanFormat",
    "ScanReport",
    "TextFormat",
]
