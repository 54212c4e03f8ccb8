"""Re-reading one definition of a file (scan.analysis.sources): spans, line numbers, fallbacks."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from mtlsguard.scan.analysis.sources import SourceFunctions
from mtlsguard.scan.static.definitions import DefinitionIndex
from mtlsguard.scan.static.modules import ModuleFiles

SOURCE = textwrap.dedent(
    '''
    import os


    class Helper:
        """A class."""

        def method(
            self,
            request,
        ):
            note = """
    a string at column 0
    """
            return os.path.join(note, "x")

        def other(self):
            return self.method(None)


    def top(request):
        return request.GET.get("q")
    '''
)


def _sources(tmp_path: Path) -> SourceFunctions:
    (tmp_path / "mod.py").write_text(SOURCE)
    return SourceFunctions(str(tmp_path))


def _line(text: str) -> int:
    return next(i for i, row in enumerate(SOURCE.splitlines(), 1) if text in row)


def test_a_method_keeps_the_file_line_numbers(tmp_path: Path) -> None:
    sources = _sources(tmp_path)
    node = sources.node("mod.py", _line("def other"))
    assert node is not None
    assert node.name == "other"
    assert node.lineno == _line("def other")
    assert node.body[0].lineno == _line("return self.method")


def test_a_string_at_column_zero_falls_back_to_the_whole_file(tmp_path: Path) -> None:
    sources = _sources(tmp_path)
    node = sources.node("mod.py", _line("def method"))
    assert node is not None
    assert node.name == "method"
    assert node.end_lineno == _line("return os.path.join")


def test_classes_top_level_functions_and_text_tests(tmp_path: Path) -> None:
    sources = _sources(tmp_path)
    cls = sources.class_node("mod.py", _line("class Helper"))
    assert cls is not None
    assert [n.name for n in cls.body if hasattr(n, "name")] == ["method", "other"]
    assert sources.node("mod.py", _line("class Helper")) is None  # a class is not a function
    top = sources.node("mod.py", _line("def top"))
    assert top is not None
    assert top.lineno == _line("def top")
    assert sources.mentions("mod.py", _line("def top"), ("request.GET",))
    assert not sources.mentions("mod.py", _line("def other"), ("request.GET",))
    assert sources.node("mod.py", 1) is None
    assert sources.node("missing.py", 3) is None


def test_files_outside_the_root_are_not_read(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside.py").write_text("def f():\n    return 1\n")
    assert SourceFunctions(str(root)).node("../outside.py", 1) is None


# --- definitions the front-end already parsed (static.definitions.DefinitionIndex) ------------

DECORATED = textwrap.dedent(
    """
    import functools


    def deco(f):
        return f


    class View:
        @deco
        @functools.wraps(deco)
        def get(self, request):
            if request.user.is_staff:
                return request.GET["x"]
            return None


    @deco
    def page(request):
        return request.user
    """
)


def _parsed(tmp_path: Path, source: bytes) -> tuple[SourceFunctions, SourceFunctions]:
    """The same file re-read with and without the front-end's parsed module."""
    (tmp_path / "views.py").write_bytes(source)
    files = ModuleFiles(tmp_path)
    assert files.load("views") is not None
    return SourceFunctions(str(tmp_path), DefinitionIndex(files)), SourceFunctions(str(tmp_path))


def _line_of(source: bytes, text: str) -> int:
    return next(i for i, row in enumerate(source.splitlines(), 1) if text.encode() in row)


def _dump(node: ast.AST | None) -> str | None:
    return None if node is None else ast.dump(node, include_attributes=True)


def test_a_parsed_definition_is_the_node_a_parse_of_its_lines_gives(tmp_path: Path) -> None:
    source = DECORATED.encode()
    reused, parsed = _parsed(tmp_path, source)
    for text in ("def get", "def page"):
        line = _line_of(source, text)
        node = reused.node("views.py", line)
        assert node is not None
        assert node.decorator_list == []  # the lines re-read start at ``def``
        assert _dump(node) == _dump(parsed.node("views.py", line))
    line = _line_of(source, "class View")
    assert _dump(reused.class_node("views.py", line)) == _dump(parsed.class_node("views.py", line))
    # The module's own statement keeps its decorators (the copy is the rule's, not the tree's).
    assert reused.parsed is not None
    statement = reused.parsed("views.py", _line_of(source, "def page"))
    assert isinstance(statement, ast.FunctionDef)
    assert len(statement.decorator_list) == 1
    # A module the front-end never parsed is not answered from.
    assert DefinitionIndex(ModuleFiles(tmp_path))("views.py", _line_of(source, "def page")) is None


def test_a_file_the_parser_reads_otherwise_is_parsed_again(tmp_path: Path) -> None:
    # A form feed breaks a line for str.splitlines, not for the tokenizer; a latin-1 cookie
    # decodes bytes otherwise than the re-reading does: both take the parse of the lines.
    for source in (
        DECORATED.replace("import functools", "import functools\x0c").encode(),
        b"# -*- coding: latin-1 -*-\n" + DECORATED.replace("x", "\xe9").encode("latin-1"),
    ):
        reused, parsed = _parsed(tmp_path, source)
        line = _line_of(source, "def page")
        assert "views.py" not in reused._plain
        assert _dump(reused.node("views.py", line)) == _dump(parsed.node("views.py", line))
    plain, _ = _parsed(tmp_path, b"# -*- coding: utf-8 -*-\n" + DECORATED.encode())
    plain.node("views.py", 2)
    assert "views.py" in plain._plain


def test_a_parsed_definition_leaves_the_spans_a_parse_of_its_lines_would(tmp_path: Path) -> None:
    # SOURCE's method holds a string at column 0: the parse of its indented lines fails, the
    # whole file is parsed and its spans serve the text tests that follow (the class's text
    # then runs to its last line, not to the string). Taking the front-end's statement must
    # learn them too.
    source = SOURCE.encode()
    reused, parsed = _parsed(tmp_path, source)
    method, helper = _line_of(source, "def method"), _line_of(source, "class Helper")
    for sources in (reused, parsed):
        assert sources.node("views.py", method) is not None
        assert sources.mentions("views.py", helper, ("self.method(None)",))
    assert reused._files["views.py"][1] == parsed._files["views.py"][1] != {}
    fresh, _ = _parsed(tmp_path, source)
    assert not fresh.mentions("views.py", helper, ("self.method(None)",))  # indentation only
    other = _line_of(source, "def other")
    assert _dump(reused.node("views.py", other)) == _dump(parsed.node("views.py", other))
