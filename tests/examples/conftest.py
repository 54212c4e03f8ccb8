"""The example projects, migrated and seeded once per session, each driven in its own process.

Each project gets its own SQLite file (``manage.py migrate`` / ``seed_demo``) and environment;
its settings never enter the test process (which has tests/django's settings).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from mtlsguard.devserver.pki import IssuedCertificate, TestPKI

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DRIVER = Path(__file__).with_name("driver.py")
PROXY = "10.0.0.5"
STRANGER = "203.0.113.7"


class Project:
    """One example project with its own database and environment."""

    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.directory = EXAMPLES / name
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": f"{name}_site.settings",
            "PYTHONPATH": os.pathsep.join([str(self.directory), str(ROOT / "src")]),
            **env,
        }

    def manage(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=self.directory,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def requests(
        self, specs: list[dict[str, Any]], env: dict[str, str] | None = None
    ) -> tuple[list[dict[str, Any]], str]:
        done = subprocess.run(
            [sys.executable, str(DRIVER)],
            cwd=self.directory,
            env={**self.env, **(env or {})},
            input=json.dumps(specs),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout), done.stderr


def dev_server(issued: IssuedCertificate) -> dict[str, str]:
    """What the embedded dev server (and mod_ssl) puts in the WSGI environ."""
    chain = {
        f"SSL_CLIENT_CERT_CHAIN_{i}": c.public_bytes(Encoding.PEM).decode()
        for i, c in enumerate(issued.chain)
    }
    return {"SSL_CLIENT_CERT": issued.cert_pem.decode(), "SSL_CLIENT_VERIFY": "SUCCESS", **chain}


def cert_headers(issued: IssuedCertificate) -> dict[str, str]:
    """What nginx forwards (and what a forger sends)."""
    return {
        "X-SSL-Client-Cert": urllib.parse.quote(issued.cert_pem.decode(), safe=""),
        "X-SSL-Client-Verify": "SUCCESS",
    }


@pytest.fixture(scope="session")
def pki_env(
    pki: TestPKI, pki_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    directory = tmp_path_factory.mktemp("examples-pki")
    bundle = directory / "client-ca.pem"
    bundle.write_bytes(pki_files["ca"].read_bytes() + pki_files["intermediate"].read_bytes())
    return {
        "MTLSGUARD_CA_BUNDLE": str(bundle),
        "MTLSGUARD_CRL_FILES": str(pki_files["crl"]),
        "MTLSGUARD_DEMO_ALICE_CERT": str(pki_files["client"]),
        "MTLSGUARD_DEMO_BOB_CERT": str(pki_files["other_client"]),
    }


def seeded(name: str, pki_env: dict[str, str], tmp: Path, *, seeds: int = 1) -> Project:
    project = Project(name, {**pki_env, "DJANGO_DB_PATH": str(tmp / "db.sqlite3")})
    for command in [("migrate", "--noinput")] + [("seed_demo",)] * seeds:
        done = project.manage(*command)
        assert done.returncode == 0, done.stderr
    return project


@pytest.fixture(scope="session")
def vulnerable(pki_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Project:
    return seeded("vulnerable", pki_env, tmp_path_factory.mktemp("vulnerable"))


@pytest.fixture(scope="session")
def hardened(pki_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Project:
    # seeded twice: seed_demo is idempotent (the demo may run it on every start)
    return seeded("hardened", pki_env, tmp_path_factory.mktemp("hardened"), seeds=2)
