"""The Action's step in this process: what it does with arguments and failures of its runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mtlsguard.cli.github_action import main
from tests.packaging.conftest import copy_example


def _env(workspace: Path, tmp_path: Path, **inputs: str) -> dict[str, str]:
    return {
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "outputs.txt"),
        "INPUT_PATH": str(workspace),
        "INPUT_SARIF_FILE": str(tmp_path / "scan.sarif"),
        **{f"INPUT_{k.upper()}": v for k, v in inputs.items()},
    }


def test_write_baseline_in_scan_args_records_and_passes(tmp_path: Path) -> None:
    """As ``mtlsguard scan --write-baseline``: the file is written and the step passes
    (regression: the in-process step dropped the option and failed on the findings)."""
    workspace = copy_example("vulnerable", tmp_path / "repo")
    baseline = tmp_path / "baseline.json"
    assert main(_env(workspace, tmp_path, scan_args=f"--write-baseline {baseline}")) == 0
    assert '"kind": "findings"' in baseline.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "argument", ["-o elsewhere.json", "--format json", "--html-output report.html"]
)
def test_output_options_in_scan_args_are_refused(
    tmp_path: Path, argument: str, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = copy_example("vulnerable", tmp_path / "repo")
    assert main(_env(workspace, tmp_path, scan_args=argument)) == 2
    assert "is set by the action (input sarif-file)" in capsys.readouterr().err
    assert "exit-code=2" in (tmp_path / "outputs.txt").read_text(encoding="utf-8")


def test_a_broken_rule_plugin_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """No traceback and no exit 1 (which reads as findings) when a run cannot start."""
    workspace = copy_example("vulnerable", tmp_path / "repo")
    plugins = tmp_path / "plugins"
    info = plugins / "broken-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[mtlsguard.rules]\nbroken = no_such_module_here\n")
    env = {
        **os.environ,
        **_env(workspace, tmp_path),
        "PYTHONPATH": os.pathsep.join([str(plugins), *sys.path]),
    }
    env.pop("MTLSGUARD_DEBUG", None)
    done = subprocess.run(
        [sys.executable, "-m", "mtlsguard.cli.github_action"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "the rule plugin 'broken' (no_such_module_here) failed to load" in done.stderr
    assert "**Error** (exit code 2)" in (tmp_path / "summary.md").read_text(encoding="utf-8")


def test_exit_and_display_options_in_scan_args_act_as_on_the_command_line(
    tmp_path: Path,
) -> None:
    workspace = copy_example("vulnerable", tmp_path / "repo")
    assert main(_env(workspace, tmp_path)) == 1
    assert main(_env(workspace, tmp_path, scan_args="--exit-zero")) == 0
    # the vulnerable example's worst static finding is critical: --severity critical keeps it
    assert main(_env(workspace, tmp_path, scan_args="--severity critical")) == 1
    assert main(_env(workspace, tmp_path, scan_args="--confidence high --select MG2")) == 0
