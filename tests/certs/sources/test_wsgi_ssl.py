"""wsgi-ssl source: the dev server's mod_ssl-style environ (direct TLS, never headers)."""

from __future__ import annotations

import pytest

from mtlsguard.certs import CertificateError, extract
from mtlsguard.certs.sources import RequestView, get_source
from mtlsguard.devserver.pki import TestPKI
from tests.certs.sources.proxykit import (
    assert_identity,
    assert_tricky_details,
    environ_from_headers,
    kit,
    pem,
)


def dev_environ(issued, verify: str = "SUCCESS") -> dict[str, str]:
    environ = {"SSL_CLIENT_VERIFY": verify, "SSL_CLIENT_CERT": pem(issued.cert)}
    for index, cert in enumerate(issued.chain):
        environ[f"SSL_CLIENT_CERT_CHAIN_{index}"] = pem(cert)
    return environ


def test_tricky_certificate_with_chain(pki: TestPKI) -> None:
    issued = kit(pki).tricky
    identity = extract("wsgi-ssl", environ=dev_environ(issued))
    assert_identity(
        identity, issued.cert, chain=issued.chain, proxy_verified=True, source="wsgi-ssl"
    )
    assert_tricky_details(identity)


def test_never_forwarded_and_never_reads_headers(pki: TestPKI) -> None:
    forged = environ_from_headers(
        {"X-SSL-Client-Cert": pem(kit(pki).other.cert), "SSL-Client-Cert": pem(kit(pki).other.cert)}
    )
    forged["HTTP_SSL_CLIENT_CERT"] = pem(kit(pki).other.cert)
    source = get_source("wsgi-ssl")
    assert source.is_forwarded(RequestView(None, forged)) is False
    assert extract("wsgi-ssl", environ=forged) is None
    assert extract("wsgi-ssl", headers={"SSL_CLIENT_CERT": pem(kit(pki).other.cert)}) is None
    assert extract("wsgi-ssl", environ={"SSL_CLIENT_VERIFY": "NONE"} | forged) is None


def test_failed_and_none(pki: TestPKI) -> None:
    issued = kit(pki).expired
    identity = extract("wsgi-ssl", environ=dev_environ(issued, "FAILED:certificate has expired"))
    assert_identity(
        identity, issued.cert, chain=issued.chain, proxy_verified=False, source="wsgi-ssl"
    )
    with pytest.raises(CertificateError) as info:
        extract("wsgi-ssl", environ={"SSL_CLIENT_VERIFY": "FAILED:certificate has expired"})
    assert info.value.reason == "proxy_verification_failed"
    with pytest.raises(CertificateError) as info:
        extract("wsgi-ssl", environ=dev_environ(issued, "NONE"))
    assert info.value.reason == "ambiguous"


def test_chain_gap_stops_reading(pki: TestPKI) -> None:
    issued = kit(pki).client
    environ = dev_environ(issued)
    environ["SSL_CLIENT_CERT_CHAIN_2"] = pem(kit(pki).other.cert)  # after a gap: not read
    identity = extract("wsgi-ssl", environ=environ)
    assert_identity(
        identity, issued.cert, chain=issued.chain, proxy_verified=True, source="wsgi-ssl"
    )


def test_bad_chain_element_is_malformed(pki: TestPKI) -> None:
    environ = dev_environ(kit(pki).client)
    environ["SSL_CLIENT_CERT_CHAIN_0"] = (
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"
    )
    with pytest.raises(CertificateError) as info:
        extract("wsgi-ssl", environ=environ)
    assert info.value.reason == "malformed"
