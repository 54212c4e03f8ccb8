"""Cloudflare: client certificate forwarding and the "Add TLS client auth headers" transform."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from mtlsguard.certs import CertificateError, extract
from mtlsguard.devserver.pki import IssuedCertificate, TestPKI
from tests.certs.sources.proxykit import (
    assert_fields_identity,
    assert_identity,
    assert_tricky_details,
    environ_from_headers,
    kit,
    openssl_fields,
    pem,
)


def openssl_dates(issued: IssuedCertificate) -> tuple[str, str]:
    """notBefore / notAfter as OpenSSL prints them (``Mar  1 13:35:00 2022 GMT``)."""
    binary = shutil.which("openssl")
    assert binary
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cert.pem"
        path.write_text(pem(issued.cert))
        out = subprocess.run(
            [binary, "x509", "-in", str(path), "-noout", "-startdate", "-enddate"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    fields = dict(line.split("=", 1) for line in out.splitlines())
    return fields["notBefore"], fields["notAfter"]


def forwarding(issued: IssuedCertificate) -> dict[str, str]:
    """``client_certificate_forwarding: true`` on the mTLS hostname."""
    return {
        "Cf-Client-Cert-Der-Base64": base64.b64encode(issued.der).decode("ascii"),
        "Cf-Client-Cert-Sha256": hashlib.sha256(issued.der).hexdigest(),
    }


def transform(
    issued: IssuedCertificate, *, verified: bool = True, revoked: bool = False
) -> dict[str, str]:
    """The Managed Transform's ``cf-cert-*`` headers, in the lower case Cloudflare sends."""
    rfc2253 = openssl_fields(issued.cert)
    legacy = openssl_fields(issued.cert, "compat")
    not_before, not_after = openssl_dates(issued)
    return {
        "cf-cert-presented": "true",
        "cf-cert-verified": "true" if verified else "false",
        "cf-cert-revoked": "true" if revoked else "false",
        "cf-cert-subject-dn-rfc2253": rfc2253.subject,
        "cf-cert-issuer-dn-rfc2253": rfc2253.issuer,
        "cf-cert-subject-dn-legacy": legacy.subject,
        "cf-cert-issuer-dn-legacy": legacy.issuer,
        "cf-cert-serial": rfc2253.serial,
        "cf-cert-fingerprint-sha256": hashlib.sha256(issued.der).hexdigest(),
        "cf-cert-not-before": not_before,
        "cf-cert-not-after": not_after,
    }


NOT_PRESENTED = {"cf-cert-presented": "false", "cf-cert-verified": "false"}


def test_forwarded_der_with_transform_headers(pki: TestPKI) -> None:
    issued = kit(pki).tricky
    identity = extract("cloudflare", forwarding(issued) | transform(issued))
    assert_identity(identity, issued.cert, proxy_verified=True, source="cloudflare")
    assert_tricky_details(identity)


def test_forwarded_der_alone(pki: TestPKI) -> None:
    issued = kit(pki).client
    identity = extract("cloudflare", forwarding(issued))
    assert_identity(identity, issued.cert, proxy_verified=None, source="cloudflare")


def test_failed_verification_keeps_the_certificate(pki: TestPKI) -> None:
    issued = pki.self_signed
    identity = extract("cloudflare", forwarding(issued) | transform(issued, verified=False))
    assert_identity(identity, issued.cert, proxy_verified=False, source="cloudflare")


def test_transform_fields_only(pki: TestPKI) -> None:
    issued = kit(pki).tricky
    identity = extract("cloudflare", transform(issued))
    assert_fields_identity(identity, issued.cert, proxy_verified=True)
    assert identity is not None
    assert identity.common_name == "Jürgen #1 "


def test_legacy_dn_is_the_fallback(pki: TestPKI) -> None:
    issued = kit(pki).client
    headers = transform(issued)
    del headers["cf-cert-subject-dn-rfc2253"], headers["cf-cert-issuer-dn-rfc2253"]
    identity = extract("cloudflare", headers)
    assert identity is not None
    assert identity.subject == issued.cert.subject.rfc4514_string()
    assert identity.issuer == issued.cert.issuer.rfc4514_string()


