"""ASGI source: the connection scope's ``tls`` extension (asgiref TLS extension 0.2)."""

from __future__ import annotations

from typing import Any

import pytest

from mtlsguard.certs import CertificateError, extract
from mtlsguard.certs.sources import RequestView, get_source
from mtlsguard.devserver.pki import IssuedCertificate, TestPKI
from tests.certs.sources.proxykit import assert_identity, assert_tricky_details, kit, pem


def scope(
    issued: IssuedCertificate | None, *, error: str | None = None, name: str | None = None
) -> dict[str, Any]:
    """An HTTP scope as an ASGI server implementing the extension builds it."""
    chain = [] if issued is None else [pem(issued.cert), *(pem(c) for c in issued.chain)]
    if issued is not None and name is None:
        name = issued.cert.subject.rfc4514_string()
    return {
        "type": "http",
        "scheme": "https",
        "headers": [],
        "extensions": {
            "tls": {
                "server_cert": None,
                "client_cert_chain": chain,
                "client_cert_name": name,
                "client_cert_error": error,
                "tls_version": 0x0304,
                "cipher_suite": 0x1301,
            }
        },
    }


def test_tricky_certificate_with_chain(pki: TestPKI) -> None:
    issued = kit(pki).tricky
    identity = extract("asgi", environ=scope(issued))
    assert_identity(identity, issued.cert, chain=issued.chain, proxy_verified=True, source="asgi")
    assert_tricky_details(identity)


def test_chain_as_tuple_and_generator(pki: TestPKI) -> None:
    issued = kit(pki).client
    for make in (tuple, lambda xs: (x for x in xs)):
        s = scope(issued)
        s["extensions"]["tls"]["client_cert_chain"] = make(
            s["extensions"]["tls"]["client_cert_chain"]
        )
        identity = extract("asgi", environ=s)
        assert_identity(
            identity, issued.cert, chain=issued.chain, proxy_verified=True, source="asgi"
        )


def test_no_certificate_and_no_tls() -> None:
    assert extract("asgi", environ=scope(None)) is None
    assert extract("asgi", environ={"type": "http", "extensions": {}}) is None
    assert extract("asgi", environ={"type": "http"}) is None


def test_verification_error(pki: TestPKI) -> None:
    issued = kit(pki).expired
    identity = extract("asgi", environ=scope(issued, error="certificate has expired"))
    assert_identity(identity, issued.cert, chain=issued.chain, proxy_verified=False, source="asgi")
    with pytest.raises(CertificateError) as info:
        extract("asgi", environ=scope(None, error="certificate has expired"))
    assert info.value.reason == "proxy_verification_failed"


def test_name_disagreeing_with_chain_is_ambiguous(pki: TestPKI) -> None:
    other = kit(pki).other.cert.subject.rfc4514_string()
    with pytest.raises(CertificateError) as info:
        extract("asgi", environ=scope(kit(pki).client, name=other))
    assert info.value.reason == "ambiguous"


def test_name_only_is_field_identity(pki: TestPKI) -> None:
    cert = kit(pki).tricky.cert
    identity = extract("asgi", environ=scope(None, name=cert.subject.rfc4514_string()))
    assert identity is not None
    assert identity.fields_only
    assert identity.subject == cert.subject.rfc4514_string()


def test_never_forwarded_and_ignores_headers(pki: TestPKI) -> None:
    s = scope(None)
    s["headers"] = [(b"x-ssl-client-cert", pem(kit(pki).client.cert).encode())]
    assert get_source("asgi").is_forwarded(RequestView(None, s)) is False
    assert extract("asgi", environ=s) is None


@pytest.mark.parametrize(
    "tls",
    [
        "not a mapping",
        {"client_cert_chain": "-----BEGIN CERTIFICATE-----"},
        {"client_cert_chain": [b"bytes"]},
        {"client_cert_chain": 42},
        {"client_cert_chain": ["garbage"]},
        {"client_cert_chain": [], "client_cert_name": 7},
        {"client_cert_chain": [], "client_cert_error": ["x"]},
        {"client_cert_chain": [], "client_cert_name": "CN=a,,"},
    ],
)
def test_malformed_scope(tls: Any) -> None:
    with pytest.raises(CertificateError) as info:
        extract("asgi", environ={"type": "http", "extensions": {"tls": tls}})
    assert info.value.reason == "malformed"


def test_overlong_chain_is_malformed(pki: TestPKI) -> None:
    s = scope(kit(pki).client)
    s["extensions"]["tls"]["client_cert_chain"] = [pem(kit(pki).client.cert)] * 17
    with pytest.raises(CertificateError) as info:
        extract("asgi", environ=s)
    assert info.value.reason == "malformed"
