"""Forwarded-certificate headers that must never authenticate anyone."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.devserver.pki import TestPKI
from mtlsguard.django.middleware import ClientCertificateMiddleware
from tests.budget import secondary
from tests.django.conftest import (
    PROXY,
    STRANGER,
    PeerAsyncClient,
    audit_events,
    nginx_headers,
    sign_in,
)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/whoami", "/public/whoami"])
def test_headers_from_untrusted_peer_are_rejected(
    mtls_settings: Any, alice: Any, pki: TestPKI, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mtlsguard.audit")
    response = Client(REMOTE_ADDR=STRANGER).get(path, headers=nginx_headers(pki.client))
    assert response.status_code == 400
    if path.startswith("/api/"):
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["reason"] == "untrusted_proxy"
    [event] = audit_events(caplog)
    assert (event["decision"], event["reason"], event["peer"]) == (
        "deny",
        "untrusted_proxy",
        STRANGER,
    )
    assert event["user"] == ""


@pytest.mark.django_db
def test_ignore_mode_never_falls_back_to_the_session_user(
    mtls_settings: Any, alice: Any, pki: TestPKI
) -> None:
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "UNTRUSTED_HEADERS": "ignore"}
    client = Client(REMOTE_ADDR=STRANGER)
    sign_in(client, "alice")
    # The session alone identifies alice on a public path...
    assert client.get("/public/whoami").json()["user"] == "alice"
    # ...but once forged certificate headers arrive from this untrusted peer, nobody is.
    body = client.get("/public/whoami", headers=nginx_headers(pki.client)).json()
    assert (body["user"], body["cert"], body["error"]) == (None, None, "untrusted_proxy")
    # Where a certificate is required, the ignored headers leave the request unauthenticated.
    response = client.get("/api/whoami", headers=nginx_headers(pki.client))
    assert response.status_code == 401
    assert response.json()["reason"] == "untrusted_proxy"


@pytest.mark.django_db
def test_empty_trusted_proxies_believe_nobody(mtls_settings: Any, alice: Any, pki: TestPKI) -> None:
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "TRUSTED_PROXIES": []}
    for peer in (PROXY, "127.0.0.1", "::1"):
        response = Client(REMOTE_ADDR=peer).get("/api/whoami", headers=nginx_headers(pki.client))
        assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize(
    "spelling", ["x-ssl-client-cert", "X-SSL-CLIENT-CERT", "x-SsL-cLiEnT-cErT"]
)
def test_header_case_is_irrelevant_in_both_directions(
    mtls_settings: Any, alice: Any, pki: TestPKI, spelling: str
) -> None:
    headers = nginx_headers(pki.client)
    headers[spelling] = headers.pop("X-SSL-Client-Cert")
    # From the proxy, any spelling is the same header (HTTP names are case-insensitive)...
    ok = Client(REMOTE_ADDR=PROXY).get("/api/whoami", headers=headers)
    assert (ok.status_code, ok.json()["user"]) == (200, "alice")
    # ...and from anyone else, no spelling sneaks past the trusted-proxy rule.
    assert Client(REMOTE_ADDR=STRANGER).get("/api/whoami", headers=headers).status_code == 400


@pytest.mark.django_db
def test_duplicated_header_folded_by_a_wsgi_server_is_refused(
    mtls_settings: Any, alice: Any, pki: TestPKI
) -> None:
    # gunicorn/uWSGI fold repeated headers into one comma-joined value.
    forged = nginx_headers(pki.other_client)["X-SSL-Client-Cert"]
    real = nginx_headers(pki.client)
    real["X-SSL-Client-Cert"] = forged + "," + real["X-SSL-Client-Cert"]
    response = Client(REMOTE_ADDR=PROXY).get("/api/whoami", headers=real)
    assert response.status_code == 400
    assert response.json()["reason"] in ("malformed", "ambiguous")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    [
        [(b"x-ssl-client-cert", b"AAAA")],  # a second copy next to the proxy's
        [(b"X-SSL-Client-Cert", b"AAAA")],
    ],
)
def test_duplicated_header_over_asgi_is_ambiguous(
    mtls_settings: Any, alice: Any, pki: TestPKI, raw: list[tuple[bytes, bytes]]
) -> None:
    client = PeerAsyncClient(PROXY, raw_headers=raw)
    response = async_to_sync(client.get)("/api/whoami", headers=nginx_headers(pki.client))
    assert response.status_code == 400
    assert response.json()["reason"] == "ambiguous"


@pytest.mark.django_db
def test_underscore_spelling_over_asgi_is_refused(
    mtls_settings: Any, alice: Any, pki: TestPKI
) -> None:
    value = nginx_headers(pki.client)["X-SSL-Client-Cert"].encode("ascii")
    client = PeerAsyncClient(PROXY, raw_headers=[(b"x_ssl_client_cert", value)])
    response = async_to_sync(client.get)("/api/whoami", headers={"X-SSL-Client-Verify": "SUCCESS"})
    # Whether Django drops the underscore header (CVE-2026-3902 fix) or not, it never
    # authenticates: the middleware refuses the ambiguous spelling itself.
    assert response.status_code == 400
    assert response.json()["reason"] == "ambiguous"


@pytest.mark.django_db
def test_proxy_reported_failure_is_refused(mtls_settings: Any, alice: Any, pki: TestPKI) -> None:
    headers = nginx_headers(pki.client, verify="FAILED:certificate has expired")
    response = Client(REMOTE_ADDR=PROXY).get("/api/whoami", headers=headers)
    assert response.status_code == 403
    assert response.json()["reason"] == "proxy_verification_failed"


@pytest.mark.django_db
def test_browser_paths_use_djangos_error_handlers(mtls_settings: Any, pki: TestPKI) -> None:
    missing = Client(REMOTE_ADDR=PROXY).get("/app/whoami")
    assert missing.status_code == 403
    assert not missing["Content-Type"].startswith("application/problem+json")
    bad = Client(REMOTE_ADDR=STRANGER).get("/app/whoami", headers=nginx_headers(pki.client))
    assert bad.status_code == 400
    assert not bad["Content-Type"].startswith("application/problem+json")


@pytest.fixture(scope="module")
def fuzz_middleware(ca_bundle: Any, pki_files: Any) -> Iterator[ClientCertificateMiddleware]:
    """The real middleware in front of a trivial view, configured once for the fuzz test."""
    from tests.django.conftest import base_mtlsguard

    conf = base_mtlsguard(ca_bundle, pki_files["crl"], AUDIT={"ENABLED": False}, AUTHENTICATE=False)
    with override_settings(MTLSGUARD=conf):
        yield ClientCertificateMiddleware(lambda request: HttpResponse("ok"))


@secondary()
@given(
    cert=st.one_of(
        st.text(max_size=300), st.binary(max_size=300).map(lambda b: b.decode("latin-1"))
    ),
    verify=st.sampled_from(["SUCCESS", "NONE", "FAILED:x", "", "garbage"]),
    mutation=st.tuples(st.integers(0, 2000), st.integers(0, 2000), st.text(max_size=5)),
)
def test_any_forwarded_value_gets_a_4xx_never_a_500(
    fuzz_middleware: ClientCertificateMiddleware,
    pki: TestPKI,
    cert: str,
    verify: str,
    mutation: tuple[int, int, str],
) -> None:
    # Half random text, half a real forwarded certificate with a slice replaced.
    real = nginx_headers(pki.client)["X-SSL-Client-Cert"]
    start, length, replacement = mutation
    near_miss = real[:start] + replacement + real[start + length :]
    for value in (cert, near_miss):
        request = RequestFactory().get(
            "/api/whoami",
            headers={"X-SSL-Client-Cert": value, "X-SSL-Client-Verify": verify},
            REMOTE_ADDR=PROXY,
        )
        response = fuzz_middleware(request)
        if response.status_code == 200:
            # Whitespace the PEM decoder tolerates may pass, but only ever as alice's own
            # certificate: a changed certificate cannot keep the CA's signature (bytes outside
            # the signed content, like the signature's unused-bits count, may differ).
            assert request.client_cert is not None
            accepted = request.client_cert.chain[0]
            assert accepted.tbs_certificate_bytes == pki.client.cert.tbs_certificate_bytes
            assert accepted.signature == pki.client.cert.signature
            assert verify in ("SUCCESS", "")
        else:
            assert response.status_code in (400, 401, 403)
            assert json.loads(response.content)["status"] == response.status_code


@pytest.mark.django_db
def test_a_certificate_with_duplicate_extensions_is_refused_and_audited_not_a_500(
    mtls_settings: Any, pki: TestPKI, caplog: pytest.LogCaptureFixture
) -> None:
    import urllib.parse

    from cryptography.hazmat.primitives.serialization import Encoding

    # A second subjectAltName where the subjectKeyIdentifier was (the mutation fuzzer's find):
    # reading the extensions raises cryptography's DuplicateExtension, not a ValueError.
    der = pki.intermediate.issue("dup", emails=["dup@example.com"]).der
    duplicated = der.replace(bytes.fromhex("0603551d0e"), bytes.fromhex("0603551d11"))
    from cryptography import x509

    pem = x509.load_der_x509_certificate(duplicated).public_bytes(Encoding.PEM).decode()
    headers = {
        "X-SSL-Client-Cert": urllib.parse.quote(pem, safe=""),
        "X-SSL-Client-Verify": "SUCCESS",
    }
    with caplog.at_level(logging.INFO, logger="mtlsguard.audit"):
        response = Client(REMOTE_ADDR=PROXY).get("/api/whoami", headers=headers)
    assert response.status_code == 400
    denials = audit_events(caplog)
    assert [(d["reason"], d["subject"]) for d in denials] == [("malformed", "CN=dup")]


def xfcc_element(issued: Any) -> str:
    import urllib.parse

    pem = urllib.parse.quote(issued.cert_pem.decode("ascii"), safe="")
    return (
        f'By=spiffe://example.com/envoy;Hash={hashlib.sha256(issued.der).hexdigest()};Cert="{pem}"'
    )


@pytest.mark.django_db
def test_xfcc_with_several_elements_uses_the_nearest_trusted_hop(
    mtls_settings: Any, alice: Any, bob: Any, pki: TestPKI
) -> None:
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "SOURCE": "envoy", "HOPS": 1}
    # A client smuggled bob's (public) certificate in as the first element; the edge proxy
    # appended alice's, from the handshake it really made.
    header = xfcc_element(pki.other_client) + "," + xfcc_element(pki.client)
    response = Client(REMOTE_ADDR=PROXY).get(
        "/api/whoami", headers={"X-Forwarded-Client-Cert": header}
    )
    assert (response.status_code, response.json()["user"]) == (200, "alice")
    # The same header from anyone but the proxy authenticates nobody.
    spoofed = Client(REMOTE_ADDR=STRANGER).get(
        "/api/whoami", headers={"X-Forwarded-Client-Cert": header}
    )
    assert (spoofed.status_code, spoofed.json()["reason"]) == (400, "untrusted_proxy")
