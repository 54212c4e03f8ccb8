"""AWS ALB mTLS: headers built as the ELB guide documents them (passthrough and verify)."""

from __future__ import annotations

import urllib.parse

import pytest
from cryptography import x509

from mtlsguard.certs import CertificateError, extract
from mtlsguard.devserver.pki import IssuedCertificate, TestPKI
from tests.certs.sources.proxykit import (
    assert_identity,
    assert_tricky_details,
    environ_from_headers,
    kit,
    openssl_fields,
    pem,
)


def alb_encode(text: str) -> str:
    """ALB: "URL-encoded PEM format ..., with +=/ as safe characters"."""
    return urllib.parse.quote(text, safe="+=/")


def iso(when) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def passthrough(issued: IssuedCertificate) -> dict[str, str]:
    bundle = pem(issued.cert) + "".join(pem(c) for c in issued.chain)
    return {"X-Amzn-Mtls-Clientcert": alb_encode(bundle)}


def verify_mode(issued: IssuedCertificate, *, leaf: bool = True) -> dict[str, str]:
    cert: x509.Certificate = issued.cert
    printed = openssl_fields(cert)
    headers = {
        "X-Amzn-Mtls-Clientcert-Serial-Number": printed.serial,
        "X-Amzn-Mtls-Clientcert-Issuer": printed.issuer,
        "X-Amzn-Mtls-Clientcert-Subject": printed.subject,
        "X-Amzn-Mtls-Clientcert-Validity": (
            f"NotBefore={iso(cert.not_valid_before_utc)};NotAfter={iso(cert.not_valid_after_utc)}"
        ),
    }
    if leaf:
        headers["X-Amzn-Mtls-Clientcert-Leaf"] = alb_encode(pem(cert))
    return headers


def test_passthrough_chain(pki: TestPKI) -> None:
    issued = kit(pki).tricky
    identity = extract("aws-alb", passthrough(issued))
    assert_identity(
        identity, issued.cert, chain=issued.chain, proxy_verified=None, source="aws-alb"
    )
    assert_tricky_details(identity)


def test_passthrough_leaves_plus_equals_slash_literal(pki: TestPKI) -> None:
    value = passthrough(kit(pki).client)["X-Amzn-Mtls-Clientcert"]
    assert "%0A" in value
    assert "%2B" not in value
    assert "%3D" not in value


def test_verify_mode_with_leaf(pki: TestPKI) -> None:
    issued = kit(pki).tricky
    identity = extract("aws-alb", verify_mode(issued))
    assert_identity(identity, issued.cert, proxy_verified=True, source="aws-alb")
    assert_tricky_details(identity)


def test_verify_mode_fields_only(pki: TestPKI) -> None:
    issued = kit(pki).tricky
    identity = extract("aws-alb", verify_mode(issued, leaf=False))
    assert identity is not None
    assert identity.fields_only
    assert identity.sha256 is None  # ALB sends no fingerprint in verify mode
    assert identity.serial == issued.cert.serial_number
    assert identity.subject == issued.cert.subject.rfc4514_string()
    assert identity.issuer == issued.cert.issuer.rfc4514_string()
    assert identity.not_before == issued.cert.not_valid_before_utc
    assert identity.not_after == issued.cert.not_valid_after_utc
    assert identity.proxy_verified is True


def test_header_case_and_environ(pki: TestPKI) -> None:
    issued = kit(pki).client
    headers = {k.lower(): v for k, v in verify_mode(issued).items()}
    assert_identity(extract("aws-alb", headers), issued.cert, proxy_verified=True, source="aws-alb")
    environ = environ_from_headers(passthrough(issued))
    assert_identity(
        extract("aws-alb", environ=environ),
        issued.cert,
        chain=issued.chain,
        proxy_verified=None,
        source="aws-alb",
    )


def test_renamed_headers(pki: TestPKI) -> None:
    issued = kit(pki).client
    headers = {"X-Client-Chain": passthrough(issued)["X-Amzn-Mtls-Clientcert"]}
    identity = extract("aws-alb", headers, names={"cert": "X-Client-Chain"})
    assert_identity(
        identity, issued.cert, chain=issued.chain, proxy_verified=None, source="aws-alb"
    )


def test_no_certificate() -> None:
    assert extract("aws-alb", {}) is None
    assert extract("aws-alb", {"X-Amzn-Mtls-Clientcert": ""}) is None


@pytest.mark.parametrize(
    ("header", "other"),
    [
        ("Serial-Number", "other_client"),
        ("Subject", "other_client"),
        ("Issuer", "self_signed"),
        ("Validity", "expired"),
    ],
)
def test_field_disagreeing_with_leaf_is_ambiguous(pki: TestPKI, header: str, other: str) -> None:
    headers = verify_mode(kit(pki).client)
    key = f"X-Amzn-Mtls-Clientcert-{header}"
    headers[key] = verify_mode(getattr(pki, other))[key]
    with pytest.raises(CertificateError) as err:
        extract("aws-alb", headers)
    assert err.value.reason == "ambiguous"


def test_both_modes_at_once_is_ambiguous(pki: TestPKI) -> None:
    issued = kit(pki).client
    with pytest.raises(CertificateError) as err:
        extract("aws-alb", passthrough(issued) | verify_mode(issued))
    assert err.value.reason == "ambiguous"


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Amzn-Mtls-Clientcert", "-----BEGIN%20CERTIFICATE-----%0Agarbage"),
        ("X-Amzn-Mtls-Clientcert-Serial-Number", "not-hex"),
        ("X-Amzn-Mtls-Clientcert-Validity", "NotBefore=yesterday;NotAfter=tomorrow"),
        ("X-Amzn-Mtls-Clientcert-Validity", "2023-09-21T01:50:17Z"),
        ("X-Amzn-Mtls-Clientcert-Subject", "not a dn"),
        ("X-Amzn-Mtls-Clientcert-Leaf", "%E0%A4%A"),
    ],
)
def test_undecodable_values_are_malformed(header: str, value: str) -> None:
    with pytest.raises(CertificateError) as err:
        extract("aws-alb", {header: value})
    assert err.value.reason == "malformed"


def test_leaf_with_two_certificates_is_malformed(pki: TestPKI) -> None:
    issued = kit(pki).client
    headers = verify_mode(issued)
    headers["X-Amzn-Mtls-Clientcert-Leaf"] = passthrough(issued)["X-Amzn-Mtls-Clientcert"]
    with pytest.raises(CertificateError) as err:
        extract("aws-alb", headers)
    assert err.value.reason == "malformed"
