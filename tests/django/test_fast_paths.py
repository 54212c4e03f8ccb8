"""The hot-path shortcuts found by benchmarks/middleware_bench.py keep Django's behaviour.

``authenticate_certificate`` replaces ``django.contrib.auth.authenticate`` in the middleware,
``private_copy`` replaces ``copy.copy`` in the identity cache, ``AuditRecord.as_dict``
replaces ``dataclasses.asdict``, and the binding lookup drops ``first()``'s ORDER BY.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib import auth
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mtlsguard.devserver.pki import TestPKI
from mtlsguard.django.audit import AuditRecord
from mtlsguard.django.backends import ClientCertificateBackend, authenticate_certificate
from mtlsguard.django.identity_cache import identity_cache, private_copy
from mtlsguard.django.models import CertificateBinding
from tests.factories import verified

OURS = "mtlsguard.django.backends.ClientCertificateBackend"
MODEL = "django.contrib.auth.backends.ModelBackend"


class RefusingBackend:
    """Takes certificates and vetoes them all (PermissionDenied stops the search)."""

    def authenticate(self, request: Any, certificate: Any = None) -> Any:
        raise PermissionDenied


class PasswordOnlyBackend:
    """Does not take a certificate: both implementations must skip it, never call it."""

    calls = 0

    def authenticate(self, request: Any, username: str = "", password: str = "") -> Any:
        PasswordOnlyBackend.calls += 1
        raise AssertionError("called with a certificate")


@pytest.fixture
def alice(mtls_settings: Any, alice: Any) -> Iterator[Any]:
    """The shared alice, with the app configured and the identity cache empty around the test."""
    identity_cache.clear()
    yield alice
    identity_cache.clear()


def both_ways(certificate: Any) -> tuple[Any, Any, list[dict[str, Any]]]:
    """Django's authenticate and ours, with the user_login_failed signals each sent."""
    failures: list[dict[str, Any]] = []

    def record(sender: Any, credentials: Any, request: Any, **kwargs: Any) -> None:
        failures.append({"sender": sender, "credentials": credentials})

    user_login_failed.connect(record)
    try:
        identity_cache.clear()
        django_user = auth.authenticate(None, certificate=certificate)
        identity_cache.clear()
        our_user = authenticate_certificate(None, certificate)
    finally:
        user_login_failed.disconnect(record)
    return django_user, our_user, failures


def test_same_user_and_backend_as_django(alice: Any, pki: TestPKI) -> None:
    django_user, our_user, failures = both_ways(verified(pki.client))
    assert django_user == our_user == alice
    assert django_user.backend == our_user.backend == OURS
    assert failures == []


def test_unbound_certificate_fails_and_signals_like_django(alice: Any, pki: TestPKI) -> None:
    certificate = verified(pki.other_client)
    django_user, our_user, failures = both_ways(certificate)
    assert django_user is None
    assert our_user is None
    assert len(failures) == 2
    assert failures[0] == failures[1]
    assert failures[1]["sender"] == "django.contrib.auth"
    assert failures[1]["credentials"] == {"certificate": certificate}


@pytest.mark.parametrize(
    ("backends", "expected"),
    [
        ([f"{__name__}.RefusingBackend", OURS], None),  # the veto stops the search
        ([f"{__name__}.PasswordOnlyBackend", OURS], OURS),  # skipped, ours answers
        ([MODEL], None),  # nobody takes a certificate
        ([OURS, MODEL], OURS),
    ],
)
def test_backend_list_follows_the_setting(
    alice: Any, pki: TestPKI, mtls_settings: Any, backends: list[str], expected: str | None
) -> None:
    mtls_settings.AUTHENTICATION_BACKENDS = backends
    django_user, our_user, _ = both_ways(verified(pki.client))
    assert (django_user is None) == (our_user is None) == (expected is None)
    if expected is not None:
        assert django_user.backend == our_user.backend == expected
    assert PasswordOnlyBackend.calls == 0


def test_backend_cache_follows_a_settings_change(
    alice: Any, pki: TestPKI, mtls_settings: Any
) -> None:
    assert authenticate_certificate(None, verified(pki.client)) == alice
    mtls_settings.AUTHENTICATION_BACKENDS = [MODEL]
    identity_cache.clear()
    assert authenticate_certificate(None, verified(pki.client)) is None


def test_private_copy_is_a_separate_instance(alice: Any, pki: TestPKI) -> None:
    binding = CertificateBinding.objects.select_related("user").get(user=alice)
    clone = private_copy(binding)
    reference = copy.copy(binding)
    assert type(clone) is CertificateBinding
    assert clone == binding == reference
    assert clone is not binding
    # copy.copy also leaves pickling's "_django_version" behind; nothing else differs.
    assert clone.__dict__.keys() == reference.__dict__.keys() - {"_django_version"}
    assert clone._state is not binding._state
    assert clone._state.db == binding._state.db
    assert clone._state.adding is binding._state.adding is False
    assert clone._state.fields_cache == binding._state.fields_cache
    assert clone._state.fields_cache is not binding._state.fields_cache
    assert clone.user == alice  # the select_related user came along, without a query
    clone.label = "changed"
    clone._state.fields_cache.clear()
    assert binding.label != "changed"
    assert binding._state.fields_cache  # the original keeps its cached user
    assert private_copy(None) is None
    plain = {"not": "a model"}
    assert private_copy(plain) == plain
    assert private_copy(plain) is not plain


