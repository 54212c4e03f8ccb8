"""verify() reuses the certificates extraction parsed only when they are exactly the DER's."""

from __future__ import annotations

import dataclasses
import datetime as dt
import urllib.parse

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from mtlsguard.certs import CertificateError, ClientCertificate, VerificationPolicy, extract, verify
from mtlsguard.devserver.pki import TestPKI


def _nginx_headers(pki: TestPKI, leaf_pem: bytes) -> dict[str, str]:
    pem = leaf_pem + pki.intermediate.cert.public_bytes(Encoding.PEM)
    return {
        "X-SSL-Client-Cert": urllib.parse.quote(pem.decode(), safe=""),
        "X-SSL-Client-Verify": "SUCCESS",
    }


def _policy(pki: TestPKI) -> VerificationPolicy:
    return VerificationPolicy(trust_anchors=(pki.root.cert,))


def _reason(cert: ClientCertificate, policy: VerificationPolicy) -> str:
    with pytest.raises(CertificateError) as exc:
        verify(cert, policy)
    return exc.value.reason


def test_extracted_certificates_are_verified_without_parsing_again(pki: TestPKI) -> None:
    cert = extract("nginx", _nginx_headers(pki, pki.client.cert_pem))
    assert cert is not None
    assert cert._parsed is not None
    result = verify(cert, _policy(pki))
    assert result.chain[0] is cert.certificate
    assert result.chain[1] is cert._parsed[1][0]
    assert result.chain == (pki.client.cert, pki.intermediate.cert, pki.root.cert)
    assert result.expires_at == pki.client.cert.not_valid_after_utc


def test_from_der_and_from_certificate_keep_the_parsed_objects(pki: TestPKI) -> None:
    chain_der = tuple(c.public_bytes(Encoding.DER) for c in pki.client.chain)
    assert ClientCertificate.from_der(pki.client.der, chain=chain_der)._parsed is not None
    built = ClientCertificate.from_certificate(pki.client.cert, chain=pki.client.chain)
    assert built._parsed == (pki.client.cert, pki.client.chain)


def test_caller_supplied_der_is_what_gets_verified(pki: TestPKI) -> None:
    # from_certificate() trusts a caller's der=; verify() must then verify that DER (the cache
    # key), not the object it came with.
    mismatched = ClientCertificate.from_certificate(
        pki.client.cert,
        chain=pki.client.chain,
        der=pki.expired.der,
        chain_der=tuple(c.public_bytes(Encoding.DER) for c in pki.client.chain),
    )
    assert mismatched._parsed is None
    assert _reason(mismatched, _policy(pki)) == "expired"


def test_replaced_identity_is_parsed_from_its_der(pki: TestPKI) -> None:
    expired = extract("nginx", _nginx_headers(pki, pki.expired.cert_pem))
    assert expired is not None
    assert expired._parsed is not None
    # dataclasses.replace() drops the parsed objects: a forged date cannot reach verify().
    far = dt.datetime.now(dt.UTC) + dt.timedelta(days=3650)
    forged = dataclasses.replace(expired, not_after=far)
    assert forged._parsed is None
    assert _reason(forged, _policy(pki)) == "expired"
    assert _reason(expired, _policy(pki)) == "expired"
    # and a replaced DER is the DER that is checked
    swapped = dataclasses.replace(
        extract("nginx", _nginx_headers(pki, pki.client.cert_pem)),  # type: ignore[type-var]
        der=pki.expired.der,
    )
    assert _reason(swapped, _policy(pki)) == "expired"


def test_not_yet_valid_extracted_certificate(pki: TestPKI) -> None:
    cert = extract("nginx", _nginx_headers(pki, pki.not_yet_valid.cert_pem))
    assert cert is not None
    assert _reason(cert, _policy(pki)) == "not_yet_valid"
