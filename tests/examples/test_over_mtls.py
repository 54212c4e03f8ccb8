"""Both examples under the embedded mTLS dev server: real TLS handshakes, real certificates.

This is the demo's setup: ``mtlsguard devserver --django-settings ...`` requires a client
certificate and hands it to Django in the WSGI environ (source ``wsgi-ssl``). With mutual TLS
working exactly as intended, the vulnerable project still lets alice read bob's account;
the hardened one does not.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest

from tests.example_apps import Project, RunningServer, cert_headers
from tests.factories import presenting, tls_client

pytestmark = pytest.mark.integration

TIMEOUT = 20.0


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
    anonymous = tls_client(pki_files["ca"])
    with pytest.raises((ssl.SSLError, ConnectionError)):
        hardened_server.get(anonymous, "/billing/")
    with pytest.raises((ssl.SSLError, ConnectionError)):
        hardened_server.get(presenting(pki_files, "revoked"), "/billing/")
