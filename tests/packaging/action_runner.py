"""A fake GitHub Actions runner for ``action.yml``'s ``run:`` steps.

Each step runs the way a runner runs it (``bash --noprofile --norc -eo pipefail``) with its
``env:`` evaluated from the inputs, and with ``GITHUB_ACTION_PATH``, ``GITHUB_WORKSPACE``,
``GITHUB_STEP_SUMMARY``, ``GITHUB_OUTPUT`` and ``RUNNER_TEMP`` pointing at temporary files.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.packaging.conftest import ROOT

ACTION: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
_EXPRESSION = re.compile(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}")


def step(name: str) -> dict[str, Any]:
    (found,) = [s for s in ACTION["runs"]["steps"] if s.get("name") == name]
    return found


def evaluate(value: str, inputs: dict[str, str]) -> str:
    """``${{ inputs.NAME }}`` substituted; any other expression fails the test."""
    result = _EXPRESSION.sub(lambda m: inputs[m.group(1)], value)
    assert "${{" not in result, f"unsupported expression in {value!r}"
    return result


def with_defaults(**given: str) -> dict[str, str]:
    inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    for name, value in given.items():
        key = name.replace("_", "-")
        assert key in inputs, f"action.yml has no input {key}"
        inputs[key] = value
    return inputs


@dataclass
class StepRun:
    returncode: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]


@dataclass(frozen=True)
class Runner:
    """A fake runner: the action's directory and a Python with mtlsguard installed."""

    action_path: Path
    bin_dir: Path

    def run(self, name: str, workspace: Path, **given: str) -> StepRun:
        definition = step(name)
        assert definition["shell"] == "bash"
        inputs = with_defaults(**given)
        temp = workspace.parent / f"{workspace.name}-runner"
        temp.mkdir(exist_ok=True)
        summary, outputs = temp / "step_summary.md", temp / "github_output"
        summary.write_text("", encoding="utf-8")
        outputs.write_text("", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
        env.update(
            PATH=f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}",
            GITHUB_ACTIONS="true",
            GITHUB_ACTION_PATH=str(self.action_path),
            GITHUB_WORKSPACE=str(workspace),
            GITHUB_STEP_SUMMARY=str(summary),
            GITHUB_OUTPUT=str(outputs),
            RUNNER_TEMP=str(temp),
        )
        for key, value in (definition.get("env") or {}).items():
            env[key] = evaluate(str(value), inputs)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", definition["run"]],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=540,
            check=False,
        )
        lines = outputs.read_text(encoding="utf-8").splitlines()
        return StepRun(
            done.returncode,
            done.stdout,
            done.stderr,
            summary.read_text(encoding="utf-8"),
            dict(line.partition("=")[::2] for line in lines if line),
        )
