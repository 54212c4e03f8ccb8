"""Both examples under the embedded mTLS dev server: real TLS handshakes, real certificates.

This is the demo's setup: ``mtlsguard devserver --django-settings ...`` requires a client
certificate and hands it to Django in the WSGI environ (source ``wsgi-ssl``). With mutual TLS
working exactly as intended, the vulnerable project still lets alice read bob's account;
the hardened one does not.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.examples.conftest import Project, cert_headers

pytestmark = pytest.mark.integration

TIMEOUT = 20.0


class RunningServer:
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


def start(project: Project, pki_files: dict[str, Path]) -> Iterator[RunningServer]:
    process = subprocess.Popen(
        [
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
        ],
        cwd=project.directory,
        env=project.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        port = None
        while port is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            found = re.search(r"https://127\.0\.0\.1:(\d+)/", line)
            port = int(found.group(1)) if found else None
        assert port is not None, "the dev server did not announce its address"
        yield RunningServer(process, port)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def vulnerable_server(vulnerable: Project, pki_files: dict[str, Path]) -> Iterator[RunningServer]:
    yield from start(vulnerable, pki_files)


@pytest.fixture(scope="module")
def hardened_server(hardened: Project, pki_files: dict[str, Path]) -> Iterator[RunningServer]:
    yield from start(hardened, pki_files)


def presenting(pki_files: dict[str, Path], name: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki_files["ca"]))
    context.load_cert_chain(pki_files[name], pki_files[f"{name}_key"])
    return context


def account_ids(project: Project) -> dict[str, int]:
    results, _ = project.requests(
        [{"path": "/api/accounts/", "environ": {}}],  # vulnerable lists everything to anyone
    )
    return {a["owner"]: a["id"] for a in results[0]["body"]}


def test_vulnerable_bola_over_real_mtls(
    vulnerable_server: RunningServer, vulnerable: Project, pki_files: dict[str, Path]
) -> None:
    ids = account_ids(vulnerable)
    alice = presenting(pki_files, "client")
    status, body = vulnerable_server.get(alice, f"/api/accounts/{ids['bob']}/")
    assert status == 200
    assert body["owner"] == "bob"
    status, body = vulnerable_server.get(alice, "/billing/")
    assert status == 200
    assert {i["owner"] for i in body["invoices"]} == {"alice", "bob"}


def test_hardened_over_real_mtls(
    hardened_server: RunningServer,
    vulnerable: Project,
    pki_files: dict[str, Path],
    pki: Any,
) -> None:
    ids = account_ids(vulnerable)  # both projects are seeded identically
    alice = presenting(pki_files, "client")
    bob = presenting(pki_files, "other_client")
    assert hardened_server.get(alice, f"/api/accounts/{ids['bob']}/")[0] == 404
    status, body = hardened_server.get(alice, f"/api/accounts/{ids['alice']}/")
    assert (status, body["owner"]) == (200, "alice")
    status, body = hardened_server.get(bob, f"/api/accounts/{ids['bob']}/")
    assert (status, body["owner"]) == (200, "bob")
    # alice's TLS certificate, plus a forged header claiming to be bob: the header is ignored
    status, body = hardened_server.get(alice, "/billing/", headers=cert_headers(pki.other_client))
    assert status == 200
    assert {i["owner"] for i in body["invoices"]} == {"alice"}


def test_hardened_dev_server_refuses_handshakes_without_a_valid_certificate(
    hardened_server: RunningServer, pki_files: dict[str, Path]
) -> None:
    anonymous = ssl.create_default_context(cafile=str(pki_files["ca"]))
    with pytest.raises((ssl.SSLError, ConnectionError)):
        hardened_server.get(anonymous, "/billing/")
    with pytest.raises((ssl.SSLError, ConnectionError)):
        hardened_server.get(presenting(pki_files, "revoked"), "/billing/")
