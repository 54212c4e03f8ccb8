"""The request matrix: certificate situation x (stateless, persistent, multi-factor) x sync/async.

Every case goes through real Django (test client / AsyncClient), with real certificates from
the session PKI forwarded exactly as the nginx recipe does, and asserts the status, the user
the view saw, and the audit event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.test import Client

from mtlsguard.devserver.pki import IssuedCertificate, TestPKI
from tests.django.conftest import (
    PERSISTENT,
    PROXY,
    PeerAsyncClient,
    audit_events,
    case_certificate,
    nginx_headers,
    sign_in,
    use_middleware,
)
from tests.factories import bind, bound_user


@dataclass(frozen=True)
class Case:
    name: str
    status: int
    user: str | None
    decision: str
    reason: str


CASES = [
    Case("none", 401, None, "deny", "no_certificate"),
    Case("expired", 403, None, "deny", "expired"),
    Case("untrusted_issuer", 403, None, "deny", "untrusted_issuer"),
    Case("revoked", 403, None, "deny", "revoked"),
    Case("unbound", 200, None, "allow", "no_user"),
    Case("inactive_user", 200, None, "allow", "no_user"),
    Case("binding_revoked", 200, None, "allow", "no_user"),
    Case("bound", 200, "alice", "allow", "verified"),
]


@pytest.fixture(scope="module")
def unbound(pki: TestPKI) -> IssuedCertificate:
    return pki.intermediate.issue("dave-unbound")


@pytest.fixture(scope="module")
def revoked_binding_cert(pki: TestPKI) -> IssuedCertificate:
    return pki.intermediate.issue("erin-binding-revoked")


@pytest.fixture
def people(
    alice: Any, pki: TestPKI, revoked_binding_cert: IssuedCertificate
) -> dict[str, IssuedCertificate | None]:
    bound_user("carol", pki.other_client, is_active=False)
    # The expired/revoked/rogue certificates are bound to alice: verification must still fail.
    for issued in (pki.expired, pki.revoked, pki.self_signed):
        bind(alice, issued)
    from django.utils import timezone

    bind(
        get_user_model().objects.create_user("erin"),
        revoked_binding_cert,
        revoked_at=timezone.now(),
    )
    return {}


def run_sync(path: str, headers: dict[str, str]) -> tuple[int, dict[str, Any], Client]:
    client = Client(REMOTE_ADDR=PROXY)
    response = client.get(path, headers=headers)
    return response.status_code, _body(response), client


def run_async(path: str, headers: dict[str, str]) -> tuple[int, dict[str, Any], Any]:
    client = PeerAsyncClient(PROXY)
    response = async_to_sync(client.get)(path, headers=headers)
    return response.status_code, _body(response), client


def _body(response: Any) -> dict[str, Any]:
    if response["Content-Type"].startswith(("application/json", "application/problem+json")):
        result: dict[str, Any] = response.json()
        return result
    return {}


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["stateless", "persistent"])
@pytest.mark.parametrize("runner", [run_sync, run_async], ids=["sync", "async"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_matrix(
    case: Case,
    mode: str,
    runner: Any,
    mtls_settings: Any,
    people: Any,
    pki: TestPKI,
    unbound: IssuedCertificate,
    revoked_binding_cert: IssuedCertificate,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if mode == "persistent":
        use_middleware(mtls_settings, PERSISTENT)
    issued = case_certificate(case.name, pki, unbound=unbound, binding_revoked=revoked_binding_cert)
    caplog.set_level(logging.INFO, logger="mtlsguard.audit")

    status, body, client = runner("/api/whoami", nginx_headers(issued))

    assert status == case.status
    if status == 200:
        assert body["user"] == case.user
        assert issued is not None
        assert body["cert"] == _sha256(issued)
        assert body["error"] is None
    else:
        assert body["status"] == case.status
        assert body["reason"] == case.reason
    events = audit_events(caplog)
    assert len(events) == 1
    event = events[0]
    assert (event["decision"], event["reason"], event["status"]) == (
        case.decision,
        case.reason,
        case.status,
    )
    assert event["user"] == (case.user or "")
    assert event["path"] == "/api/whoami"
    assert event["peer"] == PROXY
    assert event["fingerprint"] == (_sha256(issued) if issued else "")
    if mode == "persistent":
        logged_in = "sessionid" in client.cookies
        assert logged_in == (case.user is not None)
        if case.user is not None:
            assert body["session_user"] is not None
    else:
        assert "sessionid" not in client.cookies
        assert body.get("session_user") is None


def _sha256(issued: IssuedCertificate) -> str:
    import hashlib

    return hashlib.sha256(issued.der).hexdigest()


#: The same certificate situations under the multi-factor policy: alice has signed in with her
#: password, then presents the case's certificate to a ``login_and_certificate_required`` view.
#: Only her own, valid, bound certificate completes the second factor.
MFA_EXPECTED = {
    "none": (401, "no_certificate"),
    "expired": (403, "expired"),
    "untrusted_issuer": (403, "untrusted_issuer"),
    "revoked": (403, "revoked"),
    "unbound": (403, "no_user"),
    "inactive_user": (403, "no_user"),
    "binding_revoked": (403, "no_user"),
    "bound": (200, None),
}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/mfa", "/api/amfa"], ids=["sync", "async"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_matrix_multi_factor(
    case: Case,
    path: str,
    mtls_settings: Any,
    people: Any,
    pki: TestPKI,
    unbound: IssuedCertificate,
    revoked_binding_cert: IssuedCertificate,
) -> None:
    issued = case_certificate(case.name, pki, unbound=unbound, binding_revoked=revoked_binding_cert)
    client = Client(REMOTE_ADDR=PROXY)
    sign_in(client, "alice")

    response = client.get(path, headers=nginx_headers(issued))

    expected_status, expected_reason = MFA_EXPECTED[case.name]
    assert response.status_code == expected_status
    if expected_reason is not None:
        assert response.json()["reason"] == expected_reason
    # Without the certificate factor the password session alone never reaches the view.
    assert client.get(path).status_code == 401