def test_cached_user_is_a_private_copy(alice: Any, pki: TestPKI) -> None:
    first = authenticate_certificate(None, verified(pki.client))
    second = authenticate_certificate(None, verified(pki.client))  # from the identity cache
    assert first == second == alice
    assert first is not second
    first.first_name = "Mallory"
    third = authenticate_certificate(None, verified(pki.client))
    assert third.first_name == ""


def test_binding_lookup_has_no_order_by(alice: Any, pki: TestPKI) -> None:
    backend = ClientCertificateBackend()
    with CaptureQueriesContext(connection) as queries:
        assert backend._by_binding(verified(pki.client).certificate) == alice
    assert len(queries) == 1
    sql = queries[0]["sql"].upper()
    assert "ORDER BY" not in sql
    assert "LIMIT 1" in sql


def test_audit_as_dict_equals_asdict() -> None:
    record = AuditRecord(
        decision="allow",
        reason="verified",
        status=200,
        method="GET",
        path="/api/x",
        peer="10.0.0.5",
        request_id="abc",
        fingerprint="ab" * 32,
        subject="CN=alice",
        issuer="CN=ca",
        serial="1F",
        user="alice",
        client="192.0.2.1",
    )
    assert record.as_dict() == dataclasses.asdict(record)
    assert list(record.as_dict()) == [f.name for f in dataclasses.fields(AuditRecord)]


class NobodyBackend(ClientCertificateBackend):
    """A subclass first in the list: the cached answer of the base class must not be used."""

    def authenticate(self, request: Any, certificate: Any = None, **kwargs: Any) -> Any:
        return None


def test_a_cached_answer_is_used_only_for_the_exact_backend(
    alice: Any, pki: TestPKI, mtls_settings: Any
) -> None:
    certificate = verified(pki.client)
    first = authenticate_certificate(None, certificate)  # fills the cache
    hit = authenticate_certificate(None, certificate)  # the shortcut
    assert first == hit == alice
    assert hit.backend == OURS
    assert hit is not first
    mtls_settings.AUTHENTICATION_BACKENDS = [f"{__name__}.NobodyBackend", OURS]
    # NobodyBackend answers first, and its answer is not the cached one.
    assert authenticate_certificate(None, certificate) == alice
    assert authenticate_certificate(None, certificate).backend == OURS
    mtls_settings.AUTHENTICATION_BACKENDS = (f"{__name__}.NobodyBackend",)  # a tuple setting
    assert authenticate_certificate(None, certificate) is None


def test_a_revocation_ends_the_cached_answer_at_once(alice: Any, pki: TestPKI) -> None:
    from django.utils import timezone

    certificate = verified(pki.client)
    assert authenticate_certificate(None, certificate) == alice
    assert authenticate_certificate(None, certificate) == alice  # cached
    binding = CertificateBinding.objects.get(user=alice)
    binding.revoked_at = timezone.now()
    binding.save()  # post_save clears the identity cache
    try:
        assert authenticate_certificate(None, certificate) is None
    finally:
        binding.revoked_at = None
        binding.save()


def test_private_copy_of_an_empty_fields_cache_is_its_own(alice: Any) -> None:
    alice._state.fields_cache.clear()
    clone = private_copy(alice)
    clone._state.fields_cache["x"] = 1
    assert "x" not in alice._state.fields_cache


# -- third round (issue 14): the middleware's hot path -----------------------------------------


def _middleware_request(pki: TestPKI, path: str = "/api/whoami", **extra: Any) -> Any:
    """A request presenting alice's certificate (from the trusted proxy unless ``extra`` says)."""
    from django.test import RequestFactory

    from tests.django.conftest import PROXY, nginx_headers

    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in nginx_headers(pki.client).items()}
    return RequestFactory().get(path, **{"REMOTE_ADDR": PROXY, **meta, **extra})


def _through_middleware(request: Any) -> Any:
    from django.http import HttpResponse

    from mtlsguard.django.middleware import ClientCertificateMiddleware

    ClientCertificateMiddleware(lambda r: HttpResponse("ok"))(request)
    return request


def test_auser_of_a_verified_request_is_the_certificate_s_user(alice: Any, pki: TestPKI) -> None:
    import asyncio

    for _ in range(2):  # the first sight, then the remembered outcome and the cached user
        request = _through_middleware(_middleware_request(pki))
        assert request.user == alice
        assert asyncio.run(request.auser()) is request.user
        assert request.client_cert_user is request.user
        assert request.client_cert_outcome.verified is request.client_cert


