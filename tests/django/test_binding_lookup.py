"""``find_binding`` (the binding lookup compiled once per connection) answers like the ORM."""

from __future__ import annotations

import threading
from typing import Any

import django
import pytest
from django.contrib.auth import get_user_model
from django.db import connections

from mtlsguard.devserver.pki import TestPKI
from mtlsguard.django import binding_lookup
from mtlsguard.django.binding_lookup import binding_queryset, find_binding
from mtlsguard.django.models import CertificateBinding
from tests.factories import bind, verified


def fields(instance: Any) -> dict[str, Any]:
    return {k: v for k, v in instance.__dict__.items() if k != "_state"}


@pytest.fixture
def bindings(db: None, pki: TestPKI) -> list[CertificateBinding]:
    user = get_user_model().objects.create_user("alice", email="alice@example.com")
    bound = bind(user, pki.client, label="laptop")
    revoked = bind(user, pki.other_client)
    revoked.revoke()
    return [bound, revoked]


def test_same_instances_as_the_queryset(
    bindings: list[CertificateBinding], django_assert_num_queries: Any
) -> None:
    for binding in bindings:
        expected = next(iter(binding_queryset(binding.sha256)))
        with django_assert_num_queries(1):
            found = find_binding(binding.sha256)
            assert found is not None
            user = found.user  # joined: no second query
        assert type(found) is CertificateBinding
        assert fields(found) == fields(expected)
        assert fields(user) == fields(expected.user)
        assert found.not_after.tzinfo is not None
        assert found._state.db == expected._state.db
        assert found._state.adding is expected._state.adding is False
        assert user._state.db == expected.user._state.db
    compiled = getattr(connections["default"], binding_lookup._ATTRIBUTE)
    # The speed-up is for Django 5.2 (6.1's fetch modes make it fall back to the QuerySet).
    assert (compiled is not None) == (django.VERSION < (6, 1))


@pytest.mark.parametrize(
    "fingerprint",
    ["0" * 64, "' OR '1'='1", '" OR 1=1 --', "%s", "mtlsguard-binding-lookup-placeholder"],
)
def test_unknown_fingerprints_find_nothing(
    bindings: list[CertificateBinding], fingerprint: str
) -> None:
    # The fingerprint is a bound parameter: SQL in it is only ever compared, never run.
    assert find_binding(fingerprint) is None


def test_each_thread_uses_its_own_connection(transactional_db: None, pki: TestPKI) -> None:
    user = get_user_model().objects.create_user("alice")
    binding = bind(user, pki.client)
    assert find_binding(binding.sha256) == binding
    found: list[Any] = []

    def lookup() -> None:
        try:
            result = find_binding(binding.sha256)
            found.append((result, result.user if result else None))
        finally:
            connections.close_all()

    thread = threading.Thread(target=lookup)
    thread.start()
    thread.join(10)
    assert found == [(binding, user)]


def test_an_overridden_binding_query_is_still_used(
    mtls_settings: Any, bindings: list[CertificateBinding], pki: TestPKI
) -> None:
    from asgiref.sync import async_to_sync

    from mtlsguard.certs import ClientCertificate
    from mtlsguard.django.backends import ClientCertificateBackend

    class NoLabelledBindings(ClientCertificateBackend):
        @staticmethod
        def _binding_query(cert: ClientCertificate) -> Any:
            return CertificateBinding.objects.select_related("user").filter(
                sha256=cert.sha256, label=""
            )

    certificate = verified(pki.client)
    assert ClientCertificateBackend().authenticate(None, certificate=certificate) is not None
    # The client's binding has a label, so the subclass's own query finds nothing.
    assert NoLabelledBindings().authenticate(None, certificate=certificate) is None
    assert async_to_sync(NoLabelledBindings().aauthenticate)(None, certificate=certificate) is None


def test_the_compiled_lookup_does_not_keep_a_connection_alive(transactional_db: None) -> None:
    # Under ASGI a connection can live for one request: the compiled lookup (whose compiler
    # refers to its connection) must go with it.
    import gc
    import weakref

    refs: list[Any] = []

    def lookup() -> None:
        refs.append(weakref.ref(connections["default"]))
        try:
            assert find_binding("0" * 64) is None
        finally:
            connections.close_all()

    thread = threading.Thread(target=lookup)
    thread.start()
    thread.join(10)
    del thread
    gc.collect()
    assert refs[0]() is None


def test_unexpected_compiler_internals_fall_back_to_the_queryset(
    bindings: list[CertificateBinding], monkeypatch: pytest.MonkeyPatch
) -> None:
    def changed_internals(*args: Any) -> Any:
        raise AttributeError("klass_info")

    monkeypatch.setattr(binding_lookup, "_compiled_lookup", changed_internals)
    monkeypatch.delattr(connections["default"], binding_lookup._ATTRIBUTE, raising=False)
    try:
        found = find_binding(bindings[0].sha256)
        assert found == bindings[0]
        assert fields(found.user) == fields(bindings[0].user)
        assert getattr(connections["default"], binding_lookup._ATTRIBUTE) is None
    finally:
        delattr(connections["default"], binding_lookup._ATTRIBUTE)
