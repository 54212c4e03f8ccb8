"""How every command talks to the terminal: errors, warnings, reports written to a file or stdout.

One ``fatal`` for every command (``mtlsguard: error: ...`` on stderr and exit code 2), one
``write`` that never loses a report to an unencodable character, one rule for colour.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import NoReturn

from mtlsguard.cli.exit_codes import EXIT_ERROR

__all__ = ["fatal", "internal_error", "terminal_width", "wants_color", "warn", "write"]


def fatal(message: str) -> NoReturn:
    """Print ``message`` as an error and exit with :data:`EXIT_ERROR`."""
    print(f"mtlsguard: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_ERROR)


def internal_error(exc: Exception) -> NoReturn:
    """A bug reached the user: one line and :data:`EXIT_ERROR`, never a traceback.

    ``MTLSGUARD_DEBUG=1`` raises ``exc`` again, so the traceback can be reported.
    """
    if os.environ.get("MTLSGUARD_DEBUG"):
        raise exc
    fatal(
        f"internal error: {type(exc).__name__}: {exc} "
        "(please report it; MTLSGUARD_DEBUG=1 shows the traceback)"
    )


def warn(message: str) -> None:
    """Print ``message`` on stderr (``mtlsguard: ...``)."""
    print(f"mtlsguard: {message}", file=sys.stderr)


def wants_color(output: Path | None) -> bool:
    """Colour only for a terminal on stdout, and never under ``NO_COLOR``."""
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def terminal_width(output: Path | None, default: int) -> int:
    """The terminal's width when writing to it, else ``default``."""
    if output is None and sys.stdout.isatty():
        return shutil.get_terminal_size((default, 24)).columns
    return default


def write(path: Path | None, text: str, what: str = "the report") -> None:
    """Write ``text`` to ``path``, or to stdout when ``path`` is ``None``.

    A terminal that cannot show a character of a path or an excerpt gets it escaped; a file
    that cannot be written is a fatal error naming it.
    """
    if path is None:
        try:
            sys.stdout.write(text)
        except UnicodeEncodeError:
            encoding = sys.stdout.encoding or "ascii"
            sys.stdout.flush()
            sys.stdout.buffer.write(text.encode(encoding, errors="backslashreplace"))
        sys.stdout.flush()
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fatal(f"cannot write {what} to {path}: {exc.strerror or exc}")
