"""The exit codes of every mtlsguard command (contract), defined once.

0 nothing at or above the threshold, 1 findings (or a grade below ``--fail-under``), 2 usage
or scan error: a run that could not do its work never exits 0.
"""

from __future__ import annotations

from typing import Final

__all__ = ["EXIT_ERROR", "EXIT_FINDINGS", "EXIT_OK"]

EXIT_OK: Final = 0
"""Nothing at or above the threshold."""
EXIT_FINDINGS: Final = 1
"""Findings at or above the threshold, or a probe grade below ``--fail-under``."""
EXIT_ERROR: Final = 2
"""Usage error, or the run could not do its work (nothing scanned, target unreachable)."""