def test_auser_of_ignored_untrusted_headers_is_anonymous(
    alice: Any, pki: TestPKI, mtls_settings: Any
) -> None:
    import asyncio

    from tests.django.conftest import STRANGER

    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "UNTRUSTED_HEADERS": "ignore"}
    request = _middleware_request(pki, "/public/x", REMOTE_ADDR=STRANGER)
    request.user = alice  # as a session might have set it: must not survive untrusted headers
    request = _through_middleware(request)
    assert request.client_cert is None
    assert request.user.is_anonymous
    assert asyncio.run(request.auser()) is request.user


def test_backend_list_is_worked_out_once_per_setting(
    alice: Any, pki: TestPKI, mtls_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mtlsguard.django import backends

    loads: list[str] = []
    real = auth.load_backend

    def counting(path: str) -> Any:
        loads.append(path)
        return real(path)

    monkeypatch.setattr(backends.auth, "load_backend", counting)
    mtls_settings.AUTHENTICATION_BACKENDS = [OURS, MODEL]  # announced: the list is dropped
    for _ in range(3):
        assert authenticate_certificate(None, verified(pki.client)) == alice
    assert loads == [OURS, MODEL]  # once, not per request
    mtls_settings.AUTHENTICATION_BACKENDS = [MODEL]
    assert authenticate_certificate(None, verified(pki.client)) is None
    assert loads == [OURS, MODEL, MODEL]


def test_a_backend_list_worked_out_across_a_change_is_not_kept(
    alice: Any, pki: TestPKI, mtls_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.signals import setting_changed

    from mtlsguard.django import backends

    real = auth.load_backend
    changed = []

    def changing(path: str) -> Any:
        if not changed:  # the setting changes while the old list is being worked out
            changed.append(path)
            setting_changed.send(
                sender=None, setting="AUTHENTICATION_BACKENDS", value=[MODEL], enter=True
            )
        return real(path)

    mtls_settings.AUTHENTICATION_BACKENDS = [OURS]
    monkeypatch.setattr(backends.auth, "load_backend", changing)
    backends._certificate_backends()
    assert changed == [OURS]
    assert backends._backends is None  # worked out from the old value: used once, not stored


def test_submit_allowed_logs_the_same_event_as_audit_request(
    alice: Any, pki: TestPKI, mtls_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from mtlsguard.django import audit
    from mtlsguard.django.conf import get_settings
    from mtlsguard.django.request_certificate import inspect_request

    caplog.set_level(logging.INFO, logger="mtlsguard.audit")
    request = _middleware_request(pki, HTTP_X_REQUEST_ID="req-7", HTTP_X_FORWARDED_FOR="192.0.2.9")
    settings_ = get_settings()
    outcome = inspect_request(request, settings_)
    user = authenticate_certificate(request, outcome.verified)
    audit.audit_request(
        request, settings_, outcome, allowed=True, reason="verified", status=200, user=user
    )
    audit.submit_allowed(request, settings_, outcome, "verified", 200, user)
    audit.flush()
    first, second = (r.audit for r in caplog.records if r.name == "mtlsguard.audit")
    assert first == second
    assert first["request_id"] == "req-7"
    assert first["client"] == "192.0.2.9"
    assert first["user"] == "alice"
    # LOG_ALLOWED off or ENABLED off: neither logs anything.
    for audit_options in ({"LOG_ALLOWED": False}, {"ENABLED": False}):
        mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "AUDIT": audit_options}
        caplog.clear()
        audit.submit_allowed(request, get_settings(), outcome, "verified", 200, user)
        audit.flush()
        assert [r for r in caplog.records if r.name == "mtlsguard.audit"] == []


def test_submit_allowed_stores_the_event_with_the_database_sink(
    alice: Any, pki: TestPKI, mtls_settings: Any
) -> None:
    from mtlsguard.django import audit
    from mtlsguard.django.conf import get_settings
    from mtlsguard.django.models import AuditEvent
    from mtlsguard.django.request_certificate import inspect_request

    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "AUDIT": {"DATABASE": True}}
    request = _middleware_request(pki)
    outcome = inspect_request(request, get_settings())
    audit.submit_allowed(request, get_settings(), outcome, "no_user", 200, None)
    [event] = AuditEvent.objects.all()
    assert (event.decision, event.reason, event.user, event.peer) == (
        "allow",
        "no_user",
        "",
        "10.0.0.5",
    )


def test_odd_meta_values_are_cleaned_when_the_record_is_built(alice: Any, pki: TestPKI) -> None:
    from mtlsguard.django import audit
    from mtlsguard.django.conf import get_settings
    from mtlsguard.django.request_certificate import inspect_request

    request = _middleware_request(pki)
    settings_ = get_settings()
    outcome = inspect_request(request, settings_)
    request.META["REMOTE_ADDR"] = None  # changed by other code after the reading
    request.META["HTTP_X_REQUEST_ID"] = ["not", "a", "string"]
    request.META["HTTP_X_FORWARDED_FOR"] = 42
    record = audit.audit_record(
        request, settings_, outcome, allowed=True, reason="verified", status=200
    )
    assert record.peer == ""
    assert record.client == ""
    assert len(record.request_id) == 32  # generated, not the junk
