"""Rewrite Python source written for a newer interpreter into source the running one parses.

The scanner reads projects with the standard :mod:`ast` of the interpreter it runs on. A
project written for Python 3.12+ (type parameters, ``type`` aliases, PEP 701 f-strings,
3.14's unparenthesised ``except A, B`` and t-strings) does not parse on 3.11, and every
finding in it would disappear. LibCST parses every version's grammar; this module uses it to
*lower* only the constructs the running interpreter rejects, keeping every line where it was
so that findings point at the right line:

- ``def f[T](...)`` / ``class C[T]:`` lose their type parameters;
- ``type X[T] = value`` becomes ``X = value``;
- an f-string or t-string the running :mod:`ast` rejects becomes a call,
  ``__mtlsguard_fstring__(expr, ...)``, of its interpolated expressions (which the analysis
  still sees), padded with the string's line breaks;
- ``except A, B:`` becomes ``except (A, B):``.

Size: the lowering rules and their text edits belong together (about 200 lines).
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

__all__ = ["FSTRING_CALL", "lower_source"]

FSTRING_CALL = "__mtlsguard_fstring__"
"""The name of the call an f-string or t-string is lowered to."""

_STRINGS = (cst.FormattedString, cst.TemplatedString, cst.ConcatenatedString)


@dataclass(frozen=True, slots=True)
class _Edit:
    start: int
    end: int
    text: str


def lower_source(source: str) -> str:
    """``source`` with the constructs the running :mod:`ast` rejects rewritten, lines kept.

    Raises :class:`SyntaxError` when ``source`` is not Python of any version LibCST knows.
    """
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        where = ("<unknown>", exc.raw_line, exc.raw_column + 1, None)
        raise SyntaxError(exc.message, where) from None
    return _Lowering(module).lowered()


def _parses(code: str, mode: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(code, mode=mode)
    except (SyntaxError, ValueError):
        return False
    return True


def _lower_expression(code: str) -> str:
    """An expression's code, lowered when the running :mod:`ast` rejects it."""
    if _parses(f"({code}\n)", "eval"):
        return code
    # The expression is rewritten as the value of a one-line module; its own lines are kept.
    lowered = lower_source(f"_ = ({code}\n)\n")
    return lowered[len("_ = (") : lowered.rindex("\n)")]


