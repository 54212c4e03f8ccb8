"""HAProxy source: ``%[ssl_c_der,base64]``, ``%[ssl_c_verify]`` and ``%[ssl_c_used]``."""

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

X509_V_ERR_CERT_HAS_EXPIRED = 10


def haproxy_headers(cert, verify: int = 0, used: int = 1) -> dict[str, str]:
    """What ``http-request set-header`` produces from the sample fetches."""
    return {
        "X-SSL-Client-Cert": base64.b64encode(der(cert)).decode("ascii"),
        "X-SSL-Client-Verify": str(verify),
        "X-SSL-Client-Used": str(used),
    }


#: A connection without a client certificate: ssl_c_der is empty, ssl_c_verify is X509_V_OK.
NO_CERTIFICATE = {"X-SSL-Client-Cert": "", "X-SSL-Client-Verify": "0", "X-SSL-Client-Used": "0"}


def test_tricky_certificate(pki: TestPKI) -> None:
    cert = kit(pki).tricky.cert
    identity = extract("haproxy", haproxy_headers(cert))
    assert_identity(identity, cert, proxy_verified=True, source="haproxy")
    assert_tricky_details(identity)


def test_rsa_certificate_without_padding(rsa_pki: TestPKI) -> None:
    cert = rsa_pki.client.cert
    headers = haproxy_headers(cert)
    headers["X-SSL-Client-Cert"] = headers["X-SSL-Client-Cert"].rstrip("=")
    assert_identity(extract("haproxy", headers), cert, proxy_verified=True, source="haproxy")


def test_no_certificate_forms() -> None:
    assert extract("haproxy", NO_CERTIFICATE) is None
    assert extract("haproxy", {}) is None
    assert extract("haproxy", {"X-SSL-Client-Verify": "0"}) is None


def test_ignored_verify_error_gives_unverified_identity(pki: TestPKI) -> None:
    cert = kit(pki).expired.cert
    headers = haproxy_headers(cert, verify=X509_V_ERR_CERT_HAS_EXPIRED)
    assert_identity(extract("haproxy", headers), cert, proxy_verified=False, source="haproxy")


def test_failure_without_certificate() -> None:
    headers = {"X-SSL-Client-Cert": "", "X-SSL-Client-Verify": "10", "X-SSL-Client-Used": "1"}
    with pytest.raises(CertificateError) as info:
        extract("haproxy", headers)
    assert info.value.reason == "proxy_verification_failed"


def test_used_but_not_forwarded_is_ambiguous() -> None:
    headers = {"X-SSL-Client-Verify": "0", "X-SSL-Client-Used": "1"}
    with pytest.raises(CertificateError) as info:
        extract("haproxy", headers)
    assert info.value.reason == "ambiguous"


def test_certificate_with_used_zero_is_ambiguous(pki: TestPKI) -> None:
    with pytest.raises(CertificateError) as info:
        extract("haproxy", haproxy_headers(kit(pki).client.cert, used=0))
    assert info.value.reason == "ambiguous"


def test_certificate_alone_has_no_verdict(pki: TestPKI) -> None:
    cert = kit(pki).client.cert
    headers = {"X-SSL-Client-Cert": base64.b64encode(der(cert)).decode()}
    assert_identity(extract("haproxy", headers), cert, proxy_verified=None, source="haproxy")


def test_two_certificates_are_ambiguous(pki: TestPKI) -> None:
    one = haproxy_headers(kit(pki).client.cert)["X-SSL-Client-Cert"]
    two = haproxy_headers(kit(pki).other.cert)["X-SSL-Client-Cert"]
    with pytest.raises(CertificateError) as info:
        extract("haproxy", {"X-SSL-Client-Cert": f"{one},{two}"})
    assert info.value.reason == "ambiguous"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"X-SSL-Client-Cert": "!!!"}, "malformed"),
        ({"X-SSL-Client-Cert": "QUJD"}, "malformed"),  # valid base64, not a certificate
        ({"X-SSL-Client-Verify": "ok"}, "malformed"),
        ({"X-SSL-Client-Verify": "-1"}, "malformed"),
        ({"X-SSL-Client-Verify": "\u0661"}, "malformed"),  # ARABIC-INDIC DIGIT ONE
        ({"X-SSL-Client-Verify": "99999999999"}, "malformed"),
        ({"X-SSL-Client-Used": "yes"}, "malformed"),
        ({"X-SSL-Client-Used": "1,1"}, "ambiguous"),
    ],
)
def test_bad_input_is_a_typed_error(headers: dict[str, str], reason: str) -> None:
    with pytest.raises(CertificateError) as info:
        extract("haproxy", headers)
    assert info.value.reason == reason


def test_header_case_and_environ_lookup(pki: TestPKI) -> None:
    cert = kit(pki).client.cert
    headers = haproxy_headers(cert)
    lowered = {k.lower(): v for k, v in headers.items()}
    assert_identity(extract("haproxy", lowered), cert, proxy_verified=True, source="haproxy")
    environ = environ_from_headers(headers)
    assert_identity(
        extract("haproxy", environ=environ), cert, proxy_verified=True, source="haproxy"
    )
