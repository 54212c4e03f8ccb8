"""Issue 14: an owner field that is not a user (4), and the new owner of writes (9)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.checks import run_checks
from django.test import Client

from mtlsguard.devserver.pki import TestPKI
from tests.django.conftest import nginx_headers
from tests.drf.models import Account, Team, TeamDocument


@pytest.fixture
def colliding(users: dict[str, Any]) -> TeamDocument:
    """A team whose primary key equals alice's, owning a document alice must not see."""
    alice = users["alice"]
    team = Team.objects.create(pk=alice.pk, name="red team")
    return TeamDocument.objects.create(owner=team, title="secret plan")


def test_e009_owner_field_pointing_at_a_non_user_model(drf_settings: Any) -> None:
    objects = {m.obj for m in run_checks() if m.id == "mtlsguard.E009"}
    assert "tests.drf.urls.TeamDocumentViewSet" in objects
    assert "tests.drf.urls.UnscopedTeamDocument" in objects
    assert "tests.drf.urls.AccountViewSet" not in objects
    assert "tests.drf.urls.StatementViewSet" not in objects  # account__owner is a user


@pytest.mark.django_db
def test_is_owner_never_compares_a_team_pk_with_a_user_pk(
    drf_settings: Any, colliding: TeamDocument, pki: TestPKI, client: Client
) -> None:
    response = client.get(
        f"/drf/unscoped/team-documents/{colliding.pk}/", headers=nginx_headers(pki.client)
    )
    assert response.status_code == 403
    assert "secret" not in response.content.decode()


@pytest.mark.django_db
def test_scoped_queryset_on_a_team_owned_model_is_a_403_not_a_500(
    drf_settings: Any, colliding: TeamDocument, pki: TestPKI, client: Client
) -> None:
    client.raise_request_exception = True
    for url in ("/drf/team-documents/", f"/drf/team-documents/{colliding.pk}/"):
        response = client.get(url, headers=nginx_headers(pki.client))
        assert response.status_code == 403


def send(client: Client, method: str, url: str, body: dict[str, Any], pki: TestPKI) -> Any:
    return getattr(client, method)(
        url,
        data=json.dumps(body),
        content_type="application/json",
        headers=nginx_headers(pki.client),
    )


@pytest.mark.django_db
def test_create_cannot_name_another_owner(
    drf_settings: Any, users: dict[str, Any], pki: TestPKI, client: Client
) -> None:
    bob = users["bob"]
    response = send(client, "post", "/drf/owned-accounts/", {"iban": "X", "owner": bob.pk}, pki)
    assert response.status_code == 403
    assert not Account.objects.filter(owner=bob).exists()
    mine = send(client, "post", "/drf/owned-accounts/", {"iban": "MINE"}, pki)
    assert mine.status_code == 201
    assert Account.objects.get(pk=mine.json()["id"]).owner == users["alice"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/drf/owned-accounts/{pk}/", "/drf/unscoped/owned-accounts/{pk}/"])
def test_update_cannot_hand_an_object_to_someone_else(
    drf_settings: Any, users: dict[str, Any], pki: TestPKI, client: Client, url: str
) -> None:
    account = Account.objects.create(owner=users["alice"], iban="DE-ALICE")
    target = url.format(pk=account.pk)
    response = send(client, "patch", target, {"owner": users["bob"].pk}, pki)
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.owner == users["alice"]
    keep = send(client, "patch", target, {"owner": users["alice"].pk, "iban": "DE-NEW"}, pki)
    assert keep.status_code == 200
    assert get_user_model().objects.get(pk=keep.json()["owner"]) == users["alice"]
