"""ingress-nginx source: ``auth-tls-pass-certificate-to-upstream`` headers."""

from __future__ import annotations

import urllib.parse

import pytest

from mtlsguard.certs import CertificateError, extract
from mtlsguard.devserver.pki import TestPKI
from tests.certs.sources.proxykit import (
    assert_identity,
    assert_tricky_details,
    environ_from_headers,
    kit,
    openssl_fields,
    pem,
)


def ingress_headers(cert, verify: str = "SUCCESS") -> dict[str, str]:
    """The controller's template: ssl-client-cert/-verify/-subject-dn/-issuer-dn."""
    printed = openssl_fields(cert)
    return {
        "ssl-client-cert": urllib.parse.quote(pem(cert), safe=""),
        "ssl-client-verify": verify,
        "ssl-client-subject-dn": printed.subject,
        "ssl-client-issuer-dn": printed.issuer,
    }


def test_tricky_certificate(pki: TestPKI) -> None:
    cert = kit(pki).tricky.cert
    identity = extract("ingress-nginx", ingress_headers(cert))
    assert_identity(identity, cert, proxy_verified=True, source="ingress-nginx")
    assert_tricky_details(identity)


def test_nginx_header_names_are_not_read(pki: TestPKI) -> None:
    cert = kit(pki).client.cert
    headers = {"X-SSL-Client-Cert": urllib.parse.quote(pem(cert), safe="")}
    assert extract("ingress-nginx", headers) is None


def test_no_certificate_and_failures(pki: TestPKI) -> None:
    assert extract("ingress-nginx", {"ssl-client-verify": "NONE"}) is None
    cert = kit(pki).expired.cert
    identity = extract("ingress-nginx", ingress_headers(cert, "FAILED:certificate has expired"))
    assert_identity(identity, cert, proxy_verified=False, source="ingress-nginx")
    with pytest.raises(CertificateError) as info:
        extract("ingress-nginx", {"ssl-client-verify": "FAILED:certificate has expired"})
    assert info.value.reason == "proxy_verification_failed"


def test_subject_dn_of_another_certificate(pki: TestPKI) -> None:
    headers = ingress_headers(kit(pki).client.cert)
    headers["ssl-client-subject-dn"] = openssl_fields(kit(pki).other.cert).subject
    with pytest.raises(CertificateError) as info:
        extract("ingress-nginx", headers)
    assert info.value.reason == "ambiguous"


def test_field_only(pki: TestPKI) -> None:
    cert = kit(pki).tricky.cert
    headers = ingress_headers(cert)
    del headers["ssl-client-cert"]
    identity = extract("ingress-nginx", headers)
    assert identity is not None
    assert identity.fields_only
    assert identity.subject == cert.subject.rfc4514_string()
    assert identity.issuer == cert.issuer.rfc4514_string()


def test_header_case_and_environ_lookup(pki: TestPKI) -> None:
    cert = kit(pki).client.cert
    headers = ingress_headers(cert)
    upper = {k.upper(): v for k, v in headers.items()}
    assert_identity(
        extract("ingress-nginx", upper), cert, proxy_verified=True, source="ingress-nginx"
    )
    environ = environ_from_headers(headers)
    assert "HTTP_SSL_CLIENT_CERT" in environ
    identity = extract("ingress-nginx", environ=environ)
    assert_identity(identity, cert, proxy_verified=True, source="ingress-nginx")
