"""PersistentClientCertificateMiddleware: one login per certificate, logout when it changes."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from mtlsguard.devserver.pki import TestPKI
from mtlsguard.django.middleware import SESSION_FINGERPRINT_KEY
from mtlsguard.django.models import CertificateBinding
from tests.django.conftest import (
    PERSISTENT,
    PROXY,
    PeerAsyncClient,
    nginx_headers,
    sign_in,
    use_middleware,
)


@pytest.fixture
def persistent(mtls_settings: Any) -> Any:
    use_middleware(mtls_settings, PERSISTENT)
    return mtls_settings


def test_logs_in_once_and_keeps_the_session(persistent: Any, users: Any, pki: TestPKI) -> None:
    client = Client(REMOTE_ADDR=PROXY)
    first = client.get("/api/whoami", headers=nginx_headers(pki.client))
    key = client.cookies["sessionid"].value
    second = client.get("/api/whoami", headers=nginx_headers(pki.client))
    assert first.json()["user"] == second.json()["user"] == "alice"
    assert client.cookies["sessionid"].value == key  # no new login, no new session
    assert client.session[SESSION_FINGERPRINT_KEY] == hashlib.sha256(pki.client.der).hexdigest()


def test_login_rotates_a_preexisting_session_key(persistent: Any, users: Any, pki: TestPKI) -> None:
    client = Client(REMOTE_ADDR=PROXY)
    # An anonymous session planted before login (session fixation) ...
    client.post("/public/login", {"username": "nobody", "password": "x"})
    session = client.session
    session["planted"] = True
    session.save()
    planted = session.session_key
    client.cookies["sessionid"] = planted
    client.get("/api/whoami", headers=nginx_headers(pki.client))
    assert client.cookies["sessionid"].value != planted


def test_certificate_change_logs_out_then_in_as_the_new_user(
    persistent: Any, users: Any, pki: TestPKI
) -> None:
    client = Client(REMOTE_ADDR=PROXY)
    client.get("/api/whoami", headers=nginx_headers(pki.client))
    alice_key = client.cookies["sessionid"].value
    body = client.get("/api/whoami", headers=nginx_headers(pki.other_client)).json()
    assert body["user"] == "bob"
    assert client.cookies["sessionid"].value != alice_key


def test_certificate_disappearing_logs_out(persistent: Any, users: Any, pki: TestPKI) -> None:
    client = Client(REMOTE_ADDR=PROXY)
    client.get("/api/whoami", headers=nginx_headers(pki.client))
    # A path that does not require a certificate still must not keep the certificate login.
    assert client.get("/public/whoami").json()["user"] is None
    assert client.get("/public/whoami").json()["session_user"] is None


def test_revoking_the_binding_ends_the_session(persistent: Any, users: Any, pki: TestPKI) -> None:
    client = Client(REMOTE_ADDR=PROXY)
    assert client.get("/api/whoami", headers=nginx_headers(pki.client)).json()["user"] == "alice"
    for binding in CertificateBinding.objects.filter(user=users["alice"]):
        binding.revoke()
    body = client.get("/api/whoami", headers=nginx_headers(pki.client)).json()
    assert (body["user"], body["session_user"]) == (None, None)


def test_password_session_survives_requests_without_certificate(
    persistent: Any, users: Any, pki: TestPKI
) -> None:
    client = Client(REMOTE_ADDR=PROXY)
    sign_in(client, "bob")
    assert client.get("/public/whoami").json()["user"] == "bob"
    # A certificate that maps to someone else replaces the password login.
    assert client.get("/public/whoami", headers=nginx_headers(pki.client)).json()["user"] == "alice"


def test_async_persistent_flow_matches_sync(persistent: Any, users: Any, pki: TestPKI) -> None:
    client = PeerAsyncClient(PROXY)
    get = async_to_sync(client.get)
    first = get("/api/whoami", headers=nginx_headers(pki.client))
    key = client.cookies["sessionid"].value
    assert first.json()["user"] == "alice"
    assert get("/api/whoami", headers=nginx_headers(pki.client)).json()["user"] == "alice"
    assert client.cookies["sessionid"].value == key
    assert get("/api/whoami", headers=nginx_headers(pki.other_client)).json()["user"] == "bob"
    assert client.cookies["sessionid"].value != key
    assert get("/public/whoami").json()["user"] is None


def test_missing_session_middleware_is_a_loud_misconfiguration(
    persistent: Any, users: Any, pki: TestPKI
) -> None:
    from django.core.exceptions import ImproperlyConfigured

    persistent.MIDDLEWARE = [PERSISTENT]
    with pytest.raises(ImproperlyConfigured, match="SessionMiddleware"):
        Client(REMOTE_ADDR=PROXY).get("/api/whoami", headers=nginx_headers(pki.client))
