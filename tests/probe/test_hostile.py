"""A hostile server never crashes the probe; every failure is reported; bounds hold."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from mtlsguard.devserver.pki import TestPKI
from mtlsguard.probe.config import Identity, ProbeConfig
from mtlsguard.probe.discovery import load_openapi, load_path_list
from mtlsguard.probe.runner import run_probe
from tests.factories import identity_args
from tests.probe.hostile import HUGE_BYTES, HostileServer

pytestmark = pytest.mark.integration

HOSTILE = (
    "/ok\n/slow\n/drip\n/reset\n/error\n/loop\n/offhost\n/badredirect\n/huge\n/retry\n/garbage\n"
)


def config(server: HostileServer, pki_files: dict[str, Path], **extra: object) -> ProbeConfig:
    settings: dict[str, object] = {
        "timeout": 1.0,
        "max_body": 256 << 10,
        "concurrency": 4,
        "cacert": pki_files["ca"],
    }
    settings.update(extra)
    return ProbeConfig(
        base_url=server.url,
        identity=Identity("A", pki_files["client"], pki_files["client_key"]),
        peer=Identity("B", pki_files["other_client"], pki_files["other_client_key"]),
        **settings,  # type: ignore[arg-type]
    )


def messages(result: object) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in result.errors:  # type: ignore[attr-defined]
        found.setdefault(error.path.rsplit("/", 1)[-1] or error.path, []).append(error.message)
    return found


def test_every_failure_is_reported_and_nothing_crashes(
    hostile_server: HostileServer, pki_files: dict[str, Path]
) -> None:
    started = time.monotonic()
    result = run_probe(config(hostile_server, pki_files), load_path_list(HOSTILE).endpoints)
    elapsed = time.monotonic() - started
    errors = messages(result)
    text = json.dumps(errors)
    assert any("timed out" in m or "no complete response" in m for m in errors["slow"]), text
    assert any("no complete response within 3s" in m for m in errors["drip"]), text
    assert any("connection" in m or "protocol" in m for m in errors["reset"]), text
    assert any("server error 500" in m for m in errors["error"]), text
    assert any("more than 5 redirects" in m for m in errors["loop"]), text
    assert any("elsewhere.invalid/steal not followed" in m for m in errors["offhost"]), text
    assert any("body larger than 262144 bytes" in m for m in errors["huge"]), text
    # httpx refuses this Location itself; the client's own check covers what httpx lets by
    assert any("Invalid URL in location" in m for m in errors["badredirect"]), text
    assert any("protocol" in m for m in errors["garbage"]), text
    assert "retry" not in errors, text  # Retry-After honoured, then 200
    assert hostile_server.retry_seen >= 4  # one 429 and three identities' answers
    assert "ok" not in errors, text
    # the redirect off the host was never requested; the huge body was not read to its end
    assert all(not p.startswith("https://elsewhere") for _, p in hostile_server.requests)
    assert hostile_server.huge_sent
    assert max(hostile_server.huge_sent) < HUGE_BYTES // 2
    assert elapsed < 60
    assert result.reached > 0


def test_only_safe_methods_without_the_flag(
    hostile_server: HostileServer, pki_files: dict[str, Path]
) -> None:
    document = {
        "openapi": "3.0.3",
        "paths": {
            "/items/": {"get": {}, "post": {}},
            "/items/{id}/": {"get": {}, "put": {}, "patch": {}, "delete": {}},
        },
    }
    inventory = load_openapi(json.dumps(document))
    result = run_probe(config(hostile_server, pki_files), inventory.endpoints)
    methods = {method for method, _ in hostile_server.requests}
    assert methods == {"GET"}
    assert ("GET", "/items/7/") in hostile_server.requests  # the ID came from the listing
    assert result.reached > 0


def test_max_requests_is_a_hard_bound(
    hostile_server: HostileServer, pki_files: dict[str, Path]
) -> None:
    paths = "\n".join(f"/items/{n}/" for n in range(50))
    result = run_probe(
        config(hostile_server, pki_files, max_requests=17), load_path_list(paths).endpoints
    )
    assert result.requests_sent == 17
    assert len(hostile_server.requests) <= 17
    assert any("max-requests" in e.message for e in result.errors)


def test_max_time_is_a_hard_bound(
    hostile_server: HostileServer, pki_files: dict[str, Path]
) -> None:
    hostile_server.slow_seconds = 0.5
    paths = "\n".join(["/slow"] * 1) + "\n" + "\n".join(f"/items/{n}/" for n in range(40))
    started = time.monotonic()
    result = run_probe(
        config(hostile_server, pki_files, max_time=1.5, concurrency=1),
        load_path_list(paths).endpoints,
    )
    assert time.monotonic() - started < 6
    assert any("max-time" in e.message for e in result.errors)


def test_tls_failure_is_reported(
    hostile_server: HostileServer, rsa_pki: TestPKI, tmp_path: Path, pki_files: dict[str, Path]
) -> None:
    wrong_ca = tmp_path / "other-ca.pem"  # the server's certificate does not chain to it
    wrong_ca.write_bytes(rsa_pki.root.cert.public_bytes(Encoding.PEM))
    result = run_probe(
        config(hostile_server, pki_files, cacert=wrong_ca), load_path_list("/ok").endpoints
    )
    assert result.reached == 0
    assert result.findings == ()
    assert hostile_server.requests == []
    assert any(
        "TLS failure: unable to get local issuer certificate" in e.message for e in result.errors
    ), result.errors


def test_rate_is_respected(hostile_server: HostileServer, pki_files: dict[str, Path]) -> None:
    paths = "\n".join(f"/items/{n}/" for n in range(6))
    started = time.monotonic()
    result = run_probe(
        config(hostile_server, pki_files, rate=20.0), load_path_list(paths).endpoints
    )
    elapsed = time.monotonic() - started
    assert result.requests_sent == len(hostile_server.requests) >= 18
    assert elapsed >= (result.requests_sent - 1) / 20.0 * 0.95


def test_cli_fetches_openapi_over_mtls_and_reports_json(
    hostile_server: HostileServer, pki_files: dict[str, Path]
) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mtlsguard",
            "probe",
            hostile_server.url,
            *identity_args(pki_files, peer=False),
            "--openapi",
            hostile_server.url + "openapi.json",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr  # MG401: this server answers without a certificate
    report = json.loads(done.stdout)
    assert {(f["rule_id"], f["route"]) for f in report["findings"]} == {
        ("MG401", "/items/"),
        ("MG401", "/items/{id}/"),
    }
    assert report["probe"]["categories"]["BOLA"]["grade"] == "n/a"
    assert ("GET", "/openapi.json") in hostile_server.requests
    assert ("GET", "/items/7/") in hostile_server.requests
    assert {method for method, _ in hostile_server.requests} == {"GET"}


def test_cookies_never_carry_over_between_requests(
    hostile_server: HostileServer, pki_files: dict[str, Path]
) -> None:
    paths = "/login-cookie\n" + "\n".join(f"/items/{n}/" for n in range(5))
    result = run_probe(
        config(hostile_server, pki_files, concurrency=1), load_path_list(paths).endpoints
    )
    assert result.requests_sent > 10
    assert hostile_server.cookies_received == []


def test_a_login_page_behind_a_redirect_is_not_data(
    hostile_server: HostileServer, pki_files: dict[str, Path]
) -> None:
    result = run_probe(
        config(hostile_server, pki_files), load_path_list("/private\n/noslash").endpoints
    )
    assert ("GET", "/accounts/login/?next=/private") in hostile_server.requests
    # /private sends everyone to the login page: nothing; /noslash only appends a slash
    assert {(f.rule_id, f.route) for f in result.findings} == {("MG401", "/noslash")}
