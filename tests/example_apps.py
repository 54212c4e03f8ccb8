"""The example projects for tests: each seeded in its own database and driven in its own process.

Each project gets its own SQLite file (``manage.py migrate`` / ``seed_demo``) and environment;
its settings never enter the test process (which has tests/django's settings).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from mtlsguard.devserver.pki import IssuedCertificate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DRIVER = Path(__file__).with_name("examples") / "driver.py"
PROXY = "10.0.0.5"
TIMEOUT = 20.0
"""Seconds a request to an example server may take."""
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


class RunningServer:
    """An example project served by ``mtlsguard devserver`` (real mTLS) on a free port."""

    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.port = port

    def get(
        self, context: ssl.SSLContext, path: str, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=context, timeout=TIMEOUT)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            body = response.read().decode()
            is_json = "json" in (response.getheader("Content-Type") or "")
            return response.status, json.loads(body) if is_json else body
        finally:
            conn.close()


def serving(
    command: list[str],
    project: Project,
    announcement: str,
    *,
    on_stderr: bool = False,
    env: dict[str, str] | None = None,
) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """Run ``command`` in ``project`` until the generator is closed; yield it and its port.

    The port is read from the first line of its stdout (stderr with ``on_stderr``) that
    matches ``announcement`` (a regex whose group 1 is the port), within 60 seconds. The other
    stream goes to /dev/null: a pipe nobody reads would fill up and stall a busy server.
    """
    process = subprocess.Popen(
        command,
        cwd=project.directory,
        env={**project.env, **(env or {})},
        stdout=subprocess.DEVNULL if on_stderr else subprocess.PIPE,
        stderr=subprocess.PIPE if on_stderr else subprocess.DEVNULL,
        text=True,
    )
    stream = process.stderr if on_stderr else process.stdout
    try:
        assert stream is not None
        deadline = time.monotonic() + 60
        port = None
        while port is None and time.monotonic() < deadline:
            line = stream.readline()
            if not line:
                break
            found = re.search(announcement, line)
            port = int(found.group(1)) if found else None
        assert port is not None, f"{command[2:4]} did not announce its address"
        yield process, port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start(project: Project, pki_files: dict[str, Path]) -> Iterator[RunningServer]:
    """Serve ``project`` under the embedded mTLS dev server until the generator is closed."""
    command = [
        sys.executable,
        "-m",
        "mtlsguard",
        "devserver",
        "--django-settings",
        project.env["DJANGO_SETTINGS_MODULE"],
        "--port",
        "0",
        "--cert",
        str(pki_files["server"]),
        "--key",
        str(pki_files["server_key"]),
        "--cacert",
        str(pki_files["ca"]),
        "--crl",
        str(pki_files["crl"]),
    ]
    for process, port in serving(command, project, r"https://127\.0\.0\.1:(\d+)/"):
        yield RunningServer(process, port)


def seeded(name: str, pki_env: dict[str, str], tmp: Path, *, seeds: int = 1) -> Project:
    """Example project ``name`` with a fresh database, migrated and seeded ``seeds`` times."""
    project = Project(name, {**pki_env, "DJANGO_DB_PATH": str(tmp / "db.sqlite3")})
    for command in [("migrate", "--noinput")] + [("seed_demo",)] * seeds:
        done = project.manage(*command)
        assert done.returncode == 0, done.stderr
    return project
