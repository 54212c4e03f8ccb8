from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.app.config import ProjectConfig
from mtlsguard.app.triage import triage_scan
from mtlsguard.findings.model import Confidence, Finding, Location, ScanResult, Severity
from mtlsguard.scan.suppression import (
    SUPPRESSION_WITHOUT_REASON,
    apply_suppressions,
    parse_suppression_comments,
)
from tests.budget import secondary

VIEWS = """\
from django.http import HttpResponse


@api_view(["GET"])  # mtlsguard: ignore[MG101] -- public liveness probe
@permission_classes([AllowAny])
def health(request):
    return HttpResponse("ok")


@api_view(["GET"])
def status(  # mtlsguard: ignore[MG101, MG102] -- status page, no data
    request,
):
    return HttpResponse("up")


@api_view(["GET"])  # mtlsguard: ignore[MG101]
def orders(request):
    return HttpResponse("orders")


def reports(request):  # mtlsguard: ignore[MG999] -- wrong rule
    text = "# mtlsguard: ignore[MG101] -- inside a string, not a comment"
    return HttpResponse(text)


class Billing(View):  # mtlsguard:ignore[mg101]--   billing is internal-only
    pass

# mtlsguard: ignore[MG101] -- a comment far away from any view
def far(request):
    pass
"""

SETTINGS = """\
AUTH_PASSWORD_VALIDATORS = [  # mtlsguard: ignore[MG201] -- SSO only, no passwords
]
SESSION_COOKIE_AGE = (
    60 * 60 * 24 * 365  # mtlsguard: ignore[MG202] -- kiosk devices
)
"""


