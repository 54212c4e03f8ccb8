"""Syntax trees of project functions and classes, re-read from their files for a rule.

The project model keeps facts, not syntax trees; a rule that needs a question the facts do not
answer (which collections a handler lists, what a serializer's ``Meta`` says) re-reads the
definition. Each file is parsed once per :class:`SourceFunctions`, only when a rule asks about
one of its definitions, and a definition's text can be tested first (:meth:`mentions`) so that
most of them are never walked.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable
from pathlib import Path

from mtlsguard.scan.facts.syntax import FunctionNode
from mtlsguard.scan.project_model import ProjectModel

__all__ = ["MAX_FILE_BYTES", "SourceFunctions", "project_sources"]

_COOKIE = re.compile(rb"coding[:=][ \t]*([-\w.]+)")
_UTF8 = frozenset({b"utf-8", b"utf8", b"utf_8"})
_ASCII_SUPERSETS = frozenset(
    {b"ascii", b"us-ascii", b"latin-1", b"latin1", b"iso-8859-1", b"iso8859-1", b"cp1252"}
)
"""Encodings that read ASCII bytes as UTF-8 does (a cookie naming another one: parse again)."""
_OTHER_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
"""Where ``str.splitlines`` breaks a line and the tokenizer does not."""

MAX_FILE_BYTES = 2 * 1024 * 1024
"""Larger files are not re-read."""

Definition = FunctionNode | ast.ClassDef
Span = tuple[int, int, int]
"""First line of the ``def``/``class`` (decorators excluded), its last line, its indentation."""


def _spans(tree: ast.Module) -> dict[int, Span]:
    """Functions and classes by line, statements only (expressions are never visited)."""
    found: dict[int, Span] = {}
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found[node.lineno] = (node.lineno, node.end_lineno or node.lineno, node.col_offset)
        for name in ("body", "orelse", "finalbody", "handlers"):
            stack.extend(getattr(node, name, ()))
    return found


class SourceFunctions:
    """Definitions of the scanned tree, read from their files (each file once).

    Only a file's lines are kept, never its whole syntax tree (a large views module's tree
    weighs tens of megabytes): a definition asked for is found by indentation and parsed from
    its own lines, with its line numbers as in the file; the whole file is parsed only when
    that fails (a string starting at column 0 inside the block).
    """

    def __init__(self, root: str, parsed: Callable[[str, int], object] | None = None) -> None:
        self.root = Path(root).resolve()
        self.parsed = parsed
        """The front-end's statement at (path, line) of a module it parsed, if it has one: the
        same node as a parse of the definition's lines, once its decorators are left out."""
        self._plain: set[str] = set()
        """Files whose text (decoded here) is the parser's, line for line."""
        self._files: dict[str, tuple[list[str], dict[int, Span]]] = {}
        self._nodes: dict[tuple[str, int], Definition | None] = {}
        self._texts: dict[tuple[str, int], str] = {}
        self._answers: dict[tuple[str, int, tuple[str, ...]], bool] = {}
        self._indented_spans: dict[tuple[str, int], Span | None] = {}
        self._parsed: set[str] = set()
        """Files parsed whole (once at most)."""

    def node(self, path: str, line: int) -> FunctionNode | None:
        """The function defined at ``line`` of ``path`` (relative to the root), if any."""
        found = self._definition(path, line)
        return None if isinstance(found, ast.ClassDef) else found

    def class_node(self, path: str, line: int) -> ast.ClassDef | None:
        """The class defined at ``line`` of ``path``, if any."""
        found = self._definition(path, line)
        return found if isinstance(found, ast.ClassDef) else None

    def mentions(self, path: str, line: int, words: tuple[str, ...]) -> bool:
        """The text of the definition at ``line`` contains one of ``words`` (memoised).

        A rule asks again for every route of a view (pretix: 4,600 questions, 3,600 distinct).
        """
        question = (path, line, words)
        answer = self._answers.get(question)
        if answer is None:
            key = (path, line)
            text = self._texts.get(key)
            if text is None:
                lines, spans = self._read(path)
                span = spans.get(line) or self._indented(path, lines, line)
                text = "\n".join(lines[span[0] - 1 : span[1]]) if span is not None else ""
                self._texts[key] = text
            answer = self._answers[question] = any(word in text for word in words)
        return answer

    def module_tree(self, path: str) -> ast.Module | None:
        """The whole syntax tree of the file ``path`` (relative to the root), or None.

        For a question about a module's top level (a registry a middleware reads), not a
        definition; the file is read once, with the same limits as the definitions.
        """
        lines = self._read(path)[0]
        if not lines:
            return None
        try:
            return ast.parse("\n".join(lines))
        except (SyntaxError, ValueError):
            return None

    def _indented(self, path: str, lines: list[str], line: int) -> Span | None:
        """:func:`_indented_span`, found once per definition (its text, then its node)."""
        key = (path, line)
        if key not in self._indented_spans:
            self._indented_spans[key] = _indented_span(lines, line)
        return self._indented_spans[key]

    def _definition(self, path: str, line: int) -> Definition | None:
        key = (path, line)
        if key not in self._nodes:
            self._nodes[key] = self._parse_definition(path, line)
        return self._nodes[key]

    def _parse_definition(self, path: str, line: int) -> Definition | None:
        lines, spans = self._read(path)
        span = spans.get(line) or self._indented(path, lines, line)
        found = self.parsed(path, line) if self.parsed and path in self._plain else None
        if isinstance(found, Definition):
            # What a parse of its lines gives (they start at ``def``/``class``); and the file's
            # spans are learnt when that parse would have needed the whole file, as below.
            if path not in self._parsed and _first_parse_fails(lines, span, found):
                self._parsed.add(path)
                spans.update(self._spans(path))
            undecorated = copy.copy(found)
            undecorated.decorator_list = []
            return undecorated
        node = _parse_span(lines, span) if span is not None else None
        if node is None and lines and path not in self._parsed:
            # A string at column 0 ends an indentation-based span early: ask the whole file.
            self._parsed.add(path)
            spans.update(self._spans(path))
            span = spans.get(line)
            node = _parse_span(lines, span) if span is not None else None
        return node

    def _read(self, path: str) -> tuple[list[str], dict[int, Span]]:
        """The file's lines, and the spans learnt so far (none until a full parse)."""
        if path not in self._files:
            file = (self.root / path).resolve()
            try:
                if not file.is_relative_to(self.root) or file.stat().st_size > MAX_FILE_BYTES:
                    raise ValueError(path)
                data = file.read_bytes()
                text = data.decode("utf-8", "replace")
            except (OSError, ValueError):
                data, text = b"", ""
            lines = text.splitlines()
            if text and _as_parsed(data, text, lines):
                self._plain.add(path)
            self._files[path] = (lines, {})
        return self._files[path]

    def _spans(self, path: str) -> dict[int, Span]:
        lines = self._read(path)[0]
        try:
            return _spans(ast.parse("\n".join(lines)))
        except (SyntaxError, ValueError):
            return {}


