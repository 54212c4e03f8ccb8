"""Read the labelled corpus: ``# expect: MG101 MG104`` (positives) / ``# expect: -`` (negative).

A label sits on the line a finding points at: the view's ``def``/``class`` line, the lookup
line for MG104, the setting's line, or the urls.py line for routes to external views.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"
_MARK = "# expect:"


@dataclass(frozen=True)
class Labels:
    positives: frozenset[tuple[str, str, str, int]]
    """(project, rule, path, line)."""
    negatives: frozenset[tuple[str, str, int]]
    """(project, path, line) that must have no finding."""
    view_cases: int
    """Labelled lines (positives and negatives) outside settings modules."""
    settings_cases: int
    """Labelled lines in settings modules."""


def projects() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.is_dir())


def read_labels(project: Path) -> Labels:
    positives: set[tuple[str, str, str, int]] = set()
    negatives: set[tuple[str, str, int]] = set()
    view_cases = settings_cases = 0
    for dirpath, _dirs, files in os.walk(project):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(project).as_posix()
            for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if _MARK not in line:
                    continue
                if "settings" in rel:
                    settings_cases += 1
                else:
                    view_cases += 1
                rules = line.split(_MARK, 1)[1].split()
                if rules == ["-"]:
                    negatives.add((project.name, rel, lineno))
                for rule in rules:
                    if rule != "-":
                        positives.add((project.name, rule, rel, lineno))
    return Labels(frozenset(positives), frozenset(negatives), view_cases, settings_cases)
