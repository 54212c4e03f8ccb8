"""The same request table through the Django test client, a real gunicorn and a real uvicorn.

The servers run this test project (``server_settings.py``) on 127.0.0.1 with a SQLite file
prepared by ``migrate`` and ``mtlscert bind``. Requests from 127.0.0.1 play the trusted proxy
(forwarding like the nginx recipe); requests bound to 127.0.0.2 play a client that reaches the
app directly.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mtlsguard.devserver.pki import IssuedCertificate, TestPKI
from tests.django.conftest import case_certificate, nginx_headers

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STRANGER = "127.0.0.2"

#: (case, sent from, status, user, reason) -- the expected table.
TABLE: list[tuple[str, str, int, str | None, str | None]] = [
    ("none", "proxy", 401, None, "no_certificate"),
    ("expired", "proxy", 403, None, "expired"),
    ("untrusted_issuer", "proxy", 403, None, "untrusted_issuer"),
    ("revoked", "proxy", 403, None, "revoked"),
    ("unbound", "proxy", 200, None, None),
    ("inactive_user", "proxy", 200, None, None),
    ("bound", "proxy", 200, "alice", None),
    ("bound", "stranger", 400, None, "untrusted_proxy"),
    ("duplicated", "proxy", 400, None, None),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [str(BIN / "python"), "-m", "django", *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def project(
    pki: TestPKI,
    pki_files: dict[str, Path],
    ca_bundle: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    directory = tmp_path_factory.mktemp("servers")
    (directory / "bundle.pem").write_bytes(ca_bundle.read_bytes())
    (directory / "crl.pem").write_bytes(pki_files["crl"].read_bytes())
    env = {
        **os.environ,
        "MTLSGUARD_TEST_DIR": str(directory),
        "DJANGO_SETTINGS_MODULE": "tests.django.server_settings",
        "PYTHONPATH": str(ROOT),
    }
    run(env, "migrate", "--verbosity", "0")
    run(
        env,
        "shell",
        "-c",
        "from django.contrib.auth.models import User;"
        "User.objects.create_user('alice'); User.objects.create_user('carol', is_active=False)",
    )
    run(env, "mtlscert", "bind", "alice", str(pki_files["client"]))
    run(env, "mtlscert", "bind", "carol", str(pki_files["other_client"]))
    # Bound although they must never verify: the certificate check comes first.
    bind_anyway = (
        "from django.contrib.auth.models import User\n"
        "from cryptography import x509\n"
        "from mtlsguard.django.models import CertificateBinding as B\n"
        "alice = User.objects.get(username='alice')\n"
        "for name in ('expired', 'revoked', 'self_signed'):\n"
        f"    pem = open('{directory}/' + name + '.pem', 'rb').read()\n"
        "    B.objects.create(user=alice, **B.fields_for(x509.load_pem_x509_certificate(pem)))\n"
    )
    for name in ("expired", "revoked", "self_signed"):
        (directory / f"{name}.pem").write_bytes(pki_files[name].read_bytes())
    run(env, "shell", "-c", bind_anyway)
    return {"dir": directory, "env": env, "unbound": pki.intermediate.issue("dave-unbound")}


@contextlib.contextmanager
def server(kind: str, env: dict[str, str], directory: Path) -> Iterator[int]:
    port = free_port()
    if kind == "gunicorn":
        command = [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "django.core.wsgi:get_wsgi_application()",
        ]
    else:
        command = [
            str(BIN / "uvicorn"),
            "--factory",
            "django.core.asgi:get_asgi_application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
        ]
    log = (directory / f"{kind}.log").open("wb")
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise AssertionError((directory / f"{kind}.log").read_text()[-3000:])
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def raw_request(port: int, source: str, headers: list[tuple[str, str]]) -> tuple[int, bytes]:
    """Send one GET with exactly these header lines (repeats included)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        conn.putrequest("GET", "/api/whoami")
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def outcome(status: int, body: bytes) -> tuple[int, str | None, str | None]:
    try:
        data = json.loads(body)
    except ValueError:
        return status, None, None
    return status, data.get("user"), data.get("reason")


def request_table(port: int, pki: TestPKI, unbound: IssuedCertificate) -> list[tuple[Any, ...]]:
    rows = []
    for case, origin, *_ in TABLE:
        issued = case_certificate(case, pki, unbound=unbound, duplicated=pki.client)
        headers = list(nginx_headers(issued).items())
        if case == "duplicated":
            # A client-sent copy next to the proxy's: gunicorn folds them with a comma,
            # uvicorn hands both to Django; either way nobody is authenticated.
            forged = nginx_headers(pki.other_client)["X-SSL-Client-Cert"]
            headers.append(("X-SSL-Client-Cert", forged))
        source = STRANGER if origin == "stranger" else "127.0.0.1"
        status, user, reason = outcome(*raw_request(port, source, headers))
        rows.append((case, origin, status, user, reason if case != "duplicated" else None))
    return rows


@pytest.mark.parametrize("kind", ["gunicorn", "uvicorn"])
def test_request_table_on_real_servers(project: dict[str, Any], pki: TestPKI, kind: str) -> None:
    with server(kind, project["env"], project["dir"]) as port:
        rows = request_table(port, pki, project["unbound"])
    assert rows == [
        (case, origin, status, user, reason) for case, origin, status, user, reason in TABLE
    ]
    events = [
        json.loads(line) for line in (project["dir"] / "audit.jsonl").read_text().splitlines()
    ]
    mine = events[-len(TABLE) :]
    assert [(e["decision"], e["status"]) for e in mine] == [
        ("deny" if status >= 400 else "allow", status) for _, _, status, _, _ in TABLE
    ]
    assert mine[6]["user"] == "alice"
    assert mine[7]["peer"] == STRANGER
