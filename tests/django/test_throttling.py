"""Failed certificate authentications are throttled per peer and per fingerprint (CWE-307)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from mtlsguard.devserver.pki import TestPKI
from tests.django.conftest import PROXY, nginx_headers
from tests.factories import verified


@pytest.fixture
def throttled(mtls_settings: Any) -> Any:
    mtls_settings.MTLSGUARD = {
        **mtls_settings.MTLSGUARD,
        "THROTTLE": {"ENABLED": True, "FAILURES": 3, "WINDOW": 2},
    }
    return mtls_settings


@pytest.mark.django_db
def test_429_after_the_configured_failures_then_recovery(throttled: Any, pki: TestPKI) -> None:
    client = Client(REMOTE_ADDR=PROXY)
    statuses = [
        client.get("/api/whoami", headers=nginx_headers(pki.expired)).status_code for _ in range(4)
    ]
    assert statuses == [403, 403, 403, 429]
    refused = client.get("/api/whoami", headers=nginx_headers(pki.expired))
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 2
    assert refused.json()["reason"] == "throttled"
    time.sleep(2.1)
    assert client.get("/api/whoami", headers=nginx_headers(pki.expired)).status_code == 403


@pytest.mark.django_db
def test_per_fingerprint_limit_holds_across_peers(throttled: Any, pki: TestPKI) -> None:
    for i in range(3):
        peer = f"10.0.1.{i}"
        assert (
            Client(REMOTE_ADDR=peer)
            .get("/api/whoami", headers=nginx_headers(pki.revoked))
            .status_code
            == 403
        )
    response = Client(REMOTE_ADDR="10.0.2.1").get("/api/whoami", headers=nginx_headers(pki.revoked))
    assert response.status_code == 429


@pytest.mark.django_db
def test_valid_certificates_are_not_locked_out_by_failures_from_the_same_peer(
    throttled: Any, pki: TestPKI
) -> None:
    client = Client(REMOTE_ADDR=PROXY)
    for _ in range(4):
        client.get("/api/whoami", headers=nginx_headers(pki.self_signed))
    assert client.get("/api/whoami", headers=nginx_headers(pki.self_signed)).status_code == 429
    assert client.get("/api/whoami", headers=nginx_headers(pki.client)).status_code == 200


@pytest.mark.django_db
def test_missing_certificate_is_not_a_failure(throttled: Any) -> None:
    client = Client(REMOTE_ADDR=PROXY)
    assert {client.get("/api/whoami").status_code for _ in range(6)} == {401}


@pytest.mark.django_db
def test_behind_a_proxy_the_limit_is_per_client_address(throttled: Any, pki: TestPKI) -> None:
    proxy = Client(REMOTE_ADDR=PROXY)

    def attempt(client_ip: str, issued: Any) -> int:
        headers = {**nginx_headers(issued), "X-Forwarded-For": f"198.51.100.99, {client_ip}"}
        return proxy.get("/api/whoami", headers=headers).status_code

    # Three failures from one client, each with a different certificate (so only the
    # per-client counter can trip)...
    assert [attempt("192.0.2.1", c) for c in (pki.expired, pki.revoked, pki.self_signed)] == [
        403,
        403,
        403,
    ]
    assert attempt("192.0.2.1", pki.not_yet_valid) == 429
    # ...do not throttle another client behind the same proxy. The leftmost XFF entry is
    # whatever the client sent and is never used.
    assert attempt("192.0.2.2", pki.not_yet_valid) == 403


@pytest.mark.parametrize(
    ("peer", "xff", "certificate", "expected"),
    [
        # a verified certificate: its fingerprint only, wherever it comes from
        (PROXY, "192.0.2.1", "verified", (None, "fp")),
        ("198.51.100.7", None, "verified", (None, "fp")),
        # a direct client: its address, and what it presented
        ("198.51.100.7", "192.0.2.1", "refused", ("198.51.100.7", "fp")),
        ("198.51.100.7", None, None, ("198.51.100.7", None)),
        # behind the proxy: the address it reported, never its own
        (PROXY, "6.6.6.6, 192.0.2.1", "refused", ("192.0.2.1", "fp")),
        (PROXY, None, "refused", (None, "fp")),
        (PROXY, "not an address", None, (None, None)),
    ],
)
def test_failure_subjects_is_the_one_policy(
    mtls_settings: Any,
    pki: TestPKI,
    peer: str,
    xff: str | None,
    certificate: str | None,
    expected: tuple[str | None, str | None],
) -> None:
    from django.test import RequestFactory

    from mtlsguard.certs import CertificateError
    from mtlsguard.certs.request import CertificateOutcome
    from mtlsguard.django.conf import get_settings
    from mtlsguard.django.throttling import FailureSubjects, failure_subjects

    settings = get_settings()
    checked = verified(pki.client)
    cert = checked.certificate
    outcome = {
        None: CertificateOutcome(None, None, None),
        "refused": CertificateOutcome(cert, None, CertificateError("revoked", "revoked")),
        "verified": CertificateOutcome(cert, checked, None),
    }[certificate]
    headers = {"X-Forwarded-For": xff} if xff else {}
    request = RequestFactory().get("/", headers=headers, REMOTE_ADDR=peer)
    address, fingerprint = expected
    assert failure_subjects(request, settings, outcome) == FailureSubjects(
        address, cert.sha256 if fingerprint else None
    )
