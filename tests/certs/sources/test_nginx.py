"""nginx source: headers built exactly as ``proxy_set_header ... $ssl_client_*`` builds them."""

from __future__ import annotations

import hashlib
import urllib.parse

import pytest

from mtlsguard.certs import CertificateError, extract
from mtlsguard.devserver.pki import TestPKI
from tests.certs.sources.proxykit import (
    assert_identity,
    assert_tricky_details,
    der,
    environ_from_headers,
    kit,
    openssl_fields,
    pem,
)


def escaped(cert_pem: str) -> str:
    """``$ssl_client_escaped_cert``: the PEM, percent-encoded (newlines become %0A)."""
    return urllib.parse.quote(cert_pem, safe="")


def deprecated(cert_pem: str) -> str:
    """``$ssl_client_cert``: PEM whose continuation lines nginx indents with a tab."""
    return cert_pem.rstrip("\n").replace("\n", "\n\t")


def nginx_headers(cert, verify: str = "SUCCESS", *, fields: bool = True) -> dict[str, str]:
    headers = {"X-SSL-Client-Cert": escaped(pem(cert)), "X-SSL-Client-Verify": verify}
    if fields:
        printed = openssl_fields(cert)
        headers |= {
            "X-SSL-Client-S-DN": printed.subject,
            "X-SSL-Client-I-DN": printed.issuer,
            "X-SSL-Client-Serial": printed.serial,
            "X-SSL-Client-Fingerprint": hashlib.sha1(der(cert)).hexdigest(),
        }
    return headers


def test_tricky_certificate_with_every_field(pki: TestPKI) -> None:
    cert = kit(pki).tricky.cert
    identity = extract("nginx", nginx_headers(cert))
    assert_identity(identity, cert, proxy_verified=True, source="nginx")
    assert_tricky_details(identity)


@pytest.mark.parametrize("safe", ["", "/=+", "/"])
def test_escaping_variants(pki: TestPKI, safe: str) -> None:
    cert = kit(pki).client.cert
    headers = {"X-SSL-Client-Cert": urllib.parse.quote(pem(cert), safe=safe)}
    assert_identity(extract("nginx", headers), cert, proxy_verified=None, source="nginx")


def test_deprecated_ssl_client_cert_with_tabs(pki: TestPKI) -> None:
    cert = kit(pki).client.cert
    headers = {"X-SSL-Client-Cert": deprecated(pem(cert)), "X-SSL-Client-Verify": "SUCCESS"}
    assert_identity(extract("nginx", headers), cert, proxy_verified=True, source="nginx")


def test_leaf_plus_intermediate_bundle(pki: TestPKI) -> None:
    issued = kit(pki).client
    bundle = pem(issued.cert) + "".join(pem(c) for c in issued.chain)
    headers = {"X-SSL-Client-Cert": escaped(bundle), "X-SSL-Client-Verify": "SUCCESS"}
    identity = extract("nginx", headers)
    assert_identity(identity, issued.cert, chain=issued.chain, proxy_verified=True, source="nginx")


def test_no_certificate_forms() -> None:
    assert extract("nginx", {}) is None
    assert extract("nginx", {"X-SSL-Client-Verify": "NONE"}) is None
    assert extract("nginx", {"X-SSL-Client-Cert": "", "X-SSL-Client-Verify": "NONE"}) is None
    assert extract("nginx", {"X-SSL-Client-Cert": "  ", "X-SSL-Client-S-DN": ""}) is None


def test_failed_verification_with_certificate(pki: TestPKI) -> None:
    cert = kit(pki).expired.cert
    headers = nginx_headers(cert, "FAILED:certificate has expired")
    assert_identity(extract("nginx", headers), cert, proxy_verified=False, source="nginx")


def test_failed_verification_without_certificate() -> None:
    with pytest.raises(CertificateError) as info:
        extract("nginx", {"X-SSL-Client-Verify": "FAILED:unable to get local issuer certificate"})
    assert info.value.reason == "proxy_verification_failed"


def test_verify_none_with_certificate_is_ambiguous(pki: TestPKI) -> None:
    with pytest.raises(CertificateError) as info:
        extract("nginx", nginx_headers(kit(pki).client.cert, "NONE", fields=False))
    assert info.value.reason == "ambiguous"


def test_success_without_certificate_or_fields_is_ambiguous() -> None:
    with pytest.raises(CertificateError) as info:
        extract("nginx", {"X-SSL-Client-Verify": "SUCCESS"})
    assert info.value.reason == "ambiguous"


@pytest.mark.parametrize("field", ["S-DN", "I-DN", "Serial", "Fingerprint"])
def test_fields_of_another_certificate_are_ambiguous(pki: TestPKI, field: str) -> None:
    headers = nginx_headers(kit(pki).client.cert)
    other = nginx_headers(pki.self_signed.cert)  # another issuer too
    headers[f"X-SSL-Client-{field}"] = other[f"X-SSL-Client-{field}"]
    with pytest.raises(CertificateError) as info:
        extract("nginx", headers)
    assert info.value.reason == "ambiguous"


