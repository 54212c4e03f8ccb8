"""AutoBindingCertificateBackend through the real middleware (SQLite here, PostgreSQL in CI)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from mtlsguard.devserver.pki import TestPKI
from mtlsguard.django.autobind import AutoBindingCertificateBackend
from mtlsguard.django.models import CertificateBinding
from tests.django.conftest import nginx_headers
from tests.factories import bound_user, verified

AUTO = "mtlsguard.django.autobind.AutoBindingCertificateBackend"


@pytest.fixture
def auto(mtls_settings: Any, db: None) -> Any:
    mtls_settings.AUTHENTICATION_BACKENDS = [AUTO]
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "IDENTITY": {"MAPPING": "subject"}}
    return mtls_settings


def whoami(client: Client, pki: TestPKI, name: str) -> Any:
    response = client.get("/api/whoami", headers=nginx_headers(getattr(pki, name)))
    assert response.status_code == 200
    return response.json()["user"]


def test_first_use_binds_once_and_the_binding_can_be_revoked(
    auto: Any, client_from_proxy: Client, pki: TestPKI
) -> None:
    alice = get_user_model().objects.create_user("alice")
    assert whoami(client_from_proxy, pki, "client") == "alice"
    binding = CertificateBinding.objects.get()
    assert (binding.user, binding.sha256, binding.label) == (
        alice,
        CertificateBinding.fields_for(pki.client.cert)["sha256"],
        AutoBindingCertificateBackend.binding_label,
    )
    call_command("mtlscert", "revoke", binding.sha256)  # clears the identity cache too
    assert whoami(client_from_proxy, pki, "client") is None
    assert CertificateBinding.objects.count() == 1  # revoked, never re-created


def test_repeat_requests_after_a_cache_expiry_do_not_duplicate(
    auto: Any, client_from_proxy: Client, pki: TestPKI
) -> None:
    auto.MTLSGUARD = {**auto.MTLSGUARD, "IDENTITY": {"MAPPING": "subject", "CACHE_TTL": 0}}
    get_user_model().objects.create_user("alice")
    for _ in range(3):
        assert whoami(client_from_proxy, pki, "client") == "alice"
    assert CertificateBinding.objects.count() == 1


def test_a_certificate_bound_to_someone_else_authenticates_nobody(
    auto: Any, client_from_proxy: Client, pki: TestPKI
) -> None:
    get_user_model().objects.create_user("alice")
    mallory = bound_user("mallory", pki.client)
    assert whoami(client_from_proxy, pki, "client") is None
    assert CertificateBinding.objects.get().user == mallory


def test_unknown_or_inactive_users_and_other_mappings_bind_nothing(
    auto: Any, client_from_proxy: Client, pki: TestPKI
) -> None:
    get_user_model().objects.create_user("bob", is_active=False)
    assert whoami(client_from_proxy, pki, "client") is None  # no user "alice"
    assert whoami(client_from_proxy, pki, "other_client") is None  # bob is inactive
    get_user_model().objects.create_user("alice", email="alice@example.com")
    auto.MTLSGUARD = {**auto.MTLSGUARD, "IDENTITY": {"MAPPING": "email"}}
    assert whoami(client_from_proxy, pki, "client") == "alice"
    assert not CertificateBinding.objects.exists()


def test_without_a_request_the_backend_authenticates_without_binding(
    auto: Any, pki: TestPKI
) -> None:
    alice = get_user_model().objects.create_user("alice")
    certificate = verified(pki.client)
    assert AutoBindingCertificateBackend().authenticate(None, certificate=certificate) == alice
    assert not CertificateBinding.objects.exists()


def test_the_backend_check_accepts_the_subclass(auto: Any) -> None:
    from mtlsguard.django import checks

    assert checks.check_authentication_backend() == []
    auto.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    assert [e.id for e in checks.check_authentication_backend()] == ["mtlsguard.E005"]
