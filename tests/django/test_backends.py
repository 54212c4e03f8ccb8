"""ClientCertificateBackend: every mapping, the hooks, and sync/async agreement."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.utils import timezone

from mtlsguard.certs import ClientCertificate
from mtlsguard.devserver.pki import TestPKI
from mtlsguard.django.backends import ClientCertificateBackend
from tests.factories import bind, verified


def both(backend: ClientCertificateBackend, certificate: Any) -> Any:
    """Run authenticate and aauthenticate; they must agree; return the user."""
    sync_user = backend.authenticate(None, certificate=certificate)
    async_user = async_to_sync(backend.aauthenticate)(None, certificate=certificate)
    assert sync_user == async_user
    return sync_user


@pytest.fixture
def users(db: None) -> dict[str, Any]:
    manager = get_user_model().objects
    return {
        "alice": manager.create_user("alice", email="Alice@Example.com"),
        "bob": manager.create_user("bob", email="bob@example.com", is_active=False),
        "spiffe://example.com/ns/billing/sa/alice": manager.create_user(
            "spiffe://example.com/ns/billing/sa/alice"
        ),
    }


def set_identity(mtls_settings: Any, **identity: Any) -> None:
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "IDENTITY": identity}


def test_binding_mapping(mtls_settings: Any, users: dict[str, Any], pki: TestPKI) -> None:
    backend = ClientCertificateBackend()
    binding = bind(users["alice"], pki.client)
    assert both(backend, verified(pki.client)) == users["alice"]
    binding.revoke()
    assert both(backend, verified(pki.client)) is None
    bind(users["bob"], pki.other_client)
    assert both(backend, verified(pki.other_client)) is None  # inactive user


def test_expired_binding_never_authenticates(
    mtls_settings: Any, users: dict[str, Any], pki: TestPKI
) -> None:
    bind(users["alice"], pki.client, not_after=timezone.now() - dt.timedelta(seconds=1))
    assert both(ClientCertificateBackend(), verified(pki.client)) is None


def test_only_verified_certificates_authenticate(
    mtls_settings: Any, users: dict[str, Any], pki: TestPKI
) -> None:
    bind(users["alice"], pki.client)
    backend = ClientCertificateBackend()
    unverified = ClientCertificate.from_certificate(pki.client.cert)
    assert both(backend, unverified) is None
    assert both(backend, pki.client.cert_pem.decode()) is None
    assert both(backend, None) is None
    # Other backends' credentials are not this backend's business.
    assert backend.authenticate(None, username="alice", password="x") is None


def test_email_mapping(mtls_settings: Any, users: dict[str, Any], pki: TestPKI) -> None:
    set_identity(mtls_settings, MAPPING="email")
    backend = ClientCertificateBackend()
    assert both(backend, verified(pki.client)) == users["alice"]  # case-insensitive
    assert both(backend, verified(pki.other_client)) is None  # bob is inactive
    get_user_model().objects.create_user("alice2", email="alice@example.com")
    assert both(backend, verified(pki.client)) is None  # ambiguous: never guess


def test_mapping_respects_revoked_bindings(
    mtls_settings: Any, users: dict[str, Any], pki: TestPKI
) -> None:
    set_identity(mtls_settings, MAPPING="email")
    bind(users["alice"], pki.client, revoked_at=timezone.now())
    assert both(ClientCertificateBackend(), verified(pki.client)) is None


def test_spiffe_mapping(mtls_settings: Any, users: dict[str, Any], pki: TestPKI) -> None:
    set_identity(mtls_settings, MAPPING="spiffe")
    assert (
        both(ClientCertificateBackend(), verified(pki.client))
        == users["spiffe://example.com/ns/billing/sa/alice"]
    )
    set_identity(
        mtls_settings,
        MAPPING="spiffe",
        PRINCIPAL_REGEX=r"spiffe://example\.com/ns/billing/sa/([a-z]+)",
    )
    assert both(ClientCertificateBackend(), verified(pki.client)) == users["alice"]


def test_subject_mapping_uses_spring_style_cn_regex(
    mtls_settings: Any, users: dict[str, Any], pki: TestPKI
) -> None:
    set_identity(mtls_settings, MAPPING="subject")
    backend = ClientCertificateBackend()
    assert both(backend, verified(pki.client)) == users["alice"]
    assert both(backend, verified(pki.other_client)) is None  # bob inactive


def test_hooks_and_create_unknown_user(mtls_settings: Any, db: None, pki: TestPKI) -> None:
    set_identity(mtls_settings, MAPPING="subject")

    class Creating(ClientCertificateBackend):
        create_unknown_user = True

        def clean_username(self, username: str) -> str:
            return username.upper()

        def configure_user(self, request: Any, user: Any, created: bool = True) -> Any:
            if created:
                user.first_name = "from-cert"
                user.save()
            return user

    assert both(ClientCertificateBackend(), verified(pki.client)) is None  # default: no creation
    sync_user = Creating().authenticate(None, certificate=verified(pki.client))
    assert (sync_user.username, sync_user.first_name) == ("ALICE", "from-cert")
    async_user = async_to_sync(Creating().aauthenticate)(None, certificate=verified(pki.client))
    assert async_user == sync_user
    assert get_user_model().objects.filter(username="ALICE").count() == 1


def test_subject_mapping_reads_the_cn_attribute_not_cn_text_inside_other_values(
    mtls_settings: Any, users: dict[str, Any], pki: TestPKI
) -> None:
    # A CA may copy requester-chosen text into OU or emailAddress; "CN=alice" inside such a
    # value must not name alice (RFC 4514 puts the CN after them when it is not last in DER).
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    set_identity(mtls_settings, MAPPING="subject", CACHE_TTL=0)
    get_user_model().objects.create_user("mallory")
    for attribute in (NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.EMAIL_ADDRESS):
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, "mallory"),
                x509.NameAttribute(attribute, "CN=alice"),
            ]
        )
        issued = pki.intermediate.issue(subject)
        assert both(ClientCertificateBackend(), verified(issued)).username == "mallory"
