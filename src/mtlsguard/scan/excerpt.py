"""Source excerpts for the reports: the lines a finding points at, read safely and bounded.

The report formats never read files (``mtlsguard.report``); the command that ran the scan
reads the excerpts here and hands them over. An excerpt is the finding's line, the decorators
and comments right above it, and the block it opens (up to :data:`MAX_LINES_AFTER` lines).
Only regular files inside the scanned root are read, each once and only up to
:data:`MAX_FILE_BYTES`; long lines are cut; control and bidirectional-override characters are
shown as escapes, so an excerpt cannot hide code from its reader (CVE-2021-42574).
"""

from __future__ import annotations

import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from mtlsguard.findings.assessment import SourceExcerpt
from mtlsguard.findings.model import Finding

__all__ = [
    "MAX_EXCERPTS",
    "MAX_FILE_BYTES",
    "MAX_LINES_AFTER",
    "MAX_LINE_CHARS",
    "SourceExcerpt",
    "read_excerpts",
]

MAX_FILE_BYTES: Final = 2 * 1024 * 1024
"""Files larger than this get no excerpt."""
MAX_EXCERPTS: Final = 300
"""At most this many excerpts per report (one per distinct file and line)."""
MAX_LINES_BEFORE: Final = 4
"""Decorator and comment lines shown above the finding's line."""
MAX_LINES_AFTER: Final = 16
"""Lines of the block shown below the finding's line."""
MAX_LINE_CHARS: Final = 160
"""Longer lines are cut and end in an ellipsis."""

# C0/C1 controls (tab kept) and the Unicode bidi/invisible format characters.
_VISIBLE: Final = {
    code: f"\\x{code:02x}" for code in (*range(0x00, 0x09), *range(0x0A, 0x20), *range(0x7F, 0xA0))
} | {
    code: f"\\u{code:04x}"
    for code in (0x061C, 0x200B, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}
_CLOSERS: Final = (")", "]", "}")


def _visible(line: str) -> str:
    line = line.translate(_VISIBLE)
    return line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 1] + "…"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _excerpt(path: str, lines: list[str], focus: int) -> SourceExcerpt | None:
    index = focus - 1
    if not 0 <= index < len(lines):
        return None
    indent = _indent(lines[index])
    first = index
    while first > 0 and index - first < MAX_LINES_BEFORE:
        above = lines[first - 1]
        if _indent(above) != indent or not above.strip().startswith(("@", "#")):
            break
        first -= 1
    last = index
    cut = False
    while last + 1 < len(lines):
        below = lines[last + 1]
        if below.strip() and _indent(below) <= indent:
            if below.strip().startswith(_CLOSERS) and last - index < MAX_LINES_AFTER:
                last += 1  # the closing bracket of a multi-line statement
            break
        if last - index >= MAX_LINES_AFTER:
            cut = True
            break
        last += 1
    while last > index and not lines[last].strip():
        last -= 1
    shown = tuple(_visible(line) for line in lines[first : last + 1])
    return SourceExcerpt(path, focus, first + 1, shown, cut)


def _read_lines(root: Path, relpath: str) -> list[str] | None:
    if Path(relpath).is_absolute() or "\x00" in relpath:
        return None
    try:
        path = (root / relpath).resolve(strict=True)
        if not path.is_relative_to(root):
            return None  # a symlink or ../ leading out of the scanned tree
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            return None
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except (OSError, RuntimeError, ValueError):
        return None
    if len(data) > MAX_FILE_BYTES:
        return None
    return data.decode("utf-8", errors="replace").splitlines()


def read_excerpts(root: Path, findings: Iterable[Finding]) -> tuple[SourceExcerpt, ...]:
    """Excerpts for the findings' locations under ``root``, at most :data:`MAX_EXCERPTS`.

    A location that cannot be read (missing, outside ``root``, not a regular file, too large,
    line out of range) simply has no excerpt; this never raises for a file.
    """
    try:
        base = root.resolve(strict=True)
    except (OSError, RuntimeError):
        return ()
    files: dict[str, list[str] | None] = {}
    excerpts: dict[tuple[str, int], SourceExcerpt] = {}
    for finding in findings:
        location = finding.location
        if location is None or (location.path, location.line) in excerpts:
            continue
        if len(excerpts) >= MAX_EXCERPTS:
            break
        if location.path not in files:
            files[location.path] = _read_lines(base, location.path)
        lines = files[location.path]
        excerpt = _excerpt(location.path, lines, location.line) if lines else None
        if excerpt is not None:
            excerpts[(location.path, location.line)] = excerpt
    return tuple(excerpts.values())