def line_of(source: str, needle: str) -> int:
    for number, line in enumerate(source.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def finding(rule_id: str, path: str, line: int, view: str | None = None) -> Finding:
    return Finding(
        rule_id=rule_id,
        title="t",
        cwe="CWE-306",
        severity=Severity.HIGH,
        confidence=Confidence.HIGH,
        location=Location(path, line),
        view=view,
        route="r/" if view else None,
    )


def project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text(VIEWS, encoding="utf-8")
    (tmp_path / "app" / "settings.py").write_text(SETTINGS, encoding="utf-8")
    return tmp_path


def test_suppressions_with_reason_on_decorator_or_def_lines(tmp_path: Path) -> None:
    root = project(tmp_path)
    views = "app/views.py"
    health = finding("MG101", views, line_of(VIEWS, "def health"), "app.views.health")
    status = finding("MG102", views, line_of(VIEWS, "def status"), "app.views.status")
    billing = finding("MG101", views, line_of(VIEWS, "class Billing"), "app.views.Billing")
    weak = finding("MG201", "app/settings.py", 1)
    cookie = finding("MG202", "app/settings.py", 3)
    result = ScanResult(root=str(root), findings=(health, status, billing, weak, cookie))
    outcome = apply_suppressions(result, root)
    assert outcome.result.findings == ()
    reasons = {s.finding.view or s.finding.rule_id: s.reason for s in outcome.suppressed}
    assert reasons == {
        "app.views.health": "public liveness probe",
        "app.views.status": "status page, no data",
        "app.views.Billing": "billing is internal-only",
        "MG201": "SSO only, no passwords",
        "MG202": "kiosk devices",
    }
    assert outcome.suppressed[0].line == line_of(VIEWS, "public liveness probe")


def test_suppression_without_reason_does_not_suppress_and_is_reported(tmp_path: Path) -> None:
    root = project(tmp_path)
    orders = finding("MG101", "app/views.py", line_of(VIEWS, "def orders"), "app.views.orders")
    twin = finding("MG101", "app/views.py", line_of(VIEWS, "def orders"), "app.views.orders")
    outcome = apply_suppressions(ScanResult(root=str(root), findings=(orders, twin)), root)
    assert outcome.suppressed == ()
    kept = outcome.result.findings
    assert kept[:2] == (orders, twin)
    (reported,) = kept[2:]  # one report per comment, however many findings it targets
    assert reported.rule_id == SUPPRESSION_WITHOUT_REASON.rule_id == "MG001"
    assert reported.location == Location("app/views.py", line_of(VIEWS, "def orders") - 1)
    assert reported.view == "app.views.orders"
    assert "-- " in reported.remediation


def test_wrong_rule_strings_and_distant_comments_do_not_suppress(tmp_path: Path) -> None:
    root = project(tmp_path)
    reports = finding("MG101", "app/views.py", line_of(VIEWS, "def reports"), "app.views.reports")
    far = finding("MG101", "app/views.py", line_of(VIEWS, "def far"), "app.views.far")
    outcome = apply_suppressions(ScanResult(root=str(root), findings=(reports, far)), root)
    assert outcome.result.findings == (reports, far)
    assert outcome.suppressed == ()


def test_unreadable_or_unparsable_files_suppress_by_line_or_not_at_all(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text(
        "def x(:  # mtlsguard: ignore[MG101] -- legacy\n", encoding="utf-8"
    )
    (tmp_path / "latin.py").write_bytes(b"# \xff\ndef y(): pass  # mtlsguard: ignore[MG101] -- r\n")
    findings = (
        finding("MG101", "broken.py", 1, "broken.x"),
        finding("MG101", "latin.py", 2, "latin.y"),
        finding("MG101", "missing.py", 1, "missing.z"),
        finding("MG101", "../outside.py", 1, "outside"),
    )
    outcome = apply_suppressions(ScanResult(root=str(tmp_path), findings=findings), tmp_path)
    assert [s.finding.view for s in outcome.suppressed] == ["broken.x"]
    assert [f.view for f in outcome.result.findings] == ["latin.y", "missing.z", "outside"]


def test_triage_applies_config_before_suppressions(tmp_path: Path) -> None:
    root = project(tmp_path)
    orders = finding("MG101", "app/views.py", line_of(VIEWS, "def orders"), "app.views.orders")
    raw = ScanResult(root=str(root), findings=(orders,), files_scanned=1)
    # excluded: neither the finding nor the reason-less suppression is reported
    triaged = triage_scan(raw, root, ProjectConfig(exclude=("app/**",)))
    assert triaged.result.findings == ()
    triaged = triage_scan(raw, root, ProjectConfig())
    assert [f.rule_id for f in triaged.result.findings] == ["MG101", "MG001"]


def test_comment_parser() -> None:
    comments = parse_suppression_comments(
        "x = 1  # mtlsguard: ignore[MG101,mg3] -- a -- b\n"
        "y = 2  # mtlsguard: ignore[] -- empty list\n"
        "z = 3  # mtlsguard: ignore[not an id] -- nope\n"
        "w = 4  # noqa  # mtlsguard: ignore[MG2]  --   \n"
    )
    # before: a misspelt id dropped the whole comment silently; now it is kept (it suppresses
    # nothing) so that MG002 reports it
    assert [(c.line, sorted(c.rule_ids), c.reason) for c in comments] == [
        (1, ["MG101", "MG3"], "a -- b"),
        (3, ["NOT AN ID"], "nope"),
        (4, ["MG2"], ""),
    ]


def test_unused_and_unknown_suppressions_are_reported(tmp_path: Path) -> None:
    from mtlsguard.findings.model import Confidence, Finding, Location, ScanResult, Severity
    from mtlsguard.scan.suppression import RuleIds, apply_suppressions

    (tmp_path / "views.py").write_text(
        "def a(request):  # mtlsguard: ignore[MG101] -- public\n"
        "    pass\n"
        "def b(request):  # mtlsguard: ignore[MG101, MG1O1] -- stale\n"
        "    pass\n"
        "def c(request):  # mtlsguard: ignore[MG205] -- rule did not run\n"
        "    pass\n",
        encoding="utf-8",
    )
    finding = Finding(
        "MG101", "t", "CWE-306", Severity.HIGH, Confidence.HIGH, Location("views.py", 1)
    )
    result = ScanResult(root=str(tmp_path), findings=(finding,), files_scanned=1)
    ids = RuleIds(known=frozenset({"MG101", "MG205", "MG002"}), ran=frozenset({"MG101"}))
    outcome = apply_suppressions(result, tmp_path, rule_ids=ids)
    assert len(outcome.suppressed) == 1
    reported = [(f.rule_id, f.location.line, f.evidence) for f in outcome.result.findings]
    assert reported == [
        ("MG002", 3, "ignore[MG101]: MG101 reported nothing here"),
        ("MG002", 3, "ignore[MG1O1]: no rule has the id MG1O1"),
    ]
    # without the rule ids (before), nothing is said
    assert apply_suppressions(result, tmp_path).result.findings == ()


@secondary()
@given(st.text(max_size=300))
def test_comment_parser_never_crashes(source: str) -> None:
    for comment in parse_suppression_comments(source):
        assert comment.rule_ids
        assert comment.reason == comment.reason.strip()
        assert 1 <= comment.line <= source.count("\n") + source.count("\r") + 1


@secondary()
@given(st.text(max_size=200), st.integers(min_value=-3, max_value=50))
def test_apply_suppressions_on_arbitrary_sources(source: str, line: int) -> None:
    target = finding("MG101", "f.py", line, "f.view")
    outcome = apply_suppressions(
        ScanResult(root="/nowhere", findings=(target,)),
        Path("/nowhere"),
        read_source=lambda _root, _path: source,
    )
    assert len(outcome.suppressed) + sum(f is target for f in outcome.result.findings) == 1
    assert all(f.rule_id in {"MG101", "MG001"} for f in outcome.result.findings)
