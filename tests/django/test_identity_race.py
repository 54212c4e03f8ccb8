"""A lookup racing a revocation must not write the revoked identity back into the cache.

The race (a review finding): thread A misses the identity cache and reads the binding (still
active) from the database; meanwhile the binding is revoked, deleted or its user deactivated,
which clears the cache; then A stores the answer it read before the change, and the revoked
identity is served from the cache for up to ``CACHE_TTL``. These tests hold thread A between
its real database query and the cache write with events, make the change from the main
thread, then let A finish. No part of the cache is mocked; the database is real (with
``MTLSGUARD_TEST_DB=postgres`` the change is also made inside a transaction that commits only
after A's lookup, the case the clear-on-commit exists for).

The identity cache is per process (``mtlsguard.django.identity_cache``, not Django's cache
framework), so there is no Redis variant of these tests: with a shared ``CACHES`` backend
nothing of it changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction

from mtlsguard.certs import ClientCertificate, VerifiedCertificate
from mtlsguard.devserver.pki import TestPKI
from mtlsguard.django.backends import ClientCertificateBackend
from mtlsguard.django.identity_cache import MISS, identity_cache
from mtlsguard.django.models import CertificateBinding
from tests.factories import bind, verified

WAIT = 10  # seconds; only reached if the test is broken


class PausingBackend(ClientCertificateBackend):
    """The real backend, paused after its database lookup until the test says go on."""

    pause = False
    looked_up = threading.Event()
    proceed = threading.Event()

    def _lookup(self, request: Any, cert: ClientCertificate, identity: Any) -> Any:
        user = super()._lookup(request, cert, identity)  # the real query, rows read
        if type(self).pause:
            type(self).looked_up.set()
            if not type(self).proceed.wait(WAIT):
                raise AssertionError("the test never let the lookup go on")
        return user


@pytest.fixture
def binding(mtls_settings: Any, transactional_db: None, pki: TestPKI) -> Iterator[Any]:
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "IDENTITY": {"CACHE_TTL": 600}}
    row = bind(get_user_model().objects.create_user("alice"), pki.client)
    PausingBackend.looked_up, PausingBackend.proceed = threading.Event(), threading.Event()
    identity_cache.clear()
    yield row
    PausingBackend.pause = False
    identity_cache.clear()


def race(certificate: VerifiedCertificate, change: Callable[[], None]) -> Any:
    """Run a lookup in a thread, ``change()`` between its query and its cache write.

    Returns what the racing lookup answered (the pre-change user: it read the old rows).
    """
    answers: list[Any] = []
    failures: list[BaseException] = []

    def lookup() -> None:
        try:
            answers.append(PausingBackend().authenticate(None, certificate=certificate))
        except BaseException as exc:  # surfaced in the main thread
            failures.append(exc)
        finally:
            connections.close_all()

    PausingBackend.pause = True
    thread = threading.Thread(target=lookup)
    thread.start()
    try:
        assert PausingBackend.looked_up.wait(WAIT), "the lookup never reached the database"
        change()
    finally:
        PausingBackend.proceed.set()
        thread.join(WAIT)
    PausingBackend.pause = False
    assert not thread.is_alive()
    assert not failures, failures
    return answers[0]


def revoke(row: CertificateBinding) -> None:
    row.revoke()


def delete(row: CertificateBinding) -> None:
    row.delete()


def deactivate(row: CertificateBinding) -> None:
    user = row.user
    user.is_active = False
    user.save()


@pytest.mark.parametrize("change", [revoke, delete, deactivate])
def test_a_change_during_a_lookup_is_not_undone_by_it(
    binding: CertificateBinding, pki: TestPKI, change: Callable[[CertificateBinding], None]
) -> None:
    certificate = verified(pki.client)
    key = (PausingBackend, certificate.certificate.sha256)
    raced = race(certificate, lambda: change(binding))
    assert raced is not None
    assert raced.get_username() == "alice"
    assert identity_cache.get(key) is MISS  # ...but did not cache them
    assert PausingBackend().authenticate(None, certificate=certificate) is None


def test_a_lookup_without_a_change_is_cached(binding: CertificateBinding, pki: TestPKI) -> None:
    certificate = verified(pki.client)
    raced = race(certificate, lambda: None)
    assert raced.get_username() == "alice"
    cached = identity_cache.get((PausingBackend, certificate.certificate.sha256))
    assert cached is not MISS
    assert cached.get_username() == "alice"


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs a database where a reader sees the last commit while a writer's transaction "
    "is open (MTLSGUARD_TEST_DB=postgres); shared-cache SQLite locks the table instead",
)
def test_a_revocation_inside_a_transaction_is_applied_at_commit(
    binding: CertificateBinding, pki: TestPKI
) -> None:
    certificate = verified(pki.client)
    key = (PausingBackend, certificate.certificate.sha256)
    with transaction.atomic():
        binding.revoke()  # clears the cache now, but other connections see it only at commit
        raced = race(certificate, lambda: None)  # a whole lookup inside the open transaction
        assert raced.get_username() == "alice"
        assert identity_cache.get(key) is not MISS  # stored: it could not know yet
    assert identity_cache.get(key) is MISS  # the commit cleared it
    assert PausingBackend().authenticate(None, certificate=certificate) is None
