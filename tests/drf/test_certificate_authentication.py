"""ClientCertificateAuthentication: DRF's three outcomes, 401 challenges, no session."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from django.test import Client
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from mtlsguard.devserver.pki import TestPKI
from mtlsguard.drf.authentication import ClientCertificateAuthentication
from tests.django.conftest import PROXY, STRANGER, audit_events, nginx_headers

CHALLENGE = 'ClientCertificate realm="mtls"'


def drf_request(pki_cert: Any, peer: str = PROXY) -> Request:
    factory = APIRequestFactory()
    raw = factory.get("/drf/whoami", headers=nginx_headers(pki_cert), REMOTE_ADDR=peer)
    return Request(raw)


@pytest.mark.django_db
def test_three_outcomes_called_directly(
    without_middleware: Any, users: dict[str, Any], pki: TestPKI
) -> None:
    auth = ClientCertificateAuthentication()
    assert auth.authenticate(drf_request(None)) is None
    user, verified = auth.authenticate(drf_request(pki.client))  # type: ignore[misc]
    assert user == users["alice"]
    assert verified.certificate.sha256 == pki.client.cert.fingerprint(hashes.SHA256()).hex()
    with pytest.raises(AuthenticationFailed) as failed:
        auth.authenticate(drf_request(pki.expired))
    assert failed.value.get_codes() == "expired"


@pytest.mark.django_db
def test_no_certificate_is_401_with_challenge(
    drf_settings: Any, get_as: Callable[..., Any]
) -> None:
    response = get_as("/drf/whoami", None)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == CHALLENGE


@pytest.mark.django_db
def test_bound_certificate_authenticates_and_reuses_the_middleware_result(
    drf_settings: Any, users: dict[str, Any], pki: TestPKI, get_as: Callable[..., Any]
) -> None:
    response = get_as("/drf/whoami", pki.client)
    assert response.status_code == 200
    assert response.json() == {
        "user": "alice",
        "auth": "certificate",
        "reused": True,
        "session_key": None,
    }
    assert get_as("/drf/whoami", pki.other_client).json()["user"] == "bob"


@pytest.mark.django_db
def test_session_free(
    drf_settings: Any, users: dict[str, Any], pki: TestPKI, client: Client
) -> None:
    assert client.get("/drf/whoami", headers=nginx_headers(pki.client)).status_code == 200
    assert "sessionid" not in client.cookies
    # nothing remembered: the next request without a certificate is anonymous again
    assert client.get("/drf/whoami").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variant", "reason"),
    [
        ("expired", "expired"),
        ("not_yet_valid", "not_yet_valid"),
        ("self_signed", "untrusted_issuer"),
        ("wrong_eku", "bad_key_usage"),
        ("revoked", "revoked"),
    ],
)
def test_refused_certificates_fail_with_401_and_their_reason(
    drf_settings: Any,
    users: dict[str, Any],
    pki: TestPKI,
    get_as: Callable[..., Any],
    variant: str,
    reason: str,
) -> None:
    response = get_as("/drf/whoami", getattr(pki, variant))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == CHALLENGE
    assert f"({reason})" in response.json()["detail"]


@pytest.mark.django_db
def test_valid_but_unbound_and_inactive_users_fail(
    drf_settings: Any, users: dict[str, Any], pki: TestPKI, get_as: Callable[..., Any]
) -> None:
    carol = pki.intermediate.issue("carol")
    response = get_as("/drf/whoami", carol)
    assert response.status_code == 401
    assert "not bound" in response.json()["detail"]
    users["bob"].is_active = False
    users["bob"].save()
    assert get_as("/drf/whoami", pki.other_client).status_code == 401
    assert get_as("/drf/whoami", pki.client).status_code == 200


@pytest.mark.django_db
def test_untrusted_peer_never_authenticates(
    drf_settings: Any, users: dict[str, Any], pki: TestPKI
) -> None:
    forged = Client(REMOTE_ADDR=STRANGER)
    # the middleware rejects forwarded headers from a stranger outright
    assert forged.get("/drf/whoami", headers=nginx_headers(pki.client)).status_code == 400
    # in "ignore" mode it lets the request through, and DRF refuses the claimed certificate
    drf_settings.MTLSGUARD = {**drf_settings.MTLSGUARD, "UNTRUSTED_HEADERS": "ignore"}
    response = forged.get("/drf/whoami", headers=nginx_headers(pki.client))
    assert response.status_code == 401
    assert "(untrusted_proxy)" in response.json()["detail"]


@pytest.mark.django_db
def test_without_middleware_same_decisions(
    without_middleware: Any, users: dict[str, Any], pki: TestPKI, get_as: Callable[..., Any]
) -> None:
    ok = get_as("/drf/whoami", pki.client)
    assert ok.status_code == 200
    assert ok.json()["user"] == "alice"
    assert ok.json()["reused"] is False
    assert get_as("/drf/whoami", None).status_code == 401
    assert get_as("/drf/whoami", pki.expired).status_code == 401
    stranger = Client(REMOTE_ADDR=STRANGER).get("/drf/whoami", headers=nginx_headers(pki.client))
    assert stranger.status_code == 401


@pytest.mark.django_db
def test_without_middleware_failures_are_audited_and_throttled(
    without_middleware: Any,
    users: dict[str, Any],
    pki: TestPKI,
    get_as: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    without_middleware.MTLSGUARD = {
        **without_middleware.MTLSGUARD,
        "THROTTLE": {"ENABLED": True, "FAILURES": 2, "WINDOW": 60},
    }
    with caplog.at_level(logging.INFO, logger="mtlsguard.audit"):
        statuses = [get_as("/drf/whoami", pki.revoked).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    throttled = get_as("/drf/whoami", pki.revoked)
    assert 1 <= int(throttled["Retry-After"]) <= 60
    events = audit_events(caplog)
    # every decision is audited, the refusals while throttled (429) included
    assert [(e["reason"], e["status"]) for e in events] == [
        ("revoked", 401),
        ("revoked", 401),
        ("throttled", 429),
        ("throttled", 429),
    ]
    assert events[0]["decision"] == "deny"
    assert events[0]["fingerprint"] == pki.revoked.cert.fingerprint(hashes.SHA256()).hex()
    assert events[0]["path"] == "/drf/whoami"
    # a valid certificate from another client is unaffected
    assert get_as("/drf/whoami", pki.client).status_code == 200


@pytest.mark.django_db
def test_enforce_csrf_for_browser_endpoints(
    drf_settings: Any, users: dict[str, Any], pki: TestPKI
) -> None:
    browser = Client(REMOTE_ADDR=PROXY, enforce_csrf_checks=True)
    headers = nginx_headers(pki.client)
    assert browser.post("/drf/whoami", headers=headers).status_code == 200  # API: no CSRF
    refused = browser.post("/drf/browser-whoami", headers=headers)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert browser.get("/drf/browser-whoami", headers=headers).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("browser_headers", "status"),
    [
        ({}, 200),  # an API client: no Origin, no Fetch Metadata
        ({"Origin": "http://testserver"}, 200),  # the site's own page
        ({"Origin": "https://app.example.com"}, 200),  # CSRF_TRUSTED_ORIGINS, exact
        ({"Origin": "https://admin.corp.example"}, 200),  # CSRF_TRUSTED_ORIGINS, wildcard
        ({"Sec-Fetch-Site": "same-origin"}, 200),
        ({"Sec-Fetch-Site": "none"}, 200),  # typed into the address bar
        ({"Origin": "https://evil.example"}, 403),
        ({"Origin": "http://app.example.com"}, 403),  # scheme matters
        ({"Origin": "https://corp.example.evil.example"}, 403),
        ({"Origin": "null"}, 403),  # sandboxed frame, data: URL
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({"Sec-Fetch-Site": "same-site"}, 403),  # a sibling subdomain may be hostile
        ({"Origin": "http://testserver", "Sec-Fetch-Site": "cross-site"}, 200),  # Origin decides
    ],
)
def test_cross_site_browser_requests_are_refused_by_default(
    drf_settings: Any,
    users: dict[str, Any],
    pki: TestPKI,
    browser_headers: dict[str, str],
    status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A page on another site makes the user's browser POST with the user's certificate.
    drf_settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com", "https://*.corp.example"]
    client = Client(REMOTE_ADDR=PROXY)
    headers = {**nginx_headers(pki.client), **browser_headers}
    with caplog.at_level(logging.INFO, logger="mtlsguard.audit"):
        response = client.post("/drf/whoami", headers=headers)
    assert response.status_code == status, response.content
    # safe methods are never refused, whatever the origin
    assert client.get("/drf/whoami", headers=headers).status_code == 200
    if status == 403:
        assert "Cross-site request refused" in response.json()["detail"]
        denials = [e for e in audit_events(caplog) if e["decision"] == "deny"]
        assert [(d["reason"], d["status"]) for d in denials] == [("cross_site", 403)]


@pytest.mark.django_db
def test_cross_site_check_can_be_turned_off_for_an_endpoint(
    drf_settings: Any, users: dict[str, Any], pki: TestPKI
) -> None:
    client = Client(REMOTE_ADDR=PROXY)
    headers = {**nginx_headers(pki.client), "Origin": "https://partner.example"}
    assert client.post("/drf/whoami", headers=headers).status_code == 403
    assert client.post("/drf/any-origin-whoami", headers=headers).status_code == 200


@pytest.mark.django_db
def test_disallowed_host_with_origin_is_refused_not_500(
    drf_settings: Any, users: dict[str, Any], pki: TestPKI
) -> None:
    client = Client(REMOTE_ADDR=PROXY, HTTP_HOST="attacker.invalid")
    headers = {**nginx_headers(pki.client), "Origin": "http://attacker.invalid"}
    assert client.post("/drf/whoami", headers=headers).status_code in {400, 403}
    # Django's middleware answers that request 400 before authentication runs; called
    # directly, the check itself must not raise either, and the Host-derived origin (not in
    # ALLOWED_HOSTS) is never "this site's".
    from django.test import RequestFactory

    from mtlsguard.django.origin import cross_site_reason

    request = RequestFactory().post(
        "/drf/whoami", HTTP_HOST="attacker.invalid", HTTP_ORIGIN="http://attacker.invalid"
    )
    reason = cross_site_reason(request)
    assert reason is not None
    assert "http://attacker.invalid" in reason
