"""Parse Python source into :mod:`ast`, whatever version of Python runs the scanner.

Every module the scanner reads goes through :func:`parse_python`, so that the syntax the
scanner understands is decided in one place. Source the running interpreter rejects is
parsed again with LibCST, which knows every version's grammar, and the newer constructs are
lowered (:mod:`mtlsguard.scan.static.lowering`) with their lines kept: a project written for
Python 3.14 is scanned in full by a scanner running on 3.11. Source of an older Python whose
names became keywords (``async``/``await`` before 3.7: Cadasta's URLconf builds a list named
``async``) is parsed with that grammar (``feature_version``), exactly, nothing rewritten.
"""

from __future__ import annotations

import ast
import importlib.util
import warnings

__all__ = ["parse_module", "parse_python"]

_OLDEST = (3, 6)
"""The grammar tried when the running interpreter's fails: ``async`` and ``await`` are names."""


def parse_python(source: str | bytes, filename: str = "<unknown>") -> ast.Module:
    """The module ``source`` as an :class:`ast.Module`.

    Raises :class:`SyntaxError` (or :class:`ValueError` for null bytes / undecodable source)
    when the source is not Python of any version; the error is the running interpreter's.
    Warnings the compiler emits about the source (invalid escape sequences, ...) are the
    project's business, not the scan's output, and are silenced.
    """
    return parse_module(source, filename)[0]


def parse_module(source: str | bytes, filename: str = "<unknown>") -> tuple[ast.Module, bool]:
    """:func:`parse_python`, and whether the source had to be lowered (a newer Python's)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(source, filename=filename), False
        except SyntaxError as error:
            try:
                return ast.parse(source, filename=filename, feature_version=_OLDEST), False
            except SyntaxError:
                pass
            lowered = _lowered(source)
            if lowered is None:
                raise
            try:
                return ast.parse(lowered, filename=filename), True
            except SyntaxError:
                raise error from None


def _lowered(source: str | bytes) -> str | None:
    """``source`` rewritten for the running interpreter, or ``None`` if it is not Python."""
    from mtlsguard.scan.static.lowering import lower_source  # LibCST loads only when needed

    try:
        text = importlib.util.decode_source(source) if isinstance(source, bytes) else source
        return lower_source(text)
    except Exception:  # not Python, or a LibCST defect: the interpreter's error stands
        return None