def test_workers_verdict_strings(pki: TestPKI) -> None:
    issued = kit(pki).client
    ok = forwarding(issued) | {"cf-cert-presented": "1", "cf-cert-verified": "SUCCESS"}
    assert_identity(
        extract("cloudflare", ok), issued.cert, proxy_verified=True, source="cloudflare"
    )
    failed = forwarding(issued) | {"cf-cert-verified": "FAILED:unable to get local issuer"}
    identity = extract("cloudflare", failed)
    assert identity is not None
    assert identity.proxy_verified is False


def test_header_case_and_environ(pki: TestPKI) -> None:
    issued = kit(pki).client
    headers = {k.upper(): v for k, v in (forwarding(issued) | transform(issued)).items()}
    assert_identity(
        extract("cloudflare", headers), issued.cert, proxy_verified=True, source="cloudflare"
    )
    environ = environ_from_headers(forwarding(issued) | transform(issued))
    assert_identity(
        extract("cloudflare", environ=environ),
        issued.cert,
        proxy_verified=True,
        source="cloudflare",
    )


def test_no_certificate_forms() -> None:
    assert extract("cloudflare", {}) is None
    assert extract("cloudflare", NOT_PRESENTED) is None
    assert extract("cloudflare", {"cf-cert-verified": "NONE"}) is None


def test_failed_verdict_without_certificate() -> None:
    headers = {"cf-cert-presented": "true", "cf-cert-verified": "false"}
    with pytest.raises(CertificateError) as err:
        extract("cloudflare", headers)
    assert err.value.reason == "proxy_verification_failed"


def test_revoked_flag_is_refused(pki: TestPKI) -> None:
    issued = pki.revoked
    with pytest.raises(CertificateError) as err:
        extract("cloudflare", forwarding(issued) | transform(issued, revoked=True))
    assert err.value.reason == "revoked"


@pytest.mark.parametrize(
    ("header", "other"),
    [
        ("Cf-Client-Cert-Sha256", "other_client"),
        ("cf-cert-fingerprint-sha256", "other_client"),
        ("cf-cert-serial", "other_client"),
        ("cf-cert-subject-dn-rfc2253", "other_client"),
        ("cf-cert-issuer-dn-rfc2253", "self_signed"),
        ("cf-cert-not-after", "expired"),
    ],
)
def test_fields_disagreeing_with_der_are_ambiguous(pki: TestPKI, header: str, other: str) -> None:
    issued = kit(pki).client
    headers = forwarding(issued) | transform(issued)
    stranger = getattr(pki, other)
    headers[header] = (forwarding(stranger) | transform(stranger))[header]
    with pytest.raises(CertificateError) as err:
        extract("cloudflare", headers)
    assert err.value.reason == "ambiguous"


def test_not_presented_yet_forwarded_is_ambiguous(pki: TestPKI) -> None:
    issued = kit(pki).client
    with pytest.raises(CertificateError) as err:
        extract("cloudflare", forwarding(issued) | NOT_PRESENTED)
    assert err.value.reason == "ambiguous"


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Cf-Client-Cert-Der-Base64", "!!!"),
        ("Cf-Client-Cert-Der-Base64", "bm90IGEgY2VydA=="),
        ("cf-cert-presented", "maybe"),
        ("cf-cert-verified", "perhaps"),
        ("cf-cert-not-after", "2023-03-21T13:35:00Z"),
        ("cf-cert-not-after", "Foo 21 13:35:00 2023 GMT"),
        ("cf-cert-not-after", "Feb 30 13:35:00 2023 GMT"),
        ("cf-cert-fingerprint-sha256", "abcd"),
        ("cf-cert-serial", "xyz"),
    ],
)
def test_undecodable_values_are_malformed(header: str, value: str) -> None:
    headers = {"cf-cert-presented": "true", "cf-cert-serial": "01", header: value}
    with pytest.raises(CertificateError) as err:
        extract("cloudflare", headers)
    assert err.value.reason == "malformed"