def _first_parse_fails(lines: list[str], span: Span | None, found: Definition) -> bool:
    """:func:`_parse_span` of ``span`` gives no node (``found`` is the definition there).

    A span reaching the definition's last line, with nothing but blank and comment lines
    after it, parses; any other is parsed to tell.
    """
    if span is None:
        return True
    end = found.end_lineno or found.lineno
    tail = lines[end : span[1]]
    if span[1] >= end and all(not row.strip() or row.lstrip().startswith("#") for row in tail):
        return False
    return _parse_span(lines, span) is None


def _as_parsed(data: bytes, text: str, lines: list[str]) -> bool:
    """``lines`` are the lines the parser reads from ``data``, each with the same text.

    UTF-8 (or ASCII) without a byte-order mark or another encoding's cookie, and no line
    break but LF, CR LF and CR (``str.splitlines`` also breaks at form feeds and more).
    """
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    if text[-1] in _OTHER_BREAKS or len(lines) != breaks + (text[-1] not in "\n\r"):
        return False
    first = data.find(b"\n")
    second = data.find(b"\n", first + 1) if first >= 0 else -1
    cookie = _COOKIE.search(data if second < 0 else data[:second])
    encoding = cookie.group(1).lower() if cookie else b"utf-8"
    if data.isascii():
        return encoding in _UTF8 or encoding in _ASCII_SUPERSETS
    if data.startswith(b"\xef\xbb\xbf") or encoding not in _UTF8:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _indented_span(lines: list[str], line: int) -> Span | None:
    """The lines of the block opened at ``line``, by indentation (a whole-file parse is dear)."""
    if not 0 < line <= len(lines):
        return None
    head = lines[line - 1]
    indent = len(head) - len(head.lstrip())
    stripped = head.lstrip()
    if not stripped.startswith(("def ", "async def ", "class ")):
        return None
    last = line
    depth = 0
    for number in range(line, len(lines) + 1):
        row = lines[number - 1]
        body = row.strip()
        if not body:
            continue  # a blank line neither ends the block nor opens a bracket
        if (
            depth == 0
            and number > line
            and not body.startswith("#")
            and len(row) - len(row.lstrip()) <= indent
        ):
            break
        if "(" in row or "[" in row or "{" in row or ")" in row or "]" in row or "}" in row:
            depth += row.count("(") + row.count("[") + row.count("{")
            depth -= row.count(")") + row.count("]") + row.count("}")
            depth = max(depth, 0)
        last = number
    return line, last, indent


def _parse_span(lines: list[str], span: Span) -> Definition | None:
    """Parse the lines of ``span``, keeping the file's line numbers (blank lines above)."""
    first, last, indent = span
    text = "\n".join(lines[first - 1 : last])
    if indent and first > 1:
        # A method keeps its indentation under an ``if`` (a string may start at column 0).
        text = "\n" * (first - 2) + "if 1:\n" + text
    elif not indent:
        text = "\n" * (first - 1) + text
    else:
        return None
    try:
        module = ast.parse(text)
    except SyntaxError:
        return None
    body: list[ast.stmt] = module.body
    if indent and body and isinstance(body[0], ast.If):
        body = body[0].body
    node = body[0] if body else None
    return node if isinstance(node, Definition) else None


def project_sources(project: ProjectModel) -> SourceFunctions:
    """The project's one :class:`SourceFunctions`, kept in ``project.memo``.

    Shared by the rules (:meth:`mtlsguard.scan.context.RuleContext.sources`) and the analyses
    that re-read a definition, so each file is read once; with the runtime front-end, which
    keeps no parsed modules (no ``parsed_definition``), definitions are read from their files.
    """
    found = project.memo.get(_SOURCES)
    if not isinstance(found, SourceFunctions):
        found = project.memo[_SOURCES] = SourceFunctions(project.root, project.parsed_definition)
    return found


_SOURCES = ("sources",)
