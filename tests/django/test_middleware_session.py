"""The stateless middleware and another user's session cookie (issue 14, item 9).

Where a certificate is required it is the identity: a valid certificate that maps to no user
makes the request anonymous, as docs/django.md says, even when the browser also carries the
session cookie of someone who signed in with a password.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.test import Client

from mtlsguard.devserver.pki import IssuedCertificate, TestPKI
from tests.django.conftest import PROXY, PeerAsyncClient, nginx_headers, sign_in


@pytest.fixture(scope="module")
def unbound(pki: TestPKI) -> IssuedCertificate:
    return pki.intermediate.issue("dave-unbound-session")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/whoami", "/app/whoami"])
def test_unbound_certificate_does_not_ride_on_a_session(
    mtls_settings: Any, alice: Any, pki: TestPKI, unbound: IssuedCertificate, path: str
) -> None:
    client = Client(REMOTE_ADDR=PROXY)
    sign_in(client, "alice")
    assert client.get(path, headers=nginx_headers(pki.client)).json()["user"] == "alice"

    body = client.get(path, headers=nginx_headers(unbound)).json()

    assert body["cert"] is not None  # the certificate verified...
    assert body["session_user"] is not None  # ...the cookie still names alice...
    assert body["user"] is None  # ...and the request is anonymous, not alice


@pytest.mark.django_db(transaction=True)
def test_unbound_certificate_does_not_ride_on_a_session_async(
    mtls_settings: Any, alice: Any, unbound: IssuedCertificate
) -> None:
    client = PeerAsyncClient(PROXY)

    async def scenario() -> dict[str, Any]:
        response = await client.post(
            "/public/login", {"username": "alice", "password": "alice-pw-123"}
        )
        assert response.status_code == 200
        response = await client.get("/api/whoami", headers=nginx_headers(unbound))
        return dict(response.json())

    body = asyncio.run(scenario())
    assert body["cert"] is not None
    assert body["user"] is None


@pytest.mark.django_db
def test_public_path_keeps_the_password_session(
    mtls_settings: Any, alice: Any, unbound: IssuedCertificate
) -> None:
    # Outside REQUIRED the certificate is optional: a password login is left alone.
    client = Client(REMOTE_ADDR=PROXY)
    sign_in(client, "alice")
    assert client.get("/public/whoami", headers=nginx_headers(unbound)).json()["user"] == "alice"
