"""Re-reading one definition of a file (scan.analysis.sources): spans, line numbers, fallbacks."""

from __future__ import annotations

import textwrap
from pathlib import Path

from mtlsguard.scan.analysis.sources import SourceFunctions

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
