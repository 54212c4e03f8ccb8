"""app.probe: when a probe run did its work, and what a grade threshold means without one."""

from __future__ import annotations

from mtlsguard.app.probe import assess_probe, below_grade, incomplete_reason, ungraded_notes
from mtlsguard.probe.coverage import Coverage
from mtlsguard.probe.rules import Category
from mtlsguard.probe.runner import ProbeResult
from mtlsguard.probe.scoring import score_findings


def result(**fields: object) -> ProbeResult:
    values: dict[str, object] = {
        "base_url": "https://app/",
        "findings": (),
        "errors": (),
        "score": score_findings((), {Category.AUTHENTICATION}),
        "phases": ("collection routes", "mTLS enforcement"),
        "observed_routes": True,
        "paths": 3,
        "reached": 3,
    }
    values.update(fields)
    return ProbeResult(**values)  # type: ignore[arg-type]


def test_a_run_that_reached_its_routes_did_its_work() -> None:
    assert incomplete_reason(result()) is None


def test_no_phase_ran() -> None:
    assert incomplete_reason(result(phases=())) == (
        "no probe ran: the rule selection leaves no probe rule"
    )


def test_routes_it_set_out_to_observe_but_did_not() -> None:
    assert "nothing was probed" in (incomplete_reason(result(paths=0, reached=0)) or "")
    assert "no response from the target" in (incomplete_reason(result(reached=0)) or "")


def test_a_sign_in_only_run_is_judged_by_its_phases() -> None:
    signin = result(phases=("sign-in",), observed_routes=False, paths=0, reached=0)
    assert incomplete_reason(signin) is None


def test_nothing_tested_has_no_grade_and_meets_no_threshold() -> None:
    untested = score_findings((), set())
    assert untested.grade == "n/a"
    assert untested.as_dict()["grade"] == "n/a"
    run = result(score=untested)
    assert below_grade(run, "D")
    assert not below_grade(run, None)
    assert not below_grade(result(), "A")  # tested, no finding: grade A


def test_no_grade_for_a_failed_or_barely_covered_run_and_why() -> None:
    failed = result(failure="the target is unreachable (connection failed)")
    assert not failed.graded
    assert ungraded_notes(failed) == (
        "error: the target is unreachable (connection failed); no grade",
    )
    assert incomplete_reason(failed) == "the target is unreachable (connection failed)"
    assert assess_probe(failed, fail_on=None, fail_under=None).grade is None
    skipped = (("/a/{pk}/", "not probed (no ID to fill its parameters)"), ("/b/", "out of budget"))
    thin = result(coverage=Coverage(known=5, probed=3, reached=1, skipped=skipped))
    assert not thin.graded
    assert below_grade(thin, "F")  # no grade meets no threshold
    assert ungraded_notes(thin) == (
        "incomplete: 1 of 5 routes reached; no grade",
        "routes skipped: 1 not probed (no ID to fill its parameters), 1 out of budget",
    )
    assert thin.summary()["grade"] is None
    full = result(coverage=Coverage(known=2, probed=2, reached=2))
    assert full.graded
    assert ungraded_notes(full) == ("coverage: 2 of 2 routes reached",)
    assert assess_probe(full, fail_on=None, fail_under=None).grade is full.score
