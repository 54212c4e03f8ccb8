"""The shared model of both halves of the scanner: findings, routes, results, rule registry.

Static rules (:mod:`mtlsguard.scan`), dynamic probes (:mod:`mtlsguard.probe`), the run that
combines them (:mod:`mtlsguard.app`) and the report formats (:mod:`mtlsguard.report`) all speak
these types. Nothing here imports another mtlsguard package but :mod:`mtlsguard.certs`.
"""

from mtlsguard.findings.model import (
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
