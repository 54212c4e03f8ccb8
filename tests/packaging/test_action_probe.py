"""``action.yml`` with ``probe-url``: the step probes the example apps over real mTLS.

The apps run under the embedded mTLS dev server (the session fixtures of tests/conftest.py);
the action's step runs the mtlsguard that its install step put into a fresh virtual
environment.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from tests.example_apps import RunningServer
from tests.packaging.action_runner import Runner
from tests.packaging.conftest import copy_example
from tests.probe.test_examples import ROUTES

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


def probe_inputs(port: int, pki_files: dict[str, Path], routes: Path) -> dict[str, str]:
    return {
        "probe_url": f"https://127.0.0.1:{port}/",
        "cert": str(pki_files["client"]),
        "key": str(pki_files["client_key"]),
        "cacert": str(pki_files["ca"]),
        "peer_cert": str(pki_files["other_client"]),
        "peer_key": str(pki_files["other_client_key"]),
        "probe_args": f"--routes '{routes}' --timeout 15",
    }


def test_scan_and_probe_of_the_vulnerable_server(
    runner: Runner,
    vulnerable_server: RunningServer,
    pki_files: dict[str, Path],
    tmp_path: Path,
    sarif_validator: Draft4Validator,
) -> None:
    workspace = tmp_path / "repo"
    copy_example("vulnerable", workspace / "backend")
    routes = tmp_path / "routes dir" / "routes.json"  # a space: probe-args are split like a shell
    routes.parent.mkdir()
    routes.write_text(ROUTES, encoding="utf-8")
    done = runner.run(
        "Run mtlsguard",
        workspace,
        path="backend",
        probe_sarif_file="reports/probe.sarif",
        **probe_inputs(vulnerable_server.port, pki_files, routes),
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.outputs["sarif-file"] == "mtlsguard.sarif"
    assert done.outputs["probe-sarif-file"] == "reports/probe.sarif"
    assert re.fullmatch("[A-F]", done.outputs["grade"]), done.outputs
    assert done.outputs["grade"] != "A"

    log = json.loads((workspace / "reports" / "probe.sarif").read_text(encoding="utf-8"))
    assert list(sarif_validator.iter_errors(log)) == []
    probe_ids = {r["ruleId"] for r in log["runs"][0]["results"]}
    # Code scanning rejects a whole upload if one result has no file: the probe's findings are
    # attached to the project's manage.py, relative to the repository root.
    for result in log["runs"][0]["results"]:
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "backend/manage.py"
    assert {"MG402", "MG404"} <= probe_ids
    scan = json.loads((workspace / "mtlsguard.sarif").read_text(encoding="utf-8"))
    scan_ids = {r["ruleId"] for r in scan["runs"][0]["results"]}
    assert int(done.outputs["findings"]) == len(scan["runs"][0]["results"]) + len(
        log["runs"][0]["results"]
    )

    assert "### mtlsguard scan backend" in done.summary
    assert f"### mtlsguard probe https://127.0.0.1:{vulnerable_server.port}/" in done.summary
    assert f"Probe grade: **{done.outputs['grade']}**" in done.summary
    assert "| critical | MG402 |" in done.summary
    assert "MG102" in scan_ids


def test_probe_only_of_the_hardened_server_passes(
    runner: Runner, hardened_server: RunningServer, pki_files: dict[str, Path], tmp_path: Path
) -> None:
    routes = tmp_path / "routes.json"
    routes.write_text(ROUTES, encoding="utf-8")
    done = runner.run(
        "Run mtlsguard",
        tmp_path,
        scan="false",
        **probe_inputs(hardened_server.port, pki_files, routes),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.outputs["sarif-file"] == ""
    assert done.outputs["probe-sarif-file"] == "mtlsguard-probe.sarif"
    assert done.outputs["findings"] == "0"
    assert done.outputs["grade"] == "A"
    assert "### mtlsguard scan" not in done.summary
    assert "**Passed**" in done.summary
