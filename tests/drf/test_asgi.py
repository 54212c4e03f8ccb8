"""The DRF classes give the same answers under ASGI (async middleware, sync DRF views)."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from mtlsguard.devserver.pki import TestPKI
from tests.django.conftest import PROXY, PeerAsyncClient, nginx_headers


@pytest.mark.django_db(transaction=True)
def test_wsgi_and_asgi_agree(
    drf_settings: Any, users: dict[str, Any], pki: TestPKI, make_token: Any
) -> None:
    from tests.drf.models import Account

    bob_account = Account.objects.create(owner=users["bob"], iban="DE-BOB").pk
    token = make_token("alice", pki.client)
    table = [
        ("/drf/whoami", None, {}),
        ("/drf/whoami", pki.client, {}),
        ("/drf/whoami", pki.revoked, {}),
        ("/drf/accounts/", pki.client, {}),
        (f"/drf/accounts/{bob_account}/", pki.client, {}),
        (f"/drf/accounts/{bob_account}/", pki.other_client, {}),
        ("/drf/token-whoami", pki.client, {"Authorization": f"Bearer {token}"}),
        ("/drf/token-whoami", pki.other_client, {"Authorization": f"Bearer {token}"}),
        ("/drf/token-whoami", None, {"Authorization": f"Bearer {token}"}),
    ]
    wsgi, asgi = Client(REMOTE_ADDR=PROXY), PeerAsyncClient(PROXY)
    results = []
    for path, issued, extra in table:
        headers = {**nginx_headers(issued), **extra}
        sync_response = wsgi.get(path, headers=headers)
        async_response = async_to_sync(asgi.get)(path, headers=headers)
        results.append((sync_response.status_code, async_response.status_code))
        assert sync_response.json() == async_response.json(), path
    assert [s for s, _ in results] == [401, 200, 401, 200, 404, 200, 200, 401, 401]
    assert [s for s, _ in results] == [a for _, a in results]
