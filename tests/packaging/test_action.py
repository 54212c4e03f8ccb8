"""``action.yml``'s shell steps, run locally with a fake GitHub Actions environment.

The install step runs for real once per session (the ``runner`` fixture): it installs a
committed snapshot of this checkout into a fresh virtual environment (dependencies from the
package index), whose ``python`` then plays the part of ``actions/setup-python``'s. The other
steps run against the example projects (see tests/packaging/action_runner.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft4Validator

from tests.packaging.action_runner import ACTION, Runner, evaluate, with_defaults
from tests.packaging.conftest import ROOT, copy_example

pytestmark = pytest.mark.timeout(600)


def test_run_steps_take_inputs_only_through_env() -> None:
    # `${{ inputs.x }}` inside a script is a shell-injection hole; env: is not.
    for definition in ACTION["runs"]["steps"]:
        if "run" in definition:
            assert "${{" not in definition["run"], definition["name"]
            for value in (definition.get("env") or {}).values():
                evaluate(str(value), with_defaults())
        else:
            assert definition["uses"].startswith("actions/setup-python@"), definition
    assert ACTION["runs"]["using"] == "composite"
    for output in ACTION["outputs"].values():
        assert output["value"].startswith("${{ steps.mtlsguard.outputs."), output


def test_install_step_installs_the_actions_own_copy(runner: Runner, tmp_path: Path) -> None:
    where = subprocess.run(
        [str(runner.bin_dir / "python"), "-c", "import mtlsguard; print(mtlsguard.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(runner.bin_dir.parent), where
    assert not Path(where).is_relative_to(ROOT), where


def test_vulnerable_project_fails_with_sarif_summary_and_outputs(
    runner: Runner, tmp_path: Path, sarif_validator: Draft4Validator
) -> None:
    workspace = tmp_path / "repo"
    copy_example("vulnerable", workspace / "backend")
    done = runner.run("Run mtlsguard", workspace, path="backend")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "::error::mtlsguard: findings at or above high" in done.stdout

    sarif_path = workspace / "mtlsguard.sarif"
    log = json.loads(sarif_path.read_text(encoding="utf-8"))
    errors = [e.message for e in sarif_validator.iter_errors(log)]
    assert errors == []
    results = log["runs"][0]["results"]
    assert {"MG101", "MG102"} <= {r["ruleId"] for r in results}
    # Paths relative to the repository root, as code scanning matches them.
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert uris
    assert all(uri.startswith("backend/") for uri in uris), uris
    assert (workspace / "backend" / "bank" / "views.py").is_file()
    assert log["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"] == workspace.as_uri() + "/"

    assert "## mtlsguard" in done.summary
    assert "| Severity | Rule | Finding | Location | Route |" in done.summary
    assert re.search(
        r"^\| critical \| MG102 \| .* \| `backend/bank/views\.py:\d+` \|", done.summary, re.M
    )
    assert "**Failed**: findings at or above high" in done.summary

    assert done.outputs["sarif-file"] == "mtlsguard.sarif"
    assert done.outputs["probe-sarif-file"] == ""
    assert int(done.outputs["findings"]) == len(results)
    high_or_critical = [r for r in results if r["properties"]["severity"] in {"critical", "high"}]
    # The header-trusting BillingView (critical); the open account views read only, so the
    # static scan calls them weak evidence (low) and the probe confirms them.
    assert int(done.outputs["failing"]) == len(high_or_critical) >= 1
    assert len(results) > len(high_or_critical)  # the low findings are in the SARIF too
    assert done.outputs["exit-code"] == "1"


def test_hardened_project_passes(runner: Runner, tmp_path: Path) -> None:
    workspace = copy_example("hardened", tmp_path / "repo")
    done = runner.run("Run mtlsguard", workspace)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "**Passed**" in done.summary
    assert "0 findings; fail-on high: 0 at or above it" in done.summary
    assert done.outputs == {
        "sarif-file": "mtlsguard.sarif",
        "probe-sarif-file": "",
        "grade": "",
        "findings": "0",
        "failing": "0",
        "exit-code": "0",
    }
    log = json.loads((workspace / "mtlsguard.sarif").read_text(encoding="utf-8"))
    assert log["runs"][0]["results"] == []


def test_fail_on_input_sets_the_threshold(runner: Runner, tmp_path: Path) -> None:
    # One medium finding (MG201): passes at the default (high), fails at medium.
    workspace = copy_example("hardened", tmp_path / "repo")
    with (workspace / "hardened_site" / "settings.py").open("a", encoding="utf-8") as handle:
        handle.write("\nAUTH_PASSWORD_VALIDATORS = []\n")

    high = runner.run("Run mtlsguard", workspace)
    assert high.returncode == 0, high.stdout + high.stderr
    assert high.outputs["findings"] == "1"
    assert high.outputs["failing"] == "0"
    assert "| medium | MG201 |" in high.summary

    medium = runner.run("Run mtlsguard", workspace, fail_on="medium", sarif_file="out/m.sarif")
    assert medium.returncode == 1, medium.stdout + medium.stderr
    assert medium.outputs["failing"] == "1"
    assert medium.outputs["sarif-file"] == "out/m.sarif"
    assert json.loads((workspace / "out" / "m.sarif").read_text())["runs"][0]["results"]


def test_fail_on_none_reports_without_failing(runner: Runner, tmp_path: Path) -> None:
    workspace = copy_example("vulnerable", tmp_path / "repo")
    done = runner.run("Run mtlsguard", workspace, fail_on="none")
    assert done.returncode == 0, done.stdout + done.stderr
    assert int(done.outputs["findings"]) >= 3
    assert done.outputs["failing"] == ""
    assert "fail-on none: findings do not fail the job" in done.summary
    assert "| critical | MG102 |" in done.summary


def test_scan_error_exits_2_with_the_reason_in_the_summary(runner: Runner, tmp_path: Path) -> None:
    workspace = tmp_path / "repo"
    workspace.mkdir()
    done = runner.run("Run mtlsguard", workspace, path="no-such-dir")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.outputs["exit-code"] == "2"
    assert "**Error** (exit code 2): mtlsguard: error: no-such-dir: no such file" in done.summary


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"fail_on": "severe"}, "input fail-on: 'severe' is not one of"),
        ({"scan": "false"}, "nothing to do"),
        ({"scan": "maybe"}, "input scan: 'maybe' is not true or false"),
        ({"probe_url": "https://127.0.0.1:1/"}, "input probe-url needs cert and key"),
    ],
)
def test_invalid_inputs_exit_2(
    runner: Runner, tmp_path: Path, given: dict[str, str], message: str
) -> None:
    done = runner.run("Run mtlsguard", tmp_path, **given)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"::error::mtlsguard action: {message}" in done.stdout


def test_the_same_glue_runs_in_process(tmp_path: Path) -> None:
    # The module the step runs, imported from this checkout (no install): same contract.
    from mtlsguard.cli.github_action import main

    workspace = copy_example("vulnerable", tmp_path / "repo")
    summary = tmp_path / "summary.md"
    env = {
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_STEP_SUMMARY": str(summary),
        "INPUT_PATH": str(workspace),
        "INPUT_FAIL_ON": "critical",
        "INPUT_SARIF_FILE": str(tmp_path / "scan.sarif"),
    }
    assert main(env) == 1
    assert "| critical | MG102 |" in summary.read_text(encoding="utf-8")


def _table_names(markdown: str, heading: str) -> set[str]:
    section = markdown.split(heading, 1)[1].split("\n#", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([a-z-]+)`", line.split("|")[1]))
    return names


def test_docs_list_every_input_and_output() -> None:
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    assert _table_names(text, "### Inputs") == set(ACTION["inputs"])
    assert _table_names(text, "### Outputs") == set(ACTION["outputs"])


@pytest.mark.parametrize("document", ["README.md", "docs/ci.md"])
def test_workflow_snippets_use_real_inputs_and_outputs(document: str) -> None:
    text = (ROOT / document).read_text(encoding="utf-8")
    snippets = re.findall(r"```yaml\n(.*?)```", text, re.S)
    steps = []
    for snippet in snippets:
        parsed = yaml.safe_load(textwrap.dedent(snippet))
        if isinstance(parsed, list):
            steps += parsed
        elif isinstance(parsed, dict) and "jobs" in parsed:
            steps += [s for job in parsed["jobs"].values() for s in job["steps"]]
    # the action from a copy of this repository (./tools/mtlsguard) or, once published, @ref
    ours = [s for s in steps if s.get("uses", "").split("@")[0].endswith("/mtlsguard")]
    assert ours, f"no step of {document} uses the action"
    for used in ours:
        assert set(used["with"]) <= set(ACTION["inputs"]), used["with"]
    referenced = set(re.findall(r"steps\.mtlsguard\.outputs\.([a-z-]+)", text))
    assert referenced
    assert referenced <= set(ACTION["outputs"])
