"""Modules stay small enough to read in one sitting (STYLE.md), unless they say why not.

A module over :data:`MAX_LINES` lines must state the reason in its docstring, on a line that
starts with ``Size:``. Cyclomatic complexity is ruff's job (``C901``, max 25, in
pyproject.toml), so ``ruff check`` in CI fails on a function that grows too branchy.
"""

from __future__ import annotations

import ast
from pathlib import Path

import mtlsguard

MAX_LINES = 450
SRC = Path(mtlsguard.__file__).parent


def _states_a_reason(path: Path) -> bool:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return any(line.strip().startswith("Size:") for line in doc.splitlines())


def oversized(root: Path) -> list[str]:
    """Modules under ``root`` over the limit without a stated reason."""
    found = []
    for path in sorted(root.rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and not _states_a_reason(path):
            found.append(f"{path.relative_to(root.parent)}: {lines} lines")
    return found


def test_no_module_is_over_the_limit_without_a_reason() -> None:
    assert oversized(SRC) == []


def test_the_size_check_sees_a_long_module_and_accepts_a_reason(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    body = "\n".join(f"x{i} = {i}" for i in range(MAX_LINES + 1))
    (package / "long.py").write_text(f'"""A long module."""\n{body}\n', encoding="utf-8")
    assert oversized(package) == [f"pkg/long.py: {MAX_LINES + 2} lines"]
    reason = '"""A long module.\n\nSize: one table of every proxy; splitting it hides none.\n"""\n'
    (package / "long.py").write_text(reason + body + "\n", encoding="utf-8")
    assert oversized(package) == []
