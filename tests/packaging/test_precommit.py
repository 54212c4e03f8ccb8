"""The ``mtlsguard-scan`` hook of ``.pre-commit-hooks.yaml`` run by the real pre-commit tool.

pre-commit clones a committed snapshot of this checkout at its sha and installs it into its
own virtual environment (dependencies from the package index), once per test session: every
test shares one ``PRE_COMMIT_HOME``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.packaging.conftest import ROOT, SourceSnapshot, commit_all, copy_example

# The first test pays for pre-commit's environment: a clone, a virtualenv, a pip install.
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _environment(home: Path) -> dict[str, str]:
    # Nothing from the test run's own environment may leak into the hook's (src/ on a path).
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    return {**env, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}


def run_hook(
    project: Path, snapshot: SourceSnapshot, home: Path, args: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Commit ``project`` with a config using the hook from ``snapshot``; run pre-commit."""
    hook: dict[str, object] = {"id": "mtlsguard-scan"}
    if args is not None:
        hook["args"] = args
    config = {"repos": [{"repo": str(snapshot.path), "rev": snapshot.rev, "hooks": [hook]}]}
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    commit_all(project)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color=never"],
        cwd=project,
        env=_environment(home),
        capture_output=True,
        text=True,
        timeout=840,
    )


def test_manifest_declares_the_scan_hook() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "mtlsguard-scan"
    assert hook["language"] == "python"
    # The scan needs the whole project, never a list of staged files.
    assert hook["pass_filenames"] is False
    assert hook["entry"].split()[:2] == ["mtlsguard", "scan"]
    assert hook["args"] == ["."]


def test_hook_fails_on_the_vulnerable_example(
    tmp_path: Path, source_snapshot: SourceSnapshot, pre_commit_home: Path
) -> None:
    project = copy_example("vulnerable", tmp_path / "project")
    done = run_hook(project, source_snapshot, pre_commit_home)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "mtlsguard scan" in done.stdout
    assert "Failed" in done.stdout
    assert "- exit code: 1" in done.stdout
    assert "MG102" in done.stdout  # the header-only BillingView
    assert "MG101" in done.stdout


def test_hook_passes_on_the_hardened_example(
    tmp_path: Path, source_snapshot: SourceSnapshot, pre_commit_home: Path
) -> None:
    project = copy_example("hardened", tmp_path / "project")
    done = run_hook(project, source_snapshot, pre_commit_home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout


def test_fail_on_argument_sets_the_threshold(
    tmp_path: Path, source_snapshot: SourceSnapshot, pre_commit_home: Path
) -> None:
    # One medium finding (MG201): below the default threshold (high), at --fail-on=medium.
    project = copy_example("hardened", tmp_path / "project")
    settings = project / "hardened_site" / "settings.py"
    with settings.open("a", encoding="utf-8") as handle:
        handle.write("\nAUTH_PASSWORD_VALIDATORS = []\n")

    default = run_hook(project, source_snapshot, pre_commit_home)
    assert default.returncode == 0, default.stdout + default.stderr

    medium = run_hook(project, source_snapshot, pre_commit_home, args=[".", "--fail-on=medium"])
    assert medium.returncode == 1, medium.stdout + medium.stderr
    assert "MG201" in medium.stdout
    assert "fail-on medium: 1 finding at or above it" in medium.stdout

    critical = run_hook(
        project, source_snapshot, pre_commit_home, args=[".", "--fail-on", "critical"]
    )
    assert critical.returncode == 0, critical.stdout + critical.stderr


def test_hook_scans_the_directory_given_in_args(
    tmp_path: Path, source_snapshot: SourceSnapshot, pre_commit_home: Path
) -> None:
    # A repository whose Django project lives in a subdirectory: the path comes first in args.
    repo = tmp_path / "repo"
    copy_example("vulnerable", repo / "backend")
    (repo / "README.md").write_text("a monorepo\n", encoding="utf-8")
    done = run_hook(repo, source_snapshot, pre_commit_home, args=["backend", "--fail-on=critical"])
    assert done.returncode == 1, done.stdout + done.stderr
    assert "MG102" in done.stdout
