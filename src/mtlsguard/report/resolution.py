"""What a static scan resolved, for every format: settings module, URLconf, unresolved items.

A partial scan (``--allow-partial``) must say so wherever it is read, so each format shows
the settings module and URLconf the scan used, every item it could not resolve with the
reason, and what it assumed instead. Probe-only results have none of these and show nothing.
"""

from __future__ import annotations

from mtlsguard.findings.model import ScanResult

__all__ = ["has_resolution", "resolution_data", "resolution_lines"]


def has_resolution(result: ScanResult) -> bool:
    """The result comes from a project scan that recorded how it was resolved."""
    return bool(result.settings_module or result.urlconf or result.unresolved or result.assumptions)


def resolution_lines(result: ScanResult) -> list[str]:
    """Plain lines: what was used, what was assumed, what could not be resolved."""
    if not has_resolution(result):
        return []
    lines = [
        f"settings: {result.settings_module or '(none found)'}; "
        f"URLconf: {result.urlconf or '(none)'}"
    ]
    lines += [f"assumed: {text}" for text in result.assumptions]
    if result.unresolved:
        lines.append(f"PARTIAL SCAN: {len(result.unresolved)} item(s) could not be resolved:")
        lines += [f"  unresolved {item.describe()}" for item in result.unresolved]
    return lines


def resolution_data(result: ScanResult) -> dict[str, object]:
    """The same as JSON-ready data (``settings_module``, ``urlconf``, ``unresolved``...)."""
    return {
        "settings_module": result.settings_module,
        "urlconf": result.urlconf,
        "assumptions": list(result.assumptions),
        "unresolved": [
            {
                "kind": item.kind,
                "item": item.item,
                "reason": item.reason,
                "path": item.location.path if item.location else None,
                "line": item.location.line if item.location else None,
            }
            for item in result.unresolved
        ],
    }