class _Lowering(cst.CSTVisitor):
    """Collects the text edits for one module; :meth:`lowered` applies them."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self._module = module
        self._wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self._source = self._wrapper.module.code
        self._line_starts = _line_starts(self._source)
        self._edits: list[_Edit] = []

    def lowered(self) -> str:
        """Apply the collected edits, last first, and return the new source."""
        self._wrapper.visit(self)
        text = self._source
        accepted: list[_Edit] = []
        for edit in sorted(self._edits, key=lambda e: (e.start, -e.end)):
            if accepted and edit.start < accepted[-1].end:
                continue  # inside an edit already made (e.g. a default of a removed parameter)
            accepted.append(edit)
        for edit in reversed(accepted):
            text = text[: edit.start] + edit.text + text[edit.end :]
        return text

    # -- offsets -------------------------------------------------------------------------

    def _span(self, node: cst.CSTNode) -> tuple[int, int]:
        where: CodeRange = self.get_metadata(PositionProvider, node)
        return self._offset(where.start.line, where.start.column), self._offset(
            where.end.line, where.end.column
        )

    def _offset(self, line: int, column: int) -> int:
        return self._line_starts[line - 1] + column

    def _code(self, node: cst.CSTNode) -> str:
        start, end = self._span(node)
        return self._source[start:end]

    # -- PEP 695 / 696: type parameters and aliases ----------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Drop the type parameters; their line breaks move inside the parameter list."""
        if node.type_parameters is not None:
            start, end = self._span(node.type_parameters)
            breaks = self._source.count("\n", start, end)
            paren = self._source.index("(", end)
            self._edits.append(_Edit(start, end, ""))
            if breaks:
                self._edits.append(_Edit(paren + 1, paren + 1, "\n" * breaks))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Drop the type parameters; a class without a base list gets an empty one."""
        if node.type_parameters is not None:
            start, end = self._span(node.type_parameters)
            breaks = "\n" * self._source.count("\n", start, end)
            if isinstance(node.lpar, cst.LeftParen):
                paren = self._source.index("(", end)
                self._edits.append(_Edit(start, end, ""))
                self._edits.append(_Edit(paren + 1, paren + 1, breaks))
            else:
                self._edits.append(_Edit(start, end, f"({breaks})" if breaks else ""))

    def visit_TypeAlias(self, node: cst.TypeAlias) -> None:
        """``type X[T] = value`` -> ``X = value``, padded to the same lines."""
        start, _ = self._span(node)
        value_start, value_end = self._span(node.value)
        breaks = "\n" * self._source.count("\n", start, value_start)
        name = node.name.value
        if breaks:
            self._edits.append(_Edit(start, value_start, f"{name} = ({breaks}"))
            self._edits.append(_Edit(value_end, value_end, ")"))
        else:
            self._edits.append(_Edit(start, value_start, f"{name} = "))

    # -- PEP 701 / 750: f-strings and t-strings ------------------------------------------

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        """Lower the string when the running :mod:`ast` rejects it."""
        return self._string(node, node.parts)

    def visit_TemplatedString(self, node: cst.TemplatedString) -> bool:
        """t-strings are always lowered before 3.14 (the running :mod:`ast` rejects them)."""
        return self._string(node, node.parts)

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> bool:
        """Implicit concatenation is lowered as one string when any part needs it."""
        return self._string(node, _parts_of(node))

    def _string(self, node: cst.CSTNode, parts: Sequence[cst.CSTNode]) -> bool:
        """Record the lowering of ``node`` if the running :mod:`ast` rejects it.

        Always ``False``: the interpolated expressions are lowered with the string (or parse
        as they are), so the visit does not descend into them.
        """
        start, end = self._span(node)
        if _parses(f"({self._source[start:end]}\n)", "eval"):
            return False
        expressions = [_lower_expression(self._code(e)) for e in _expressions(parts)]
        breaks = self._source.count("\n", start, end) - sum(e.count("\n") for e in expressions)
        call = f"{FSTRING_CALL}({', '.join(expressions)}{chr(10) * max(breaks, 0)})"
        self._edits.append(_Edit(start, end, call))
        return False

    # -- PEP 758: except A, B -------------------------------------------------------------

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        """``except A, B:`` -> ``except (A, B):``."""
        self._parenthesise(node.type)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        """``except* A, B:`` -> ``except* (A, B):``."""
        self._parenthesise(node.type)

    def _parenthesise(self, kind: cst.BaseExpression | None) -> None:
        if isinstance(kind, cst.Tuple) and not kind.lpar:
            start, end = self._span(kind)
            self._edits.append(_Edit(start, end, f"({self._source[start:end]})"))


def _parts_of(node: cst.ConcatenatedString) -> list[cst.CSTNode]:
    parts: list[cst.CSTNode] = []
    for side in (node.left, node.right):
        if isinstance(side, cst.ConcatenatedString):
            parts.extend(_parts_of(side))
        elif isinstance(side, cst.FormattedString | cst.TemplatedString):
            parts.extend(side.parts)
    return parts


def _expressions(parts: Sequence[cst.CSTNode]) -> list[cst.BaseExpression]:
    """The interpolated expressions of string parts, format specifications included."""
    found: list[cst.BaseExpression] = []
    for part in parts:
        if isinstance(part, cst.FormattedStringExpression | cst.TemplatedStringExpression):
            found.append(part.expression)
            if part.format_spec:
                found.extend(_expressions(part.format_spec))
    return found


def _line_starts(source: str) -> list[int]:
    starts = [0]
    for index, char in enumerate(source):
        if char == "\n":
            starts.append(index + 1)
    return starts
