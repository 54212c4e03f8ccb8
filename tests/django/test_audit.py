"""Audit events: what they hold, what they never hold, and the database sink."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client

from mtlsguard.devserver.pki import TestPKI
from mtlsguard.django.models import AuditEvent
from tests.django.conftest import PROXY, nginx_headers


def records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "mtlsguard.audit"]


def test_event_fields_and_no_secrets(
    mtls_settings: Any, alice: Any, pki: TestPKI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mtlsguard.audit")
    headers = {
        **nginx_headers(pki.client),
        "X-Request-ID": "req-42",
        "Authorization": "Bearer s3cr3t",
    }
    Client(REMOTE_ADDR=PROXY).get("/api/whoami?token=s3cr3t", headers=headers)
    [record] = records(caplog)
    event = record.audit
    assert event == {
        "decision": "allow",
        "reason": "verified",
        "status": 200,
        "method": "GET",
        "path": "/api/whoami",
        "peer": PROXY,
        "request_id": "req-42",
        "fingerprint": event["fingerprint"],
        "subject": pki.client.cert.subject.rfc4514_string(),
        "issuer": pki.client.cert.issuer.rfc4514_string(),
        "serial": format(pki.client.cert.serial_number, "X"),
        "user": "alice",
        "client": PROXY,
    }
    assert len(event["fingerprint"]) == 64
    text = record.getMessage()
    assert "s3cr3t" not in text
    assert "BEGIN" not in text
    assert "MII" not in text
    assert nginx_headers(pki.client)["X-SSL-Client-Cert"][:40] not in text
    assert "decision=allow" in text


def test_junk_request_id_is_replaced(
    mtls_settings: Any, alice: Any, pki: TestPKI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mtlsguard.audit")
    Client(REMOTE_ADDR=PROXY).get(
        "/api/whoami", headers={**nginx_headers(pki.client), "X-Request-ID": "a b\nforged=1"}
    )
    [record] = records(caplog)
    assert len(record.audit["request_id"]) == 32
    assert "forged" not in record.getMessage()


def test_denied_requests_are_warnings_and_allowed_can_be_silenced(
    mtls_settings: Any, alice: Any, pki: TestPKI, caplog: pytest.LogCaptureFixture
) -> None:
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "AUDIT": {"LOG_ALLOWED": False}}
    caplog.set_level(logging.INFO, logger="mtlsguard.audit")
    client = Client(REMOTE_ADDR=PROXY)
    client.get("/api/whoami", headers=nginx_headers(pki.client))
    client.get("/api/whoami", headers=nginx_headers(pki.expired))
    [record] = records(caplog)
    assert record.levelno == logging.WARNING
    assert (record.audit["decision"], record.audit["reason"]) == ("deny", "expired")


def test_requests_without_certificate_business_are_not_events(
    mtls_settings: Any, db: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mtlsguard.audit")
    Client(REMOTE_ADDR=PROXY).get("/public/whoami")
    assert records(caplog) == []


def test_database_sink(mtls_settings: Any, alice: Any, pki: TestPKI) -> None:
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "AUDIT": {"DATABASE": True}}
    client = Client(REMOTE_ADDR=PROXY)
    client.get("/api/whoami", headers=nginx_headers(pki.client))
    client.get("/api/whoami", headers=nginx_headers(pki.self_signed))
    rows = list(
        AuditEvent.objects.order_by("id").values_list("decision", "reason", "status", "user")
    )
    assert rows == [("allow", "verified", 200, "alice"), ("deny", "untrusted_issuer", 403, "")]


def test_database_sink_from_async(mtls_settings: Any, alice: Any, pki: TestPKI) -> None:
    from asgiref.sync import async_to_sync

    from tests.django.conftest import PeerAsyncClient

    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "AUDIT": {"DATABASE": True}}
    client = PeerAsyncClient(PROXY)
    async_to_sync(client.get)("/api/whoami", headers=nginx_headers(pki.client))
    async_to_sync(client.get)("/api/whoami", headers=nginx_headers(pki.revoked))
    rows = list(AuditEvent.objects.order_by("id").values_list("decision", "reason", "user"))
    assert rows == [("allow", "verified", "alice"), ("deny", "revoked", "")]


@pytest.mark.parametrize(
    ("peer", "xff", "client"),
    [
        (PROXY, "203.0.113.50", "203.0.113.50"),  # what the trusted proxy saw
        (PROXY, "10.9.9.9, 203.0.113.50", "203.0.113.50"),  # leftmost: client-supplied
        (PROXY, "not-an-ip", PROXY),
        ("203.0.113.7", "192.0.2.1", "203.0.113.7"),  # an untrusted peer's XFF is ignored
    ],
)
def test_client_address_comes_only_from_a_trusted_proxy(
    mtls_settings: Any,
    alice: Any,
    pki: TestPKI,
    caplog: pytest.LogCaptureFixture,
    peer: str,
    xff: str,
    client: str,
) -> None:
    caplog.set_level(logging.INFO, logger="mtlsguard.audit")
    headers = {"X-Forwarded-For": xff, **nginx_headers(pki.client)}
    Client(REMOTE_ADDR=peer).get("/api/whoami", headers=headers)
    [record] = records(caplog)
    assert (record.audit["peer"], record.audit["client"]) == (peer, client)
