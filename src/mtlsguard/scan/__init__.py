"""The scanner: rules, static analysis, URLconf introspection, HTTP probes, scoring.

Never imports Django, DRF or the scanned project.
"""

from mtlsguard.scan.model import (
    Confidence,
    Finding,
    Location,
    Protection,
    Route,
    ScanError,
    ScanResult,
    Severity,
)

__all__ = [
    "Confidence",
    "Finding",
    "Location",
    "Protection",
    "Route",
    "ScanError",
    "ScanResult",
    "Severity",
]
