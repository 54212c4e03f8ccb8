"""Static and probe findings merged per route and problem (``scan --probe``), no server needed."""

from __future__ import annotations

from mtlsguard.app.merge import merge_findings
from mtlsguard.findings.model import Confidence, Finding, Route, Severity
from mtlsguard.findings.registry import get_rule
from mtlsguard.probe.rules import load as load_probe_rules
from tests.factories import finding

load_probe_rules()


def static(
    rule_id: str, route: str | None, view: str | None, severity: Severity = Severity.HIGH
) -> Finding:
    """A scanner's finding (medium confidence, at app/views.py:7) for the probe to confirm."""
    return finding(
        rule_id,
        severity,
        confidence=Confidence.MEDIUM,
        route=route,
        view=view,
        evidence=f"{rule_id} evidence",
        methods=("GET",),
    )


def dynamic(rule_id: str, route: str, view: str | None = None) -> Finding:
    return get_rule(rule_id).finding(
        route=route,
        view=view,
        evidence=f"{rule_id} saw it",
        remediation="fix",
        web_request={"method": "GET"},
        web_response={"statusCode": 200},
    )


ROUTES = [
    Route("api/items/", "app.views.Items", None, methods=("GET",)),
    Route("api/items/<int:pk>/", "app.views.Item", None, methods=("GET",)),
    Route("login/", "app.views.login", None, methods=("GET", "POST")),
]


def test_a_probe_finding_confirms_the_static_one_on_its_route() -> None:
    entries = merge_findings(
        [static("MG101", "api/items/<int:pk>/", "app.views.Item")],
        ROUTES,
        [dynamic("MG402", "/api/items/{pk}/"), dynamic("MG404", "/api/items/{pk}/")],
    )
    assert len(entries) == 2
    merged, lone = entries
    assert merged.confirmed
    assert merged.finding.rule_id == "MG101"
    assert merged.finding.severity is Severity.CRITICAL  # MG402's
    assert merged.finding.confidence is Confidence.HIGH
    assert merged.finding.evidence == (
        "static: MG101 evidence (MG101 at app/views.py:7); dynamic: MG402 saw it (MG402)"
    )
    assert merged.finding.web_response == {"statusCode": 200}
    assert (
        merged.finding.fingerprint
        == static("MG101", "api/items/<int:pk>/", "app.views.Item").fingerprint
    )
    # BOLA confirms no static rule here: its own entry, under the Django pattern
    assert not lone.confirmed
    assert (lone.finding.rule_id, lone.finding.route) == ("MG404", "api/items/<int:pk>/")


def test_concrete_paths_views_and_settings_find_their_static_finding() -> None:
    setting = static("MG202", None, None, severity=Severity.LOW)
    by_view = static("MG204", None, "app.views.login")
    entries = merge_findings(
        [static("MG106", "login/", "app.views.login"), by_view, setting],
        ROUTES,
        [dynamic("MG405", "/login/"), dynamic("MG406", "/login/"), dynamic("MG407", "/login/")],
    )
    assert [
        (e.finding.rule_id, e.finding.route, [d.rule_id for d in e.dynamic]) for e in entries
    ] == [
        ("MG106", "login/", ["MG405"]),
        ("MG204", "login/", ["MG406"]),
        ("MG202", "login/", ["MG407"]),
    ]
    assert entries[2].finding.severity is Severity.MEDIUM  # MG407 raised the setting's low


def test_the_most_severe_static_finding_takes_the_confirmation() -> None:
    entries = merge_findings(
        [
            static("MG101", "api/items/", "app.views.Items"),
            static("MG102", "api/items/", "app.views.Items", severity=Severity.CRITICAL),
        ],
        ROUTES,
        [dynamic("MG402", "/api/items/")],
    )
    assert [(e.finding.rule_id, e.confirmed) for e in entries] == [
        ("MG101", False),
        ("MG102", True),
    ]


def test_unmatched_routes_stay_as_they_are() -> None:
    entries = merge_findings(
        [static("MG101", "api/items/", "app.views.Items")], ROUTES, [dynamic("MG402", "/other/")]
    )
    assert [(e.finding.rule_id, e.finding.route, e.confirmed) for e in entries] == [
        ("MG101", "api/items/", False),
        ("MG402", "/other/", False),
    ]
