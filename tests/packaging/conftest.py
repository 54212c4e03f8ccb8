"""A committed copy of the distribution's sources, for tools that install mtlsguard themselves.

pre-commit clones a hook repository at a revision and the GitHub Action installs from its own
directory; both must see the working tree as it is now (uncommitted changes included), so the
files that make up the distribution are copied into a fresh git repository and committed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import venv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from jsonschema import Draft4Validator, FormatChecker

if TYPE_CHECKING:
    from tests.packaging.action_runner import Runner

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "tests" / "assets" / "sarif-schema-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"

# What `pip install <dir>` and the hook/action manifests need; nothing else is copied.
DISTRIBUTION = (
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "CHANGELOG.md",
    ".gitignore",
    ".pre-commit-hooks.yaml",
    "action.yml",
    "src",
    "examples",
)
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "db.sqlite3", "pki", ".venv*")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "mtlsguard tests",
    "GIT_AUTHOR_EMAIL": "tests@mtlsguard.invalid",
    "GIT_COMMITTER_NAME": "mtlsguard tests",
    "GIT_COMMITTER_EMAIL": "tests@mtlsguard.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a fixed identity and no user or system configuration."""
    env = {**os.environ, **GIT_ENV, "HOME": str(repo)}
    done = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def commit_all(repo: Path) -> str:
    """``git init`` (if needed), add every file and commit; return the commit's sha."""
    if not (repo / ".git").exists():
        git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "snapshot")
    return git(repo, "rev-parse", "HEAD")


def copy_example(name: str, target: Path) -> Path:
    """Copy the example project ``name`` (vulnerable or hardened) into ``target``."""
    shutil.copytree(ROOT / "examples" / name, target, ignore=_IGNORED, dirs_exist_ok=True)
    return target


@dataclass(frozen=True)
class SourceSnapshot:
    """A git repository holding the distribution's files as they are in the working tree."""

    path: Path
    rev: str


@pytest.fixture(scope="session")
def source_snapshot(tmp_path_factory: pytest.TempPathFactory) -> SourceSnapshot:
    """The working tree's distribution files, committed in a throwaway repository."""
    repo = tmp_path_factory.mktemp("mtlsguard-source")
    for name in DISTRIBUTION:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=_IGNORED)
        else:
            shutil.copy2(source, repo / name)
    return SourceSnapshot(path=repo, rev=commit_all(repo))


@pytest.fixture(scope="session")
def runner(tmp_path_factory: pytest.TempPathFactory, source_snapshot: SourceSnapshot) -> Runner:
    """A fake runner whose install step ran for real: the snapshot in a fresh virtualenv."""
    from tests.packaging.action_runner import Runner

    environment = tmp_path_factory.mktemp("setup-python") / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    fake = Runner(source_snapshot.path, environment / "bin")
    workspace = tmp_path_factory.mktemp("install-workspace")
    done = fake.run("Install mtlsguard", workspace)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^mtlsguard \d+\.\d+", done.stdout, re.MULTILINE), done.stdout
    return fake


@pytest.fixture(scope="session")
def sarif_validator() -> Draft4Validator:
    """The official SARIF 2.1.0 schema (tests/assets), checked to be unmodified."""
    raw = SCHEMA_PATH.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256, "the official schema was modified"
    return Draft4Validator(json.loads(raw), format_checker=FormatChecker())
