"""``mtlsguard scan PATH --probe URL`` end to end: the vulnerable example under the dev server.

The static scan of examples/vulnerable and the probe of the same project over real mTLS
(alice as A, bob as B, sign-in probes with alice's seeded password) merge per route: the
static "no authentication" findings carry the probe's "a certificate alone got the data", the
sign-in rules carry the probe's brute-force, fixation and cookie findings, BOLA stays its own
entry under the Django pattern. Every format shows both sides; --fail-on acts on the merged
set.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.example_apps import EXAMPLES, RunningServer
from tests.factories import identity_args
from tests.probe.test_signin_examples import PASSWORD, vulnerable_signin
from tests.report.code_scanning import assert_uploadable

__all__ = ["vulnerable_signin"]

pytestmark = pytest.mark.integration


def scan_probe(
    server: RunningServer, pki_files: dict[str, Path], *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mtlsguard",
            "scan",
            str(EXAMPLES / "vulnerable"),
            "--probe",
            f"https://127.0.0.1:{server.port}/",
            *identity_args(pki_files),
            "--timeout",
            "15",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "MG_TEST_PASSWORD": PASSWORD},
        check=False,
    )


SIGNIN = (
    "--credential-probes",
    "--login-url",
    "/accounts/login/",
    "--username",
    "alice",
    "--password-env",
    "MG_TEST_PASSWORD",
    "--logout-url",
    "/accounts/logout/",
    "--session-url",
    "/accounts/profile/",
    "--bruteforce-attempts",
    "5",
)


def test_scan_with_probe_merges_per_route(
    vulnerable_signin: RunningServer, pki_files: dict[str, Path], tmp_path: Path
) -> None:
    done = scan_probe(vulnerable_signin, pki_files, *SIGNIN, "--format", "json")
    assert done.returncode == 1, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    document = json.loads(done.stdout)
    merged = {
        (f["rule_id"], f["route"]): (
            [s["rule_id"] for s in f.get("static", [])],
            [d["rule_id"] for d in f.get("dynamic", [])],
        )
        for f in document["findings"]
    }
    assert merged[("MG102", "billing/")] == (["MG102"], ["MG402"])
    assert merged[("MG101", "api/accounts/")] == (["MG101"], ["MG402"])
    assert merged[("MG101", "api/accounts/<int:pk>/")] == (["MG101"], ["MG402"])
    assert merged[("MG404", "api/accounts/<int:pk>/")] == ([], [])  # a probe-only entry
    assert merged[("MG106", "accounts/login/")] == (["MG106"], ["MG405"])
    assert merged[("MG204", "accounts/login/")] == (["MG204"], ["MG406"])  # route from its view
    assert merged[("MG202", "accounts/login/")] == (["MG202"], ["MG407"])  # a setting
    # one entry per route and problem: no MG402/MG405-MG407 left on their own
    assert not {rule for rule, _ in merged} & {"MG402", "MG405", "MG406", "MG407"}
    billing = next(f for f in document["findings"] if f["rule_id"] == "MG102")
    assert re.match(
        r"static: .* \(MG102 at bank/views\.py:\d+\); dynamic: GET /billing/ with only a "
        r"client certificate: 200 .* \(MG402\)$",
        billing["evidence"],
    ), billing["evidence"]
    assert billing["severity"] == "critical"
    assert billing["location"]["path"] == "bank/views.py"
    assert billing["web_response"]["statusCode"] == 200
    assert document["probe"]["grade"] == "F"

    sarif_path, html_path = tmp_path / "merged.sarif", tmp_path / "merged.html"
    # the extension picks SARIF; the HTML report comes from the same run
    done = scan_probe(
        vulnerable_signin, pki_files, "-o", str(sarif_path), "--html-output", str(html_path)
    )
    assert done.returncode == 1, done.stderr
    assert "<!DOCTYPE html>" in html_path.read_text()
    run = assert_uploadable(sarif_path)["runs"][0]
    severities = {
        r["id"]: r["properties"]["security-severity"] for r in run["tool"]["driver"]["rules"]
    }
    for shown in run["results"]:  # a merged finding's level and its rule's score agree
        if shown["properties"]["severity"] == "critical":
            assert severities[shown["ruleId"]] == "9.5"
    result = next(r for r in run["results"] if r["ruleId"] == "MG102")
    assert result["properties"]["merged"] == {"static": ["MG102"], "dynamic": ["MG402"]}
    related = result["relatedLocations"]
    assert related[0]["physicalLocation"]["artifactLocation"]["uri"] == "bank/views.py"
    assert related[1]["logicalLocations"][0]["fullyQualifiedName"] == "/billing/"
    assert result["webRequest"]["method"] == "GET"
    assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == (
        "bank.views.BillingView"
    )
    assert {"MG101", "MG402", "MG404"} <= {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert run["properties"]["probe"]["grade"] == "F"

    done = scan_probe(vulnerable_signin, pki_files, "--format", "text")
    assert done.returncode == 1, done.stderr
    assert "static: " in done.stdout
    assert "(MG402)" in done.stdout
    assert "Probe score:" in done.stdout

    html_path = tmp_path / "merged.html"
    done = scan_probe(vulnerable_signin, pki_files, "--format", "html", "-o", str(html_path))
    assert done.returncode == 1, done.stderr
    page = html_path.read_text()
    assert "(MG402)" in page
    assert "BEGIN CERTIFICATE" not in page

    # --fail-on and --baseline act on the merged set: accept it all, and nothing fails
    baseline = tmp_path / "baseline.json"
    done = scan_probe(vulnerable_signin, pki_files, "--write-baseline", str(baseline))
    assert done.returncode == 0, done.stderr
    done = scan_probe(vulnerable_signin, pki_files, "--baseline", str(baseline), "-f", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["findings"] == []


def test_scan_probe_usage_errors(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mtlsguard",
            "scan",
            str(EXAMPLES / "vulnerable"),
            "--probe",
            "https://127.0.0.1:9/",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "--probe needs --cert and --key" in done.stderr
