"""Parse Python source into :mod:`ast`, whatever version of Python runs the scanner.

Every module the scanner reads goes through :func:`parse_python`, so that the syntax the
scanner understands is decided in one place.
"""

from __future__ import annotations

import ast

__all__ = ["parse_python"]


def parse_python(source: str | bytes, filename: str = "<unknown>") -> ast.Module:
    """The module ``source`` as an :class:`ast.Module`.

    Raises :class:`SyntaxError` (or :class:`ValueError` for null bytes / undecodable source)
    when the source is not Python.
    """
    return ast.parse(source, filename=filename)
