"""HasVerifiedClientCertificate, IsOwner (reads included), list scoping, and ``& | ~``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.checks import run_checks
from django.test import Client

from mtlsguard.devserver.pki import TestPKI
from mtlsguard.drf.permissions import HasVerifiedClientCertificate, IsOwner
from tests.django.conftest import nginx_headers
from tests.drf.models import Account, Note, Statement


@pytest.fixture
def data(users: dict[str, Any]) -> dict[str, Any]:
    alice, bob = users["alice"], users["bob"]
    a1 = Account.objects.create(owner=alice, iban="DE-ALICE-1")
    a2 = Account.objects.create(owner=alice, iban="DE-ALICE-2")
    b1 = Account.objects.create(owner=bob, iban="DE-BOB-1")
    return {
        "alice_accounts": [a1, a2],
        "bob_account": b1,
        "alice_note": Note.objects.create(user=alice, text="alice's"),
        "bob_note": Note.objects.create(user=bob, text="bob's"),
        "alice_statement": Statement.objects.create(account=a1, period="2026-10"),
        "bob_statement": Statement.objects.create(account=b1, period="2026-10"),
    }


@pytest.mark.django_db
def test_list_is_scoped_to_the_owner(
    drf_settings: Any, data: dict[str, Any], pki: TestPKI, get_as: Callable[..., Any]
) -> None:
    alice = get_as("/drf/accounts/", pki.client)
    assert alice.status_code == 200
    assert [a["iban"] for a in alice.json()] == ["DE-ALICE-1", "DE-ALICE-2"]
    bob = get_as("/drf/accounts/", pki.other_client)
    assert [a["iban"] for a in bob.json()] == ["DE-BOB-1"]
    # the control: IsOwner alone never sees list items, so the unscoped list leaks
    leaky = get_as("/drf/unscoped/accounts/", pki.client)
    assert {a["iban"] for a in leaky.json()} == {"DE-ALICE-1", "DE-ALICE-2", "DE-BOB-1"}


@pytest.mark.django_db
def test_detail_of_someone_elses_object(
    drf_settings: Any, data: dict[str, Any], pki: TestPKI, get_as: Callable[..., Any]
) -> None:
    bob_pk = data["bob_account"].pk
    alice_pk = data["alice_accounts"][0].pk
    # scoped: someone else's object does not exist for you
    assert get_as(f"/drf/accounts/{bob_pk}/", pki.client).status_code == 404
    assert get_as(f"/drf/accounts/{alice_pk}/", pki.client).json()["iban"] == "DE-ALICE-1"
    # IsOwner alone refuses the read (reads are not exempt) with 403
    refused = get_as(f"/drf/unscoped/accounts/{bob_pk}/", pki.client)
    assert refused.status_code == 403
    assert refused.json()["detail"] == IsOwner.message
    assert get_as(f"/drf/unscoped/accounts/{bob_pk}/", pki.other_client).status_code == 200


@pytest.mark.django_db
def test_writes_are_owner_only(
    drf_settings: Any, data: dict[str, Any], pki: TestPKI, client: Client
) -> None:
    bob_account = data["bob_account"]
    response = client.patch(
        f"/drf/unscoped/accounts/{bob_account.pk}/",
        data='{"iban": "XX-STOLEN"}',
        content_type="application/json",
        headers=nginx_headers(pki.client),
    )
    assert response.status_code == 403
    bob_account.refresh_from_db()
    assert bob_account.iban == "DE-BOB-1"
    response = client.delete(f"/drf/accounts/{bob_account.pk}/", headers=nginx_headers(pki.client))
    assert response.status_code == 404
    assert Account.objects.filter(pk=bob_account.pk).exists()
    own = client.patch(
        f"/drf/accounts/{data['alice_accounts'][0].pk}/",
        data='{"iban": "DE-ALICE-NEW"}',
        content_type="application/json",
        headers=nginx_headers(pki.client),
    )
    assert own.status_code == 200
    assert own.json()["iban"] == "DE-ALICE-NEW"


@pytest.mark.django_db
def test_anonymous_sees_nothing(
    drf_settings: Any, data: dict[str, Any], get_as: Callable[..., Any]
) -> None:
    assert get_as("/drf/accounts/", None).status_code == 401
    unscoped = get_as(f"/drf/unscoped/accounts/{data['bob_account'].pk}/", None)
    assert unscoped.status_code == 401
    assert unscoped["WWW-Authenticate"] == 'ClientCertificate realm="mtls"'


@pytest.mark.django_db
def test_default_owner_field_user_and_related_lookup(
    drf_settings: Any, data: dict[str, Any], pki: TestPKI, get_as: Callable[..., Any]
) -> None:
    notes = get_as("/drf/notes/", pki.client).json()
    assert [n["text"] for n in notes] == ["alice's"]
    assert get_as(f"/drf/notes/{data['bob_note'].pk}/", pki.client).status_code == 404
    statements = get_as("/drf/statements/", pki.other_client).json()
    assert [s["id"] for s in statements] == [data["bob_statement"].pk]
    assert (
        get_as(f"/drf/statements/{data['alice_statement'].pk}/", pki.other_client).status_code
        == 404
    )


@pytest.mark.django_db
def test_missing_owner_field_is_reported_at_startup_and_refused_cleanly(
    drf_settings: Any, data: dict[str, Any], pki: TestPKI, client: Client
) -> None:
    errors = [m for m in run_checks() if m.id == "mtlsguard.E009"]
    assert any(m.obj == "tests.drf.urls.MisconfiguredStatements" for m in errors)
    client.raise_request_exception = True
    response = client.get("/drf/misconfigured/statements/", headers=nginx_headers(pki.client))
    assert response.status_code == 403  # never everything, never a 500


@pytest.mark.django_db
def test_has_verified_client_certificate_and_its_negation(
    drf_settings: Any, users: dict[str, Any], pki: TestPKI, get_as: Callable[..., Any]
) -> None:
    unbound = pki.intermediate.issue("service-without-user")
    assert get_as("/drf/certificate-only", pki.client).status_code == 200
    assert get_as("/drf/certificate-only", unbound).status_code == 200  # a certificate, no user
    refused = get_as("/drf/certificate-only", None)
    assert refused.status_code == 403  # no authenticator: nothing to challenge with
    assert refused.json()["detail"] == HasVerifiedClientCertificate.message
    assert get_as("/drf/certificate-only", pki.expired).status_code == 403

    assert get_as("/drf/without-certificate", None).status_code == 200
    assert get_as("/drf/without-certificate", pki.expired).status_code == 200
    assert get_as("/drf/without-certificate", pki.client).status_code == 403


@pytest.mark.django_db
def test_or_composition_admin_or_owner(
    drf_settings: Any, data: dict[str, Any], pki: TestPKI, get_as: Callable[..., Any]
) -> None:
    bob_pk = data["bob_account"].pk
    assert get_as(f"/drf/admin-or-owner/accounts/{bob_pk}/", pki.client).status_code == 403
    assert get_as(f"/drf/admin-or-owner/accounts/{bob_pk}/", pki.other_client).status_code == 200
    alice = data["alice_accounts"][0].owner
    alice.is_staff = True
    alice.save()
    assert get_as(f"/drf/admin-or-owner/accounts/{bob_pk}/", pki.client).status_code == 200


@pytest.mark.django_db
def test_and_composition_requires_the_certificate_too(
    drf_settings: Any,
    data: dict[str, Any],
    pki: TestPKI,
    client: Client,
    make_token: Callable[..., str],
) -> None:
    """IsAuthenticated & HasVerifiedClientCertificate & IsOwner on the scoped viewset."""
    from rest_framework.test import APIRequestFactory, force_authenticate

    from tests.drf.urls import AccountViewSet

    alice = data["alice_accounts"][0].owner
    view = AccountViewSet.as_view({"get": "list"})
    # a user authenticated some other way (no certificate) is refused by the & chain
    request = APIRequestFactory().get("/drf/accounts/", REMOTE_ADDR="10.0.0.5")
    force_authenticate(request, user=alice)
    assert view(request).status_code == 403
    request = APIRequestFactory().get(
        "/drf/accounts/", headers=nginx_headers(pki.client), REMOTE_ADDR="10.0.0.5"
    )
    force_authenticate(request, user=alice)
    assert view(request).status_code == 200