def test_two_different_certificates_are_ambiguous(pki: TestPKI) -> None:
    first = escaped(pem(kit(pki).client.cert))
    second = escaped(pem(kit(pki).other.cert))
    with pytest.raises(CertificateError) as info:
        extract("nginx", {"X-SSL-Client-Cert": f"{first}, {second}"})
    assert info.value.reason == "ambiguous"
    with pytest.raises(CertificateError) as info:
        extract("nginx", {"X-SSL-Client-Cert": first, "x-ssl-client-cert": second})
    assert info.value.reason == "ambiguous"


@pytest.mark.parametrize("nameopt", ["RFC2253", "compat"])
def test_field_only_identity(pki: TestPKI, nameopt: str) -> None:
    cert = kit(pki).client.cert
    printed = openssl_fields(cert, nameopt)
    headers = {
        "X-SSL-Client-Verify": "SUCCESS",
        "X-SSL-Client-S-DN": printed.subject,
        "X-SSL-Client-I-DN": printed.issuer,
        "X-SSL-Client-Serial": printed.serial,
    }
    identity = extract("nginx", headers)
    assert identity is not None
    assert identity.fields_only
    assert identity.der is None
    assert identity.sha256 is None
    assert identity.subject == cert.subject.rfc4514_string()
    assert identity.issuer == cert.issuer.rfc4514_string()
    assert identity.serial == cert.serial_number
    assert identity.common_name == "alice"
    assert identity.proxy_verified is True


def test_field_only_identity_tricky_subject(pki: TestPKI) -> None:
    cert = kit(pki).tricky.cert
    printed = openssl_fields(cert)
    identity = extract("nginx", {"X-SSL-Client-S-DN": printed.subject})
    assert identity is not None
    assert identity.subject == cert.subject.rfc4514_string()
    assert identity.common_name == "Jürgen #1 "
    assert identity.proxy_verified is None


def test_field_only_with_none_is_ambiguous(pki: TestPKI) -> None:
    printed = openssl_fields(kit(pki).client.cert)
    with pytest.raises(CertificateError) as info:
        extract("nginx", {"X-SSL-Client-Verify": "NONE", "X-SSL-Client-S-DN": printed.subject})
    assert info.value.reason == "ambiguous"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"X-SSL-Client-Cert": "not a certificate"}, "malformed"),
        ({"X-SSL-Client-Cert": "%FF%FE"}, "malformed"),
        (
            {"X-SSL-Client-Cert": "-----BEGIN CERTIFICATE-----AAAA-----END CERTIFICATE-----"},
            "malformed",
        ),
        ({"X-SSL-Client-Verify": "MAYBE"}, "malformed"),
        ({"X-SSL-Client-Verify": "SUCCESS, NONE"}, "ambiguous"),
        ({"X-SSL-Client-S-DN": "CN=a,,=b"}, "malformed"),
        ({"X-SSL-Client-S-DN": "CN=a", "X-SSL-Client-Serial": "xyz"}, "malformed"),
        ({"X-SSL-Client-S-DN": "CN=a", "X-SSL-Client-Fingerprint": "abc"}, "malformed"),
        ({"X-SSL-Client-Cert": "A" * 70_000}, "malformed"),
    ],
)
def test_bad_input_is_a_typed_error(headers: dict[str, str], reason: str) -> None:
    with pytest.raises(CertificateError) as info:
        extract("nginx", headers)
    assert info.value.reason == reason


def test_header_case_and_environ_lookup(pki: TestPKI) -> None:
    cert = kit(pki).tricky.cert
    headers = nginx_headers(cert)
    lowered = {k.lower(): v for k, v in headers.items()}
    upper = {k.upper(): v for k, v in headers.items()}
    for variant in (lowered, upper):
        assert_identity(extract("nginx", variant), cert, proxy_verified=True, source="nginx")
    environ = environ_from_headers(headers)
    assert "HTTP_X_SSL_CLIENT_CERT" in environ
    assert_identity(extract("nginx", environ=environ), cert, proxy_verified=True, source="nginx")


def test_names_override(pki: TestPKI) -> None:
    cert = kit(pki).client.cert
    headers = {"X-Client-Cert": escaped(pem(cert)), "X-Client-Verify": "SUCCESS"}
    names = {"cert": "X-Client-Cert", "verify": "X-Client-Verify"}
    identity = extract("nginx", headers, names=names)
    assert_identity(identity, cert, proxy_verified=True, source="nginx")
    # The default header names are not read any more once overridden.
    assert extract("nginx", {"X-SSL-Client-Cert": escaped(pem(cert))}, names=names) is None


def test_rsa_certificate(rsa_pki: TestPKI) -> None:
    cert = rsa_pki.client.cert
    assert_identity(
        extract("nginx", nginx_headers(cert)), cert, proxy_verified=True, source="nginx"
    )
