"""GCP load balancer mTLS custom headers, expanded the way the custom-headers reference says."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography import x509

from mtlsguard.certs import SOURCES, CertificateError, extract
from mtlsguard.devserver.pki import IssuedCertificate, TestPKI
from tests.certs.sources.proxykit import (
    SPIFFE_ID,
    assert_fields_identity,
    assert_identity,
    assert_tricky_details,
    der,
    environ_from_headers,
    kit,
    openssl_fields,
    san_values,
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def gcp_headers(issued: IssuedCertificate, *, verified: bool = True) -> dict[str, str]:
    """Every ``{client_cert_*}`` variable under the names of Google's example.

    Empty expansions are sent as empty headers; the leaf and chain are only filled for a
    certificate that passed validation.
    """
    cert = issued.cert
    uris = san_values(cert, x509.UniformResourceIdentifier)
    spiffe = next((u for u in uris if u.startswith("spiffe://")), "")
    rfc3339 = "%Y-%m-%dT%H:%M:%S+00:00"
    return {
        "X-Client-Cert-Present": "true",
        "X-Client-Cert-Chain-Verified": "true" if verified else "false",
        "X-Client-Cert-Error": "" if verified else "client_cert_validation_failed",
        "X-Client-Cert-Hash": b64(hashlib.sha256(issued.der).digest()),
        "X-Client-Cert-Serial-Number": openssl_fields(cert).serial,
        "X-Client-Cert-SPIFFE": spiffe,
        "X-Client-Cert-URI-SANs": ",".join(b64(u.encode()) for u in uris if u != spiffe),
        "X-Client-Cert-DNSName-SANs": ",".join(
            b64(d.encode()) for d in san_values(cert, x509.DNSName)
        ),
        "X-Client-Cert-Valid-Not-Before": cert.not_valid_before_utc.strftime(rfc3339),
        "X-Client-Cert-Valid-Not-After": cert.not_valid_after_utc.strftime(rfc3339),
        "X-Client-Cert-Issuer-Dn": b64(cert.issuer.public_bytes()),
        "X-Client-Cert-Subject-Dn": b64(cert.subject.public_bytes()),
        "X-Client-Cert-Leaf": f":{b64(issued.der)}:" if verified else "",
        "X-Client-Cert-Chain": ",".join(f":{b64(der(c))}:" for c in issued.chain)
        if verified
        else "",
    }


NO_CERTIFICATE = {
    "X-Client-Cert-Present": "false",
    "X-Client-Cert-Chain-Verified": "false",
    "X-Client-Cert-Error": "client_cert_not_provided",
}


def test_verified_leaf_and_chain(pki: TestPKI) -> None:
    issued = kit(pki).tricky
    identity = extract("gcp", gcp_headers(issued))
    assert_identity(identity, issued.cert, chain=issued.chain, proxy_verified=True, source="gcp")
    assert_tricky_details(identity)


def test_fields_only_with_failed_validation(pki: TestPKI) -> None:
    issued = kit(pki).tricky
    identity = extract("gcp", gcp_headers(issued, verified=False))
    assert_fields_identity(identity, issued.cert, proxy_verified=False)
    assert identity is not None
    assert identity.spiffe_id == SPIFFE_ID
    assert set(identity.uris) == set(san_values(issued.cert, x509.UniformResourceIdentifier))
    assert identity.dns_names == ("jm.clients.example.com",)


def test_expired_certificate_in_allow_invalid_mode(pki: TestPKI) -> None:
    identity = extract("gcp", gcp_headers(pki.expired, verified=False))
    assert identity is not None
    assert identity.proxy_verified is False
    assert identity.not_after == pki.expired.cert.not_valid_after_utc


def test_no_certificate_forms() -> None:
    assert extract("gcp", {}) is None
    assert extract("gcp", NO_CERTIFICATE) is None
    assert extract("gcp", {"X-Client-Cert-Error": "client_cert_not_provided"}) is None
    # Every other variable configured, each expanding to nothing.
    blank = dict.fromkeys(SOURCES["gcp"].default_names.values(), "")
    assert extract("gcp", blank | NO_CERTIFICATE) is None


def test_failed_verdict_without_anything_else() -> None:
    headers = {"X-Client-Cert-Present": "true", "X-Client-Cert-Chain-Verified": "false"}
    with pytest.raises(CertificateError) as err:
        extract("gcp", headers)
    assert err.value.reason == "proxy_verification_failed"


def test_header_case_and_environ(pki: TestPKI) -> None:
    issued = kit(pki).client
    upper = {k.upper(): v for k, v in gcp_headers(issued).items()}
    identity = extract("gcp", upper)
    assert_identity(identity, issued.cert, chain=issued.chain, proxy_verified=True, source="gcp")
    environ = environ_from_headers(gcp_headers(issued))
    identity = extract("gcp", environ=environ)
    assert_identity(identity, issued.cert, chain=issued.chain, proxy_verified=True, source="gcp")


def test_unpadded_fingerprint(pki: TestPKI) -> None:
    issued = kit(pki).client
    headers = gcp_headers(issued)
    headers["X-Client-Cert-Hash"] = headers["X-Client-Cert-Hash"].rstrip("=")
    assert extract("gcp", headers) is not None


def test_custom_header_names(pki: TestPKI) -> None:
    issued = kit(pki).client
    headers = {
        "mtls-Client-Certificate-Present": "true",
        "mtls-Client-Certificate-Valid": "true",
        "mtls-Client-Leaf": f":{b64(issued.der)}:",
    }
    names = {
        "present": "mtls-Client-Certificate-Present",
        "verify": "mtls-Client-Certificate-Valid",
        "cert": "mtls-Client-Leaf",
    }
    identity = extract("gcp", headers, names=names)
    assert_identity(identity, issued.cert, proxy_verified=True, source="gcp")


@pytest.mark.parametrize(
    ("header", "other"),
    [
        ("X-Client-Cert-Hash", "other_client"),
        ("X-Client-Cert-Serial-Number", "other_client"),
        ("X-Client-Cert-Subject-Dn", "other_client"),
        ("X-Client-Cert-Issuer-Dn", "self_signed"),
        ("X-Client-Cert-Valid-Not-After", "expired"),
        ("X-Client-Cert-SPIFFE", "other_client"),
    ],
)
def test_fields_disagreeing_with_leaf_are_ambiguous(pki: TestPKI, header: str, other: str) -> None:
    headers = gcp_headers(kit(pki).client)
    headers[header] = gcp_headers(getattr(pki, other))[header]
    with pytest.raises(CertificateError) as err:
        extract("gcp", headers)
    assert err.value.reason == "ambiguous"


def test_contradictions_are_ambiguous(pki: TestPKI) -> None:
    issued = kit(pki).client
    not_present = gcp_headers(issued) | {"X-Client-Cert-Present": "false"}
    leaf_with_failure = gcp_headers(issued) | {"X-Client-Cert-Chain-Verified": "false"}
    for headers in (not_present, leaf_with_failure):
        with pytest.raises(CertificateError) as err:
            extract("gcp", headers)
        assert err.value.reason == "ambiguous"


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Client-Cert-Present", "yes"),
        ("X-Client-Cert-Hash", "bm90IGEgZGlnZXN0"),  # base64, but not 32 bytes
        ("X-Client-Cert-Hash", "%%%"),
        ("X-Client-Cert-Subject-Dn", "bm90IGEgbmFtZQ=="),  # base64 of text, not a DER Name
        ("X-Client-Cert-Valid-Not-After", "2022-07-01 18:05:09"),  # no offset
        ("X-Client-Cert-URI-SANs", "//8="),  # not UTF-8
        ("X-Client-Cert-Leaf", "MIIB"),  # not an RFC 9440 byte sequence
    ],
)
def test_undecodable_values_are_malformed(header: str, value: str) -> None:
    headers = {"X-Client-Cert-Present": "true", header: value}
    with pytest.raises(CertificateError) as err:
        extract("gcp", headers)
    assert err.value.reason == "malformed"
