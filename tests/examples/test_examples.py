"""The example projects, each in its own process: vulnerable answers, hardened refuses.

Each project is migrated and seeded (``manage.py migrate`` / ``seed_demo``) into a temporary
SQLite file; requests then go through Django's test client inside that project's process
(``driver.py``), with certificates from the session's TestPKI. The dev server's way of
presenting a certificate is the WSGI environ (source ``wsgi-ssl``); nginx's is headers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mtlsguard.devserver.pki import TestPKI
from tests.example_apps import PROXY, STRANGER, Project, cert_headers, dev_server


def owners(response: dict[str, Any]) -> set[str]:
    return {invoice["owner"] for invoice in response["body"]["invoices"]}


def test_vulnerable_billing_answers_a_forged_header(vulnerable: Project, pki: TestPKI) -> None:
    results, _ = vulnerable.requests(
        [
            # no certificate at all, just the header a proxy would have set
            {"path": "/billing/", "headers": {"X-SSL-Client-Verify": "SUCCESS"}, "peer": STRANGER},
            # a forwarded (or forged) certificate header
            {"path": "/billing/", "headers": cert_headers(pki.client), "peer": STRANGER},
            # alice over the dev server's direct TLS reads bob's account (BOLA)
            {"path": "/api/accounts/{bob}/", "environ": dev_server(pki.client)},
            {"path": "/api/accounts/", "environ": dev_server(pki.client)},
            {"path": "/billing/"},
        ]
    )
    forged_verify, forged_cert, bola, listing, nothing = results
    assert forged_verify["status"] == 200
    assert owners(forged_verify) == {"alice", "bob"}
    assert forged_cert["status"] == 200
    assert bola["status"] == 200
    assert bola["body"]["owner"] == "bob"
    assert bola["body"]["iban"] == "DE02120300000000202051"
    assert {a["owner"] for a in listing["body"]} == {"alice", "bob"}
    assert nothing["status"] == 403  # the only gate it has


def test_hardened_under_the_dev_server(hardened: Project, pki: TestPKI) -> None:
    carol = pki.intermediate.issue("carol")
    results, stderr = hardened.requests(
        [
            {"path": "/billing/", "headers": {"X-SSL-Client-Verify": "SUCCESS"}},
            {"path": "/billing/", "headers": cert_headers(pki.client)},
            {"path": "/api/accounts/{bob}/", "environ": dev_server(pki.client)},
            {"path": "/api/accounts/{alice}/", "environ": dev_server(pki.client)},
            {"path": "/api/accounts/", "environ": dev_server(pki.client)},
            {"path": "/billing/", "environ": dev_server(pki.client)},
            {"path": "/billing/", "environ": dev_server(pki.expired)},
            {"path": "/billing/", "environ": dev_server(pki.revoked)},
            {"path": "/billing/", "environ": dev_server(carol)},
            {"path": "/api/accounts/", "environ": dev_server(carol)},
        ]
    )
    (
        forged_verify,
        forged_cert,
        bola,
        own,
        listing,
        billing,
        expired,
        revoked,
        unbound_billing,
        unbound_api,
    ) = results
    for forged in (forged_verify, forged_cert):  # headers are never read for wsgi-ssl
        assert forged["status"] == 401
        assert forged["content_type"] == "application/problem+json"
        assert forged["body"]["reason"] == "no_certificate"
        assert forged["www_authenticate"]
    assert bola["status"] == 404
    assert "DE02120300000000202051" not in json.dumps(bola["body"])
    assert own["status"] == 200
    assert own["body"]["owner"] == "alice"
    assert [a["owner"] for a in listing["body"]] == ["alice"]
    assert billing["status"] == 200
    assert owners(billing) == {"alice"}
    assert expired["status"] == 403
    assert expired["body"]["reason"] == "expired"
    assert revoked["status"] == 403
    assert revoked["body"]["reason"] == "revoked"
    assert unbound_billing["status"] == 403  # a verified certificate, but nobody's
    assert unbound_api["status"] == 401
    # the audit trail names the refusals (fingerprints, never certificates)
    assert "decision=deny reason=no_certificate" in stderr
    assert "decision=deny reason=revoked" in stderr
    assert "decision=allow reason=verified" in stderr
    assert "BEGIN CERTIFICATE" not in stderr


def test_hardened_behind_nginx(hardened: Project, pki: TestPKI) -> None:
    env = {"MTLSGUARD_SOURCE": "nginx", "MTLSGUARD_TRUSTED_PROXIES": PROXY}
    results, _ = hardened.requests(
        [
            {"path": "/billing/", "headers": cert_headers(pki.client), "peer": STRANGER},
            {"path": "/billing/", "headers": cert_headers(pki.client), "peer": PROXY},
            {
                "path": "/api/accounts/{bob}/",
                "headers": cert_headers(pki.client),
                "peer": PROXY,
            },
            {
                "path": "/api/accounts/{bob}/",
                "headers": cert_headers(pki.other_client),
                "peer": PROXY,
            },
            {"path": "/billing/", "peer": PROXY},
        ],
        env=env,
    )
    stranger, alice_billing, bola, bob_own, nothing = results
    assert stranger["status"] == 400
    assert stranger["body"]["reason"] == "untrusted_proxy"
    assert alice_billing["status"] == 200
    assert owners(alice_billing) == {"alice"}
    assert bola["status"] == 404
    assert bob_own["status"] == 200
    assert bob_own["body"]["owner"] == "bob"
    assert nothing["status"] == 401


def test_hardened_passes_its_system_checks(hardened: Project) -> None:
    done = hardened.manage("check", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stderr + done.stdout


def test_seed_refuses_missing_or_bad_certificates(hardened: Project, tmp_path: Path) -> None:
    bad = tmp_path / "not-a-cert.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
    done = hardened.manage("seed_demo", "--alice-cert", str(bad))
    assert done.returncode != 0
    assert "--alice-cert" in done.stderr
    done = hardened.manage("seed_demo", env={"MTLSGUARD_DEMO_BOB_CERT": ""})
    assert done.returncode != 0
    assert "--bob-cert is required" in done.stderr
