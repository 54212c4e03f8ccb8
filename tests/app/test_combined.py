"""app.combined: the static scan and the probe of the same project, merged per route."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mtlsguard.app.combined import run_combined
from mtlsguard.app.errors import RunError
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


def test_a_barely_covered_probe_gives_the_merged_report_no_grade(
    vulnerable_server: RunningServer, pki_files: dict[str, Path], tmp_path: Path
) -> None:
    """The source names routes the running server does not have (a stale deployment): the
    probe reaches too few of them, so the combined report carries no grade, says why, and a
    ``--fail-under`` run stops with exit 2 instead of comparing a grade it did not earn."""
    project = tmp_path / "vulnerable"
    shutil.copytree(EXAMPLES / "vulnerable", project, ignore=shutil.ignore_patterns("*.sqlite3"))
    urls = project / "bank" / "urls.py"
    stale = "".join(
        f'    path("stale-{n}/", views.AccountList.as_view(), name="stale-{n}"),\n'
        for n in range(12)
    )
    urls.write_text(urls.read_text().replace("urlpatterns = [\n", f"urlpatterns = [\n{stale}"))
    config = probe_config(vulnerable_server.port, pki_files)

    outcome = run_combined(StaticRun(project), config)
    assert outcome.probe.coverage.low
    assessment = outcome.static.assessment
    assert assessment.grade is None
    assert any("no grade" in note for note in assessment.notes), assessment.notes

    with pytest.raises(RunError, match="no grade to compare with --fail-under"):
        run_combined(StaticRun(project), config, fail_under="C")
