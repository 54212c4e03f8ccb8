"""The middleware and the DRF classes audit and throttle a failure alike.

Both build audit records with :func:`mtlsguard.django.audit.audit_record` and decide what a
failure counts against with :func:`mtlsguard.django.throttling.failure_subjects`; these tests
send the same requests through each path (the middleware in front of a DRF view, and the DRF
classes alone) and compare what comes out.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from django.test import Client

from mtlsguard.devserver.pki import IssuedCertificate, TestPKI
from tests.django.conftest import PROXY, STRANGER, audit_events, nginx_headers

PATHS = ("middleware", "drf")
#: nginx refused the client's certificate itself and forwards only its verdict: there is no
#: certificate, so no fingerprint, to count the failure against.
PROXY_REFUSED = {"X-SSL-Client-Verify": "FAILED:certificate has expired"}


@pytest.fixture(params=PATHS)
def path(request: pytest.FixtureRequest, drf_settings: Any) -> str:
    """``middleware``: it refuses /drf/ itself; ``drf``: no middleware, the classes alone."""
    if request.param == "middleware":
        drf_settings.MTLSGUARD = {**drf_settings.MTLSGUARD, "REQUIRED": ["/drf/"]}
    else:
        drf_settings.MIDDLEWARE = [
            m for m in drf_settings.MIDDLEWARE if not m.startswith("mtlsguard.")
        ]
    return str(request.param)


@pytest.fixture
def throttle(drf_settings: Any) -> None:
    drf_settings.MTLSGUARD = {
        **drf_settings.MTLSGUARD,
        "THROTTLE": {"ENABLED": True, "FAILURES": 3, "WINDOW": 60},
    }


def _get(
    issued: IssuedCertificate | dict[str, str] | None,
    *,
    client_ip: str | None = None,
    peer: str = PROXY,
    **headers: str,
) -> int:
    sent = dict(issued) if isinstance(issued, dict) else nginx_headers(issued)
    if client_ip is not None:
        sent["X-Forwarded-For"] = f"198.51.100.99, {client_ip}"
    response = Client(REMOTE_ADDR=peer).get("/drf/whoami", headers={**sent, **headers})
    return int(response.status_code)


@pytest.mark.django_db
def test_denials_are_audited_with_the_same_fields(
    path: str, users: dict[str, Any], pki: TestPKI, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="mtlsguard.audit"):
        status = _get(pki.revoked, client_ip="192.0.2.10", **{"X-Request-ID": "req-42"})
    events = audit_events(caplog)
    assert len(events) == 1
    event = events[0]
    # The middleware refuses an invalid certificate with 403, DRF's authentication with 401;
    # every other field is the same, whichever path wrote it.
    assert event.pop("status") == status == {"middleware": 403, "drf": 401}[path]
    revoked = pki.revoked.cert
    assert event == {
        "decision": "deny",
        "reason": "revoked",
        "method": "GET",
        "path": "/drf/whoami",
        "peer": PROXY,
        "request_id": "req-42",
        "fingerprint": revoked.fingerprint(hashes.SHA256()).hex(),
        "subject": revoked.subject.rfc4514_string(),
        "issuer": revoked.issuer.rfc4514_string(),
        "serial": format(revoked.serial_number, "X"),
        "user": "",
        "client": "192.0.2.10",
    }


@pytest.mark.django_db
def test_a_client_without_a_certificate_is_counted_by_the_address_the_proxy_reported(
    path: str, throttle: None, users: dict[str, Any]
) -> None:
    attempts = [_get(PROXY_REFUSED, client_ip="192.0.2.1") for _ in range(4)]
    assert attempts[:3] != [429] * 3
    assert attempts[3] == 429
    # another client behind the same proxy is not locked out, nor is the proxy itself
    assert _get(PROXY_REFUSED, client_ip="192.0.2.2") != 429


@pytest.mark.django_db
def test_a_refused_certificate_is_counted_wherever_it_comes_from(
    path: str, throttle: None, users: dict[str, Any], pki: TestPKI
) -> None:
    assert 429 not in [_get(pki.revoked, client_ip=f"192.0.2.{i}") for i in range(3)]
    assert _get(pki.revoked, client_ip="192.0.2.99") == 429
    assert _get(pki.client, client_ip="192.0.2.99") == 200


@pytest.mark.django_db
def test_the_proxy_address_alone_is_never_counted(
    path: str, throttle: None, users: dict[str, Any], pki: TestPKI
) -> None:
    # Without X-Forwarded-For every client behind the proxy shares its address: one client's
    # failures must not lock the others out.
    assert _get(pki.revoked) != 429
    assert [_get(pki.revoked) for _ in range(3)][-1] == 429  # the certificate is counted
    assert _get(pki.expired) != 429
    assert {_get(PROXY_REFUSED) for _ in range(5)} != {429}


@pytest.mark.django_db
def test_a_direct_client_is_counted_by_its_address(
    path: str, throttle: None, users: dict[str, Any], pki: TestPKI
) -> None:
    # Forwarded headers from a stranger: refused (400 by the middleware, 401 by DRF) and
    # counted against the stranger's own address.
    statuses = [_get(pki.client, peer=STRANGER) for _ in range(4)]
    assert 429 not in statuses[:3]
    assert statuses[3] == 429


@pytest.mark.django_db
def test_a_throttled_refusal_is_audited_on_both_paths(
    path: str, throttle: None, users: dict[str, Any], pki: TestPKI, caplog: pytest.LogCaptureFixture
) -> None:
    """Every decision is an audit event, the 429 included (regression: DRF raised Throttled
    before it audited anything)."""
    with caplog.at_level(logging.INFO, logger="mtlsguard.audit"):
        statuses = [_get(pki.revoked, client_ip="192.0.2.7") for _ in range(4)]
    assert statuses[3] == 429
    events = audit_events(caplog)
    assert len(events) == 4
    assert (events[3]["reason"], events[3]["status"]) == ("throttled", 429)
    assert events[3]["client"] == "192.0.2.7"
