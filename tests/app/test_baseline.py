from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.app.baseline import (
    BaselineError,
    BaselineKind,
    dump_baseline,
    findings_baseline,
    load_baseline,
    parse_baseline,
    route_keys,
    routes_baseline,
)
from mtlsguard.app.config import ProjectConfig
from mtlsguard.app.triage import triage_routes, triage_scan
from mtlsguard.findings.model import (
    Location,
    Protection,
    Route,
    ScanResult,
    Severity,
)
from tests.budget import secondary
from tests.factories import finding

OPEN_VIEW = finding(
    "MG101",
    title="open",
    location=Location("shop/views.py", 10),
    route="orders/<int:pk>/",
    view="shop.views.OrderView",
)
WEAK = finding(
    "MG201",
    Severity.MEDIUM,
    title="weak validators",
    cwe="CWE-521",
    location=Location("shop/settings.py", 40),
)


def test_findings_baseline_round_trip_through_a_file(tmp_path: Path) -> None:
    baseline = findings_baseline([OPEN_VIEW, WEAK, OPEN_VIEW])
    path = tmp_path / "baseline.json"
    path.write_text(dump_baseline(baseline), encoding="utf-8")
    loaded = load_baseline(path, BaselineKind.FINDINGS)
    assert loaded == baseline
    assert loaded.keys == {OPEN_VIEW.fingerprint, WEAK.fingerprint}
    doc = json.loads(path.read_text())
    assert doc["tool"] == "mtlsguard"
    assert doc["kind"] == "findings"
    assert doc["version"] == 1
    assert doc["entries"][0]["key"] == OPEN_VIEW.fingerprint
    assert doc["entries"][0]["rule_id"] == "MG101"
    # stable output: dumping again gives the same bytes
    assert dump_baseline(loaded) == path.read_text()


def test_line_moves_do_not_make_a_finding_new(tmp_path: Path) -> None:
    baseline = findings_baseline([OPEN_VIEW, WEAK])
    moved = replace(OPEN_VIEW, location=Location("shop/views.py", 250))
    moved_setting = replace(WEAK, location=Location("shop/settings.py", 3))
    new = replace(OPEN_VIEW, route="orders/export/", view="shop.views.ExportView")
    raw = ScanResult(root=str(tmp_path), findings=(moved, moved_setting, new), files_scanned=2)
    triaged = triage_scan(raw, tmp_path, ProjectConfig(), baseline=baseline)
    assert triaged.result.findings == (new,)
    assert triaged.baselined == 2
    assert triaged.current == (moved, moved_setting, new)
    assert triaged.failing == (new,)


def test_threshold_precedence_cli_over_config_over_default(tmp_path: Path) -> None:
    raw = ScanResult(root=str(tmp_path), findings=(WEAK,), files_scanned=1)
    assert triage_scan(raw, tmp_path, ProjectConfig()).failing == ()
    assert triage_scan(raw, tmp_path, ProjectConfig()).fail_on is Severity.HIGH
    config = ProjectConfig(fail_on=Severity.MEDIUM)
    assert triage_scan(raw, tmp_path, config).failing == (WEAK,)
    assert triage_scan(raw, tmp_path, config, fail_on=Severity.CRITICAL).failing == ()
    # INFO is the IntEnum value 0: it must still win over the config and the default
    info = ScanResult(root=str(tmp_path), findings=(replace(WEAK, severity=Severity.INFO),))
    assert (
        triage_scan(info, tmp_path, ProjectConfig(), fail_on=Severity.INFO).fail_on is Severity.INFO
    )
    assert triage_scan(info, tmp_path, ProjectConfig(fail_on=Severity.INFO)).failing != ()


def test_routes_baseline_accepts_known_open_methods_only() -> None:
    route = Route(
        "orders/",
        "shop.views.orders",
        Location("shop/views.py", 3),
        protections=(Protection("GET", False, "none"), Protection("POST", True, "decorator")),
    )
    assert route_keys(route) == ("GET orders/ -> shop.views.orders",)
    baseline = routes_baseline([route])
    assert parse_baseline(dump_baseline(baseline), BaselineKind.ROUTES) == baseline
    # POST becomes open, and a new route appears: only those are new
    changed = replace(
        route,
        location=Location("shop/views.py", 90),
        protections=(Protection("GET", False, "none"), Protection("POST", False, "none")),
    )
    extra = Route("admin-ish/", None, None, protections=(Protection("*", False, "none"),))
    unknown = Route("dyn/", "x.y", None, protections=(Protection("*", None, "none"),))
    raw = ScanResult(root="/p", routes=(changed, extra, unknown), files_scanned=1)
    triaged = triage_routes(raw, ProjectConfig(), baseline=baseline)
    assert [key for _, key in triaged.new_unprotected] == [
        "POST orders/ -> shop.views.orders",
        "* admin-ish/ -> ?",
    ]
    assert triaged.baselined == {"GET orders/ -> shop.views.orders"}


def test_kind_mismatch_is_refused() -> None:
    text = dump_baseline(findings_baseline([WEAK]))
    with pytest.raises(BaselineError, match="'findings' baseline, but a 'routes' baseline"):
        parse_baseline(text, BaselineKind.ROUTES)
    with pytest.raises(ValueError, match="routes baseline cannot filter findings"):
        triage_scan(ScanResult(root="/"), Path("/"), ProjectConfig(), baseline=routes_baseline([]))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not valid JSON"),
        ("[]", "not a mtlsguard baseline"),
        ('{"tool": "other"}', "not a mtlsguard baseline"),
        ('{"tool": "mtlsguard", "version": 99, "kind": "findings"}', "version 99"),
        ('{"tool": "mtlsguard", "version": 1, "kind": "findings"}', "'entries' must be a list"),
        (
            '{"tool": "mtlsguard", "version": 1, "kind": "findings", "entries": [{"k": 1}]}',
            "entry 0 has no string 'key'",
        ),
    ],
)
def test_malformed_baselines_are_clear_errors(text: str, message: str) -> None:
    with pytest.raises(BaselineError, match=message):
        parse_baseline(text, BaselineKind.FINDINGS, "b.json")


def test_unreadable_baseline_file(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="cannot read baseline"):
        load_baseline(tmp_path / "missing.json", BaselineKind.FINDINGS)
    with pytest.raises(BaselineError, match="cannot read baseline"):
        load_baseline(tmp_path, BaselineKind.FINDINGS)


json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=10)
json_values = json_scalars | st.lists(json_scalars, max_size=3)
documents = st.fixed_dictionaries(
    {},
    optional={
        "tool": st.sampled_from(["mtlsguard", "x"]) | json_values,
        "version": st.just(1) | json_values,
        "kind": st.sampled_from(["findings", "routes"]) | json_values,
        "entries": st.lists(
            st.fixed_dictionaries({}, optional={"key": st.text() | json_values, "x": json_values}),
            max_size=4,
        )
        | json_values,
    },
)


@secondary()
@given(st.text(max_size=300) | documents.map(json.dumps))
def test_parse_baseline_accepts_or_raises_baseline_error_only(text: str) -> None:
    try:
        baseline = parse_baseline(text, BaselineKind.FINDINGS)
    except BaselineError as exc:
        error = str(exc)
    else:
        error = None
        assert baseline.kind is BaselineKind.FINDINGS
        assert all(isinstance(key, str) for key in baseline.keys)
        assert parse_baseline(dump_baseline(baseline), BaselineKind.FINDINGS).keys == baseline.keys
    if error is not None:
        assert error.startswith("baseline: ")
