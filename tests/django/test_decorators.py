"""certificate_required / login_and_certificate_required and their CBV mixins (CWE-308)."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.test import Client

from mtlsguard.devserver.pki import IssuedCertificate, TestPKI
from tests.django.conftest import (
    PERSISTENT,
    PROXY,
    STATELESS,
    PeerAsyncClient,
    nginx_headers,
    sign_in,
    use_middleware,
)


@pytest.fixture
def optional(mtls_settings: Any, alice: Any) -> Any:
    """REQUIRED off: the decorators, not the middleware, decide. bob has no certificate."""
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "REQUIRED": "off"}
    get_user_model().objects.create_user("bob", password="bob-pw-123")
    return mtls_settings


def reason(response: Any) -> str | None:
    if response["Content-Type"] == "application/problem+json":
        return str(response.json()["reason"])
    return None


@pytest.mark.parametrize("path", ["/api/cert", "/api/acert", "/app/cbv-cert"])
def test_certificate_required(optional: Any, pki: TestPKI, path: str) -> None:
    client = Client(REMOTE_ADDR=PROXY)
    assert client.get(path, headers=nginx_headers(pki.client)).status_code == 200
    missing = client.get(path)
    bad = client.get(path, headers=nginx_headers(pki.expired))
    if path.startswith("/api/"):
        assert (missing.status_code, reason(missing)) == (401, "no_certificate")
        assert (bad.status_code, reason(bad)) == (403, "expired")
    else:
        assert (missing.status_code, bad.status_code) == (403, 403)


def mfa_table(path: str, pki: TestPKI) -> list[tuple[str, int, str | None]]:
    def run(user: str | None, cert: IssuedCertificate | None) -> tuple[int, str | None]:
        client = Client(REMOTE_ADDR=PROXY)
        if user:
            sign_in(client, user)
        response = client.get(path, headers=nginx_headers(cert) if cert else {})
        return response.status_code, reason(response)

    return [
        ("both agree", *run("alice", pki.client)),
        ("certificate only", *run(None, pki.client)),
        ("login only", *run("alice", None)),
        ("identities differ", *run("bob", pki.client)),
        ("unbound certificate", *run("bob", pki.other_client)),
    ]


@pytest.mark.parametrize("path", ["/api/mfa", "/api/amfa"])
@pytest.mark.parametrize("middleware", [STATELESS, PERSISTENT])
def test_login_and_certificate_required(
    optional: Any, pki: TestPKI, path: str, middleware: str
) -> None:
    use_middleware(optional, middleware)
    # With the persistent middleware, bob's password session ends when alice's certificate
    # arrives (she is then signed in by certificate only, which is not a second factor).
    differ = (403, "identity_mismatch") if middleware == STATELESS else (401, "login_required")
    assert mfa_table(path, pki) == [
        ("both agree", 200, None),
        ("certificate only", 401, "login_required"),
        ("login only", 401, "no_certificate"),
        ("identities differ", *differ),
        ("unbound certificate", 403, "no_user"),
    ]


@pytest.mark.parametrize("path", ["/app/cbv-mfa", "/app/cbv-amfa"])
def test_mfa_mixin(optional: Any, pki: TestPKI, path: str) -> None:
    statuses = [status for _, status, _ in mfa_table(path, pki)]
    assert statuses == [200, 403, 403, 403, 403]


def test_certificate_login_is_not_a_second_factor(optional: Any, pki: TestPKI) -> None:
    use_middleware(optional, PERSISTENT)
    client = Client(REMOTE_ADDR=PROXY)
    # The persistent middleware logs alice in from her certificate alone...
    assert client.get("/public/whoami", headers=nginx_headers(pki.client)).json()["user"] == "alice"
    # ...which does not satisfy a view that wants a second factor.
    response = client.get("/api/mfa", headers=nginx_headers(pki.client))
    assert (response.status_code, reason(response)) == (401, "login_required")


def test_async_client_agrees(optional: Any, pki: TestPKI) -> None:
    client = PeerAsyncClient(PROXY)
    get = async_to_sync(client.get)
    post = async_to_sync(client.post)
    assert get("/api/amfa", headers=nginx_headers(pki.client)).status_code == 401
    assert (
        post("/public/login", {"username": "alice", "password": "alice-pw-123"}).status_code == 200
    )
    assert get("/api/amfa", headers=nginx_headers(pki.client)).status_code == 200
    assert get("/app/cbv-amfa", headers=nginx_headers(pki.client)).status_code == 200
    assert get("/app/cbv-amfa").status_code == 403


@pytest.mark.parametrize("path", ["/api/mfa", "/api/amfa"])
def test_session_invalidated_by_password_change_is_no_second_factor(
    optional: Any, pki: TestPKI, path: str
) -> None:
    # The stateless middleware replaces request.user with the certificate's user, so Django
    # never checks the session's auth hash; the second factor must still be a live login.
    client = Client(REMOTE_ADDR=PROXY)
    sign_in(client, "alice")
    assert client.get(path, headers=nginx_headers(pki.client)).status_code == 200
    alice = get_user_model().objects.get(username="alice")
    alice.set_password("changed-elsewhere-456")
    alice.save()
    response = client.get(path, headers=nginx_headers(pki.client))
    assert (response.status_code, reason(response)) == (401, "login_required")
