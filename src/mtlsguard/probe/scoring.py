"""Score 0-100 and grade A-F, overall and per category (Authentication, BOLA, ...).

Every finding costs points by severity (:data:`PENALTY`); a category's score is 100 minus the
cost of its findings, floored at 0; the overall score is 100 minus the cost of all findings.
Low-confidence findings cost half. A category the run could not test (BOLA without a second
identity, the opt-in credential probes) has no score and does not lift the overall one.
Grades: A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, F below.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from mtlsguard.findings.model import Confidence, Finding, Severity
from mtlsguard.probe.rules import Category, category_of

__all__ = [
    "GRADES",
    "PENALTY",
    "CategoryScore",
    "Score",
    "grade_for",
    "grade_rank",
    "score_findings",
]

PENALTY: Final[dict[Severity, int]] = {
    Severity.CRITICAL: 40,
    Severity.HIGH: 25,
    Severity.MEDIUM: 10,
    Severity.LOW: 5,
    Severity.INFO: 0,
}
GRADES: Final = ("A", "B", "C", "D", "F")
_THRESHOLDS: Final = ((90, "A"), (80, "B"), (70, "C"), (60, "D"))


def grade_for(score: int) -> str:
    """The letter grade of a 0-100 score."""
    for floor, grade in _THRESHOLDS:
        if score >= floor:
            return grade
    return "F"


def grade_rank(grade: str) -> int:
    """0 for A ... 4 for F.

    :raises ValueError: for anything but A-F.
    """
    letter = grade.strip().upper()
    if letter not in GRADES:
        raise ValueError(f"unknown grade {grade!r}; choose one of {', '.join(GRADES)}")
    return GRADES.index(letter)


def _cost(findings: Iterable[Finding]) -> int:
    total = 0
    for finding in findings:
        cost = PENALTY[finding.severity]
        total += cost // 2 if finding.confidence == Confidence.LOW else cost
    return total


@dataclass(frozen=True, slots=True)
class CategoryScore:
    """One category's result."""

    category: Category
    """Which category."""
    score: int | None
    """0-100, or ``None`` when the category was not tested."""
    findings: int
    """How many findings fell in it."""

    @property
    def grade(self) -> str:
        """A-F, or ``n/a`` when not tested."""
        return "n/a" if self.score is None else grade_for(self.score)


@dataclass(frozen=True, slots=True)
class Score:
    """Overall and per-category scores."""

    score: int
    """Overall 0-100."""
    categories: tuple[CategoryScore, ...]
    """Every category, in :class:`Category` order."""

    @property
    def tested(self) -> bool:
        """Whether the run tested any category at all."""
        return any(c.score is not None for c in self.categories)

    @property
    def grade(self) -> str:
        """Overall A-F; ``n/a`` when no category was tested (nothing earned a grade)."""
        return grade_for(self.score) if self.tested else "n/a"

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly form."""
        return {
            "score": self.score,
            "grade": self.grade,
            "categories": {
                c.category.value: {"score": c.score, "grade": c.grade, "findings": c.findings}
                for c in self.categories
            },
        }


def score_findings(findings: Sequence[Finding], tested: Iterable[Category]) -> Score:
    """Score ``findings`` (MG4xx) given the categories the run actually tested."""
    tested_set = set(tested)
    by_category: dict[Category, list[Finding]] = {c: [] for c in Category}
    for finding in findings:
        by_category[category_of(finding.rule_id)].append(finding)
    categories = tuple(
        CategoryScore(
            category,
            max(0, 100 - _cost(items)) if category in tested_set or items else None,
            len(items),
        )
        for category, items in by_category.items()
    )
    return Score(max(0, 100 - _cost(findings)), categories)
