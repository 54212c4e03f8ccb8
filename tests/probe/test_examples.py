"""The probe against both example projects under the embedded mTLS dev server (real TLS).

alice (``client``) is identity A, bob (``other_client``) identity B; both projects are seeded
with their accounts and invoices and bind those certificates. Exactly these findings:
vulnerable → MG402 on every route (certificate only), MG404 on the account detail;
hardened → none. The spoofable header needs the app reachable without its TLS layer (the
dev server requires a certificate and passes it in the environ): see test_spoofing.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mtlsguard.probe.discovery import load_routes_json
from mtlsguard.probe.runner import ProbeResult, run_probe
from tests.example_apps import EXAMPLES, RunningServer
from tests.factories import identity_args, probe_config
from tests.factories import render_probe as render

pytestmark = pytest.mark.integration

ROUTES = """{"schema": "mtlsguard-routes", "version": 1, "routes": [
 {"pattern": "billing/", "view": "bank.views.BillingView", "methods": ["GET"]},
 {"pattern": "api/accounts/", "view": "bank.views.AccountList", "methods": ["GET"]},
 {"pattern": "api/accounts/<int:pk>/", "view": "bank.views.AccountDetail", "methods": ["GET"]}
]}"""


def probe(port: int, pki_files: dict[str, Path]) -> ProbeResult:
    return run_probe(probe_config(port, pki_files), load_routes_json(ROUTES).endpoints)


def found(result: ProbeResult) -> set[tuple[str, str | None]]:
    return {(f.rule_id, f.route) for f in result.findings}


def test_vulnerable_example(vulnerable_server: RunningServer, pki_files: dict[str, Path]) -> None:
    result = probe(vulnerable_server.port, pki_files)
    assert found(result) == {
        ("MG402", "/billing/"),
        ("MG402", "/api/accounts/"),
        ("MG402", "/api/accounts/{pk}/"),
        ("MG404", "/api/accounts/{pk}/"),
    }
    assert result.errors == ()
    assert any("enforced at the TLS handshake" in note for note in result.notes)
    bola = next(f for f in result.findings if f.rule_id == "MG404")
    assert bola.view == "bank.views.AccountDetail"
    assert "B's" in bola.evidence
    assert bola.web_response is not None
    assert bola.web_response["statusCode"] == 200
    assert '"owner":"bob"' in str(bola.web_response["body"]).replace(" ", "")
    assert result.score.grade == "F"
    categories = {c.category.value: c for c in result.score.categories}
    assert categories["BOLA"].score == 75
    assert categories["Rate limiting"].score is None
    text = render(result, "text")
    assert "Probe score: 0/100, grade F" in text
    assert "BOLA            C    75/100" in text
    assert "Rate limiting   n/a  not tested" in text
    assert "BEGIN CERTIFICATE" not in text
    print(text)
    document = json.loads(render(result, "json"))
    assert document["probe"]["grade"] == "F"
    assert {f["rule_id"] for f in document["findings"]} == {"MG402", "MG404"}
    page = render(result, "html")
    assert "Probe score" in page
    assert "grade F" in page


def test_hardened_example(hardened_server: RunningServer, pki_files: dict[str, Path]) -> None:
    result = probe(hardened_server.port, pki_files)
    assert found(result) == set()
    assert result.errors == ()
    assert (result.score.score, result.score.grade) == (100, "A")
    assert result.paths >= 5  # 2 listings + bob's, alice's and a neighbour's account at least


def test_cli_against_vulnerable_with_routes_from_the_static_inventory(
    vulnerable_server: RunningServer, pki_files: dict[str, Path], tmp_path: Path
) -> None:
    routes = subprocess.run(
        [sys.executable, "-m", "mtlsguard", "routes", str(EXAMPLES / "vulnerable"), "-f", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert routes.returncode == 0, routes.stderr  # open routes: an inventory, not a failure
    (tmp_path / "routes.json").write_text(routes.stdout)
    report = tmp_path / "probe.sarif"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mtlsguard",
            "probe",
            f"https://127.0.0.1:{vulnerable_server.port}/",
            *identity_args(pki_files),
            "--routes",
            str(tmp_path / "routes.json"),
            "--format",
            "sarif",
            "--output",
            str(report),
            "--fail-under",
            "C",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    sarif = json.loads(report.read_text())
    run = sarif["runs"][0]
    results = {(r["ruleId"], r["properties"]["route"]) for r in run["results"]}
    assert results == {
        ("MG402", "/billing/"),
        ("MG402", "/api/accounts/"),
        ("MG402", "/api/accounts/{pk}/"),
        ("MG404", "/api/accounts/{pk}/"),
    }
    bola = next(r for r in run["results"] if r["ruleId"] == "MG404")
    assert bola["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == (
        "bank.views.AccountDetail"
    )
    assert bola["webRequest"]["method"] == "GET"
    assert bola["webResponse"]["statusCode"] == 200
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} >= {"MG401", "MG402", "MG403", "MG404"}
    assert run["properties"]["probe"]["grade"] == "F"
    # the PEM of the client certificate never appears in the report
    assert "BEGIN CERTIFICATE" not in report.read_text()
