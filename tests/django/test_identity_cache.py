"""The certificate -> user cache: the database stays off the hot path, revocation still bites."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from mtlsguard.devserver.pki import TestPKI
from mtlsguard.django.models import CertificateBinding
from tests.django.conftest import PROXY, nginx_headers
from tests.factories import verified


@pytest.fixture
def alice_binding(alice: Any) -> CertificateBinding:
    return CertificateBinding.objects.get(user=alice)


def whoami(pki: TestPKI) -> Any:
    return (
        Client(REMOTE_ADDR=PROXY)
        .get("/api/whoami", headers=nginx_headers(pki.client))
        .json()["user"]
    )


def test_repeat_requests_do_not_query_the_database(
    mtls_settings: Any,
    alice_binding: CertificateBinding,
    pki: TestPKI,
    django_assert_num_queries: Any,
) -> None:
    assert whoami(pki) == "alice"
    with django_assert_num_queries(0):
        assert whoami(pki) == "alice"


def test_ttl_zero_always_asks_the_database(
    mtls_settings: Any,
    alice_binding: CertificateBinding,
    pki: TestPKI,
    django_assert_num_queries: Any,
) -> None:
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "IDENTITY": {"CACHE_TTL": 0}}
    assert whoami(pki) == "alice"
    with django_assert_num_queries(1):
        assert whoami(pki) == "alice"


def test_revoking_or_deactivating_in_process_applies_at_once(
    mtls_settings: Any, alice_binding: CertificateBinding, pki: TestPKI
) -> None:
    assert whoami(pki) == "alice"
    alice_binding.revoke()
    assert whoami(pki) is None
    alice_binding.revoked_at = None
    alice_binding.save()
    assert whoami(pki) == "alice"
    alice_binding.user.is_active = False
    alice_binding.user.save()
    assert whoami(pki) is None


def test_changes_made_elsewhere_apply_within_the_ttl(
    mtls_settings: Any, alice_binding: CertificateBinding, pki: TestPKI
) -> None:
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "IDENTITY": {"CACHE_TTL": 1}}
    assert whoami(pki) == "alice"
    # A bulk update (another process, a shell) sends no signal: the cache keeps its answer...
    CertificateBinding.objects.filter(pk=alice_binding.pk).update(revoked_at=timezone.now())
    assert whoami(pki) == "alice"
    # ...for at most CACHE_TTL seconds.
    time.sleep(1.1)
    assert whoami(pki) is None


def test_cached_users_are_private_copies(
    mtls_settings: Any, alice_binding: CertificateBinding, pki: TestPKI
) -> None:
    from mtlsguard.django.backends import ClientCertificateBackend

    certificate = verified(pki.client)
    backend = ClientCertificateBackend()
    first = backend.authenticate(None, certificate=certificate)
    first.first_name = "mutated by a view"
    second = backend.authenticate(None, certificate=certificate)
    assert second is not first
    assert second.first_name == ""
