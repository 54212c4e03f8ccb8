"""The phase API and the runner's loop: declarations, planning by rule selection, prerequisites.

Planning is checked on the real phase tuple; the loop with a stand-in phase (no request
sent); the selection end to end on a real TLS server that counts what reaches it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtlsguard.findings.registry import EVERY_RULE, RuleSelection, get_rule
from mtlsguard.probe import runner
from mtlsguard.probe.client import ProbeClient
from mtlsguard.probe.config import Identity, ProbeConfig
from mtlsguard.probe.discovery import load_path_list
from mtlsguard.probe.forged import forged_header_sets, load_certificate_pem
from mtlsguard.probe.phases import Need, Outcome, Phase, RunState, phase, plan
from mtlsguard.probe.phases.authentication import probe_certificate_only, probe_mtls_enforcement
from mtlsguard.probe.phases.bola import probe_bola
from mtlsguard.probe.phases.collection_routes import observe_collection_routes
from mtlsguard.probe.phases.detail_routes import observe_detail_routes
from mtlsguard.probe.phases.signin import probe_sign_in
from mtlsguard.probe.phases.spoofing import probe_forged_headers
from mtlsguard.probe.rules import Category, probe_rules
from mtlsguard.probe.runner import PHASES, run_probe
from mtlsguard.probe.state import Certificates
from tests.probe.hostile import HostileServer
from tests.probe.test_hostile import config

OBSERVATIONS = (observe_collection_routes, observe_detail_routes)


def names(phases: tuple[Phase, ...]) -> list[str]:
    return [p.name for p in phases]


def test_every_probe_rule_is_reported_by_exactly_one_phase() -> None:
    reported = [rule_id for p in PHASES for rule_id in p.rule_ids]
    assert sorted(reported) == [r.rule_id for r in probe_rules()]
    assert len(set(reported)) == len(reported)


def test_a_phase_tests_the_categories_of_its_rules() -> None:
    assert probe_bola.categories == {Category.BOLA}
    assert probe_forged_headers.categories == {Category.AUTHENTICATION}
    assert probe_sign_in.categories == {Category.SESSION, Category.RATE_LIMITING}
    assert all(p.categories == frozenset() for p in OBSERVATIONS)


def test_every_need_a_phase_has_is_met_by_the_run_or_an_earlier_phase() -> None:
    facts = {Need.COLLECTIONS_OBSERVED, Need.ROUTES_OBSERVED}
    established: set[Need] = set()
    for step in PHASES:
        assert step.needs & facts <= established, step.name
        established |= step.establishes


def test_by_default_every_phase_is_planned() -> None:
    assert plan(PHASES, EVERY_RULE) == PHASES


def test_a_phase_whose_rules_are_all_ignored_is_not_planned() -> None:
    chosen = plan(PHASES, RuleSelection(ignore=frozenset({"MG403"})))
    assert probe_forged_headers not in chosen
    assert names(chosen) == [p.name for p in PHASES if p is not probe_forged_headers]
    # one of its rules left is enough
    assert probe_sign_in in plan(PHASES, RuleSelection(ignore=frozenset({"MG405", "MG406"})))


def test_observations_are_planned_only_for_a_phase_that_needs_them() -> None:
    signin_only = plan(PHASES, RuleSelection(select=frozenset({"MG405", "MG406", "MG407"})))
    assert signin_only == (probe_sign_in,)
    bola_only = plan(PHASES, RuleSelection(select=frozenset({"MG404"})))
    assert bola_only == (*OBSERVATIONS, probe_bola)
    assert plan(PHASES, RuleSelection(select=frozenset({"MG40"}))) == PHASES
    assert plan(PHASES, RuleSelection(ignore=frozenset({"MG4"}))) == ()


def test_missing_prerequisites(pki_files: dict[str, Path]) -> None:
    # plain http, one identity without a certificate: MG402, MG403 and MG404 cannot run
    config = ProbeConfig(base_url="http://127.0.0.1:9/", identity=Identity("A"))
    state = RunState(config, ProbeClient(config), [], Certificates.read(config))
    observed = {Need.COLLECTIONS_OBSERVED, Need.ROUTES_OBSERVED}
    assert probe_mtls_enforcement.missing(state, observed) == []
    assert probe_mtls_enforcement.missing(state, set()) == [Need.ROUTES_OBSERVED]
    assert probe_certificate_only.missing(state, observed) == [Need.TLS]
    assert probe_forged_headers.missing(state, observed) == [Need.CLIENT_CERTIFICATE]
    assert probe_bola.missing(state, observed) == [Need.SECOND_IDENTITY]
    assert probe_sign_in.missing(state, observed) == [Need.CREDENTIAL_PROBES, Need.SIGN_IN]
    # over plain http a second identity counts only when both have credentials
    peer = Identity("B", pki_files["other_client"], pki_files["other_client_key"], "X-Key: b")
    with_b = ProbeConfig(
        base_url="http://127.0.0.1:9/", identity=Identity("A", auth_header="X-Key: a"), peer=peer
    )
    state = RunState(with_b, ProbeClient(with_b), [], Certificates.read(with_b))
    assert probe_bola.missing(state, observed) == []


MG401, MG402 = get_rule("MG401"), get_rule("MG402")


@phase("stand-in", rules=[MG401, MG402])
async def _reports_both(state: RunState) -> Outcome:
    found = (
        MG401.finding(route="/a/", evidence="e", remediation="r"),
        MG402.finding(route="/a/", evidence="e", remediation="r"),
    )
    return Outcome(found, ("stand-in ran",))


@phase(
    "never",
    rules=[get_rule("MG404")],
    needs=[Need.SECOND_IDENTITY],
    skipped_note="needs B",
)
async def _needs_b(state: RunState) -> Outcome:  # pragma: no cover - must not run
    raise AssertionError("a phase whose prerequisites are missing ran")


@pytest.fixture
def stand_ins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "PHASES", (_needs_b, _reports_both))


@pytest.mark.usefixtures("stand_ins")
def test_the_loop_keeps_only_allowed_findings_and_adds_skip_notes_last() -> None:
    config = ProbeConfig(
        base_url="http://127.0.0.1:9/",
        identity=Identity("A"),
        selection=RuleSelection(ignore=frozenset({"MG402"})),
    )
    result = run_probe(config, [])
    assert [f.rule_id for f in result.findings] == ["MG401"]
    assert result.notes == ("stand-in ran", "needs B")
    assert result.phases == ("stand-in",)
    assert result.requests_sent == 0
    tested = {c.category for c in result.score.categories if c.score is not None}
    assert tested == {Category.AUTHENTICATION}


@pytest.mark.integration
def test_ignoring_mg403_sends_no_forged_header(
    hostile_server: HostileServer, pki_files: dict[str, Path]
) -> None:
    forged = {
        name.lower()
        for s in forged_header_sets(load_certificate_pem(pki_files["other_client"].read_bytes()))
        for name, _ in s.headers
    }
    endpoints = load_path_list("/needs-cert\n").endpoints

    # by default: 403 without a certificate, so each of the 8 header sets is tried without one
    default = run_probe(config(hostile_server, pki_files), endpoints)
    assert {f.rule_id for f in default.findings} == {"MG402"}
    assert default.requests_sent == len(hostile_server.requests) == 3 + 8
    assert sum(bool(h & forged) for h in hostile_server.header_names) == 8

    hostile_server.requests.clear()
    hostile_server.header_names.clear()
    ignored = RuleSelection(ignore=frozenset({"MG403"}))
    result = run_probe(config(hostile_server, pki_files, selection=ignored), endpoints)
    assert {f.rule_id for f in result.findings} == {"MG402"}
    assert result.requests_sent == len(hostile_server.requests) == 3  # nobody, A, B
    assert not any(h & forged for h in hostile_server.header_names)
    assert "forged headers" not in result.phases


@pytest.mark.integration
def test_selecting_one_rule_sends_only_what_it_needs(
    hostile_server: HostileServer, pki_files: dict[str, Path]
) -> None:
    endpoints = load_path_list("/needs-cert\n/items/\n/items/{id}/\n").endpoints
    only_mg404 = RuleSelection(select=frozenset({"MG404"}))
    result = run_probe(config(hostile_server, pki_files, selection=only_mg404), endpoints)
    assert result.phases == ("collection routes", "detail routes", "BOLA")
    assert result.findings == ()  # the hostile server's objects name nobody
    # observations only: three callers for two listings and the IDs 7, 6 and 8 of the detail
    assert result.requests_sent == len(hostile_server.requests) == 3 * (2 + 3)
    tested = {c.category for c in result.score.categories if c.score is not None}
    assert tested == {Category.BOLA}
