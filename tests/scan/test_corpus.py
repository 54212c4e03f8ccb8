"""Precision and recall of the static scanner over the labelled corpus (acceptance: >= 0.95)."""

from __future__ import annotations

import pytest

from mtlsguard.scan.engine import scan_project
from tests.scan.corpus_labels import projects, read_labels

MIN_VIEW_CASES = 80
MIN_SETTINGS_CASES = 12


Item = tuple[str, str, str, int]
Evaluation = tuple[set[Item], set[Item], tuple[int, int]]


def _evaluate() -> Evaluation:
    expected: set[Item] = set()
    found: set[Item] = set()
    view_cases = settings_cases = 0
    for project in projects():
        labels = read_labels(project)
        view_cases += labels.view_cases
        settings_cases += labels.settings_cases
        expected |= labels.positives
        result = scan_project(project)
        assert result.errors == (), (project.name, result.errors)
        for finding in result.findings:
            assert finding.location is not None
            found.add((project.name, finding.rule_id, finding.location.path, finding.location.line))
    return expected, found, (view_cases, settings_cases)


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    return _evaluate()


def test_corpus_is_large_enough(evaluation: Evaluation) -> None:
    expected, _found, (view_cases, settings_cases) = evaluation
    assert view_cases >= MIN_VIEW_CASES
    assert settings_cases >= MIN_SETTINGS_CASES
    assert len(expected) >= 40


def test_precision_and_recall_at_least_095(evaluation: Evaluation) -> None:
    expected, found, _cases = evaluation
    true_pos = expected & found
    false_pos = sorted(found - expected)
    false_neg = sorted(expected - found)
    precision = len(true_pos) / len(found) if found else 0.0
    recall = len(true_pos) / len(expected) if expected else 0.0
    print(f"corpus: precision={precision:.3f} recall={recall:.3f} tp={len(true_pos)}")
    assert precision >= 0.95, f"false positives: {false_pos}"
    assert recall >= 0.95, f"false negatives: {false_neg}"


def test_labelled_negatives_have_no_findings(evaluation: Evaluation) -> None:
    _expected, found, _cases = evaluation
    negatives = set()
    for project in projects():
        negatives |= read_labels(project).negatives
    hits = sorted(f for f in found if (f[0], f[2], f[3]) in negatives)
    assert hits == []


def test_every_rule_is_exercised_by_the_corpus(evaluation: Evaluation) -> None:
    from mtlsguard.scan.rules import static_rules

    expected, _found, _cases = evaluation
    labelled = {rule for _p, rule, _path, _line in expected}
    assert {r.rule_id for r in static_rules()} <= labelled
