"""Caddy: ``header_up X-SSL-Client-Cert {http.request.tls.client.certificate_der_base64}``."""

from __future__ import annotations

import base64

import pytest

from mtlsguard.certs import CertificateError, extract
from mtlsguard.devserver.pki import TestPKI
from tests.certs.sources.proxykit import (
    assert_identity,
    assert_tricky_details,
    der,
    environ_from_headers,
    kit,
)


def caddy_headers(cert) -> dict[str, str]:
    return {"X-SSL-Client-Cert": base64.b64encode(der(cert)).decode("ascii")}


def test_tricky_certificate(pki: TestPKI) -> None:
    cert = kit(pki).tricky.cert
    identity = extract("caddy", caddy_headers(cert))
    # Caddy forwards no verdict: the app's own verify() decides.
    assert_identity(identity, cert, proxy_verified=None, source="caddy")
    assert_tricky_details(identity)


def test_expired_certificate_is_returned_unjudged(pki: TestPKI) -> None:
    cert = kit(pki).expired.cert
    assert_identity(
        extract("caddy", caddy_headers(cert)), cert, proxy_verified=None, source="caddy"
    )


def test_no_certificate() -> None:
    assert extract("caddy", {}) is None
    assert extract("caddy", {"X-SSL-Client-Cert": ""}) is None


def test_two_certificates_are_ambiguous(pki: TestPKI) -> None:
    one = caddy_headers(kit(pki).client.cert)["X-SSL-Client-Cert"]
    two = caddy_headers(kit(pki).other.cert)["X-SSL-Client-Cert"]
    with pytest.raises(CertificateError) as info:
        extract("caddy", {"X-SSL-Client-Cert": f"{one}, {two}"})
    assert info.value.reason == "ambiguous"


@pytest.mark.parametrize("value", ["%%%", "QUJD", "-----BEGIN CERTIFICATE-----", "A" * 70_000])
def test_malformed(value: str) -> None:
    with pytest.raises(CertificateError) as info:
        extract("caddy", {"X-SSL-Client-Cert": value})
    assert info.value.reason == "malformed"


def test_header_case_and_environ_lookup(pki: TestPKI) -> None:
    cert = kit(pki).client.cert
    headers = caddy_headers(cert)
    assert_identity(
        extract("caddy", {"x-ssl-client-cert": headers["X-SSL-Client-Cert"]}),
        cert,
        proxy_verified=None,
        source="caddy",
    )
    assert_identity(
        extract("caddy", environ=environ_from_headers(headers)),
        cert,
        proxy_verified=None,
        source="caddy",
    )
