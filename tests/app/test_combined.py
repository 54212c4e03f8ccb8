"""app.combined: the static scan and the probe of the same project, merged per route."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mtlsguard.app.combined import run_combined
from mtlsguard.app.static import StaticRun
from mtlsguard.findings.assessment import RunKind
from tests.example_apps import EXAMPLES, RunningServer
from tests.factories import probe_config

pytestmark = pytest.mark.integration


def test_the_projects_configuration_selects_the_probes_rules_too(
    vulnerable_server: RunningServer, pki_files: dict[str, Path], tmp_path: Path
) -> None:
    project = tmp_path / "vulnerable"
    shutil.copytree(EXAMPLES / "vulnerable", project, ignore=shutil.ignore_patterns("*.sqlite3"))
    config = probe_config(vulnerable_server.port, pki_files)

    everything = run_combined(StaticRun(project), config)
    assert "BOLA" in everything.probe.phases
    assert "MG404" in {f.rule_id for f in everything.static.assessment.result.findings}

    (project / "pyproject.toml").write_text('[tool.mtlsguard]\ndisable = ["MG403", "MG404"]\n')
    without = run_combined(StaticRun(project), config)
    assert "BOLA" not in without.probe.phases
    assert "forged headers" not in without.probe.phases
    assessment = without.static.assessment
    assert assessment.kind is RunKind.COMBINED
    assert "MG404" not in {f.rule_id for f in assessment.result.findings}
    # BOLA reads the observations; the forged headers are requests of their own.
    assert without.probe.requests_sent < everything.probe.requests_sent
