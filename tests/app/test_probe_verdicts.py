"""app.probe: when a probe run did its work, and what a grade threshold means without one."""

from __future__ import annotations

from mtlsguard.app.probe import below_grade, incomplete_reason
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
