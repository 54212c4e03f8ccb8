"""The report options of ``scan`` and ``probe``: which formats a run writes, and where.

``-f FORMAT`` with ``-o FILE`` (stdout without it) is the main report; without ``-f`` the
output file's extension picks the format (``-o report.sarif`` writes SARIF, as Semgrep and
Bandit do). ``--sarif-output``/``--json-output``/``--html-output``/``--text-output PATH``
write more formats from the same run (Semgrep's options), so CI can upload SARIF and keep an
HTML report without scanning twice. The display filters (``--severity``/``--confidence``,
Bandit's ``-l``/``-i``) and ``-q``/``-v`` live here too: they decide what a report shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from mtlsguard.cli.formats import ScanFormatChoice, scan_format
from mtlsguard.cli.output import fatal, write
from mtlsguard.findings.model import Confidence, Severity

if TYPE_CHECKING:
    from mtlsguard.findings.assessment import Assessment

__all__ = [
    "EXTRA_OUTPUTS",
    "add_display_arguments",
    "add_report_arguments",
    "format_of",
    "report_targets",
    "wants_html",
    "write_reports",
]

#: The extension of ``-o FILE`` that picks a format when ``-f`` is not given.
_EXTENSIONS: Final = {
    ".sarif": ScanFormatChoice.SARIF,
    ".json": ScanFormatChoice.JSON,
    ".html": ScanFormatChoice.HTML,
    ".htm": ScanFormatChoice.HTML,
    ".txt": ScanFormatChoice.TEXT,
}

#: ``--FORMAT-output PATH`` option names (``sarif_output``) and the format each writes.
EXTRA_OUTPUTS: Final = {
    "sarif_output": ScanFormatChoice.SARIF,
    "json_output": ScanFormatChoice.JSON,
    "html_output": ScanFormatChoice.HTML,
    "text_output": ScanFormatChoice.TEXT,
}

_NAMES: Final = {
    ScanFormatChoice.SARIF: "a SARIF",
    ScanFormatChoice.JSON: "a JSON",
    ScanFormatChoice.HTML: "an HTML",
    ScanFormatChoice.TEXT: "a text",
}


def add_report_arguments(group: Any) -> None:
    """Register ``-f``, ``-o`` and the ``--FORMAT-output`` options on ``group``."""
    group.add_argument(
        "-f",
        "--format",
        choices=[c.value for c in ScanFormatChoice],
        default=None,
        help="report format (default: from the -o file's extension, else text; concise is "
        "one line per finding: path:line:col: ID message)",
    )
    group.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=Path,
        help="write the report to FILE, not stdout (.sarif, .json, .html pick the format)",
    )
    for name, choice in EXTRA_OUTPUTS.items():
        group.add_argument(
            f"--{name.replace('_', '-')}",
            metavar="PATH",
            type=Path,
            help=f"also write {_NAMES[choice]} report to PATH (several formats from one run)",
        )


def add_display_arguments(group: Any) -> None:
    """Register ``--severity``, ``--confidence``, ``-q`` and ``-v`` on ``group``."""
    group.add_argument(
        "--severity",
        metavar="LEVEL",
        choices=[s.label for s in sorted(Severity, reverse=True)],
        type=str.lower,
        help="report only findings at or above LEVEL (critical ... info); what is not shown "
        "does not fail",
    )
    group.add_argument(
        "--confidence",
        metavar="LEVEL",
        choices=[c.label for c in sorted(Confidence, reverse=True)],
        type=str.lower,
        help="report only findings at or above this confidence (high, medium, low)",
    )
    loudness = group.add_mutually_exclusive_group()
    loudness.add_argument(
        "-q", "--quiet", action="store_true", help="no warnings or progress; only the report"
    )
    loudness.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also say which configuration was used, and list every file that was skipped",
    )


def format_of(options: Mapping[str, Any]) -> ScanFormatChoice:
    """The main report's format: ``-f``, else the ``-o`` file's extension, else text."""
    chosen = options.get("format")
    if chosen:
        return ScanFormatChoice(chosen)
    output = options.get("output")
    if output is not None:
        return _EXTENSIONS.get(Path(output).suffix.lower(), ScanFormatChoice.TEXT)
    return ScanFormatChoice.TEXT


def report_targets(options: Mapping[str, Any]) -> list[tuple[ScanFormatChoice, Path | None]]:
    """Every report the run writes: the main one (``None``: stdout), then the extra files.

    Usage errors (two reports to one file) exit 2.
    """
    targets: list[tuple[ScanFormatChoice, Path | None]] = [
        (format_of(options), options.get("output"))
    ]
    for name, choice in EXTRA_OUTPUTS.items():
        path = options.get(name)
        if path is not None:
            targets.append((choice, Path(path)))
    paths = [Path(p).absolute() for _, p in targets if p is not None]
    if len(paths) != len(set(paths)):
        fatal("two reports would be written to the same file; give each its own path")
    return targets


def wants_html(options: Mapping[str, Any]) -> bool:
    """True if one of the reports is HTML (which shows source excerpts)."""
    return any(choice is ScanFormatChoice.HTML for choice, _ in report_targets(options))


def write_reports(options: Mapping[str, Any], assessment: Assessment) -> None:
    """Render ``assessment`` in every format ``options`` ask for and write each."""
    for choice, path in report_targets(options):
        write(path, scan_format(choice, path).render(assessment))
