"""RFC 9440 ``Client-Cert`` / ``Client-Cert-Chain``, built per RFC 8941 byte sequences."""

from __future__ import annotations

import base64

import pytest

from mtlsguard.certs import CertificateError, extract
from mtlsguard.certs.sources.rfc9440 import parse_byte_sequence, parse_byte_sequence_list
from mtlsguard.devserver.pki import TestPKI
from tests.certs.sources.proxykit import (
    assert_identity,
    assert_tricky_details,
    der,
    environ_from_headers,
    kit,
)


def sf_binary(data: bytes) -> str:
    """RFC 8941 section 4.1.8: ':' + base64 (with padding) + ':'."""
    return ":" + base64.b64encode(data).decode("ascii") + ":"


def test_leaf_and_chain(pki: TestPKI) -> None:
    issued = kit(pki).tricky
    headers = {
        "Client-Cert": sf_binary(issued.der),
        "Client-Cert-Chain": ", ".join(sf_binary(der(c)) for c in issued.chain),
    }
    identity = extract("rfc9440", headers)
    assert_identity(
        identity, issued.cert, chain=issued.chain, proxy_verified=None, source="rfc9440"
    )
    assert_tricky_details(identity)


def test_chain_with_root_and_no_spaces(pki: TestPKI) -> None:
    issued = kit(pki).client
    chain = (*issued.chain, pki.root.cert)
    headers = {
        "client-cert": sf_binary(issued.der),
        "CLIENT-CERT-CHAIN": ",".join(sf_binary(der(c)) for c in chain),
    }
    identity = extract("rfc9440", headers)
    assert_identity(identity, issued.cert, chain=chain, proxy_verified=None, source="rfc9440")


def test_environ_lookup(pki: TestPKI) -> None:
    issued = kit(pki).client
    environ = environ_from_headers({"Client-Cert": sf_binary(issued.der)})
    identity = extract("rfc9440", environ=environ)
    assert_identity(identity, issued.cert, proxy_verified=None, source="rfc9440")


def test_missing_padding_is_accepted(pki: TestPKI) -> None:
    issued = kit(pki).client
    unpadded = sf_binary(issued.der).replace("=", "")
    assert parse_byte_sequence(unpadded, "Client-Cert") == issued.der


def test_no_certificate() -> None:
    assert extract("rfc9440", {}) is None
    assert extract("rfc9440", {"Client-Cert": ""}) is None


def test_chain_without_leaf_is_malformed(pki: TestPKI) -> None:
    with pytest.raises(CertificateError) as err:
        extract("rfc9440", {"Client-Cert-Chain": sf_binary(der(pki.intermediate.cert))})
    assert err.value.reason == "malformed"


def test_two_leaves_joined_by_a_server_is_ambiguous(pki: TestPKI) -> None:
    a, b = kit(pki).client, kit(pki).other
    with pytest.raises(CertificateError) as err:
        extract("rfc9440", {"Client-Cert": f"{sf_binary(a.der)}, {sf_binary(b.der)}"})
    assert err.value.reason == "ambiguous"


@pytest.mark.parametrize(
    "value",
    [
        "TUlJQg==",  # no colons: a token, not a byte sequence
        ":TUlJQg==",  # no closing colon
        ":TUlJ-g==:",  # base64url alphabet is not RFC 8941 base64
        ":TUlJ Qg==:",  # whitespace inside
        ":TUlJQg==:;a=1",  # parameters are not allowed
        ":TUlJQg==: x",  # trailing garbage
        '"TUlJQg=="',  # a string
        "::",  # empty
        ":TU=lJQg:",  # padding in the middle
        ":TUlJQ:",  # impossible base64 length
        ":TUlJQg==:\t",  # HTAB is not top-level whitespace
    ],
)
def test_strict_item_parsing(value: str) -> None:
    with pytest.raises(CertificateError) as err:
        parse_byte_sequence(value, "Client-Cert")
    assert err.value.reason == "malformed"


@pytest.mark.parametrize(
    "value",
    [
        ":TUlJQg==:,",  # trailing comma
        ":TUlJQg==:,,:TUlJQg==:",  # empty member
        ":TUlJQg==: :TUlJQg==:",  # missing comma
        ":TUlJQg==:;p, :TUlJQg==:",  # parameter on a member
        ":TUlJQg==:, 1",  # integer member
    ],
)
def test_strict_list_parsing(value: str) -> None:
    with pytest.raises(CertificateError) as err:
        parse_byte_sequence_list(value, "Client-Cert-Chain")
    assert err.value.reason == "malformed"


def test_list_whitespace_and_empty_list() -> None:
    assert parse_byte_sequence_list("  :AAEC:\t,  :AwQ=:  ", "chain") == [b"\0\1\2", b"\3\4"]
    assert parse_byte_sequence_list("", "chain") == []


def test_byte_sequence_that_is_not_a_certificate_is_malformed() -> None:
    with pytest.raises(CertificateError) as err:
        extract("rfc9440", {"Client-Cert": sf_binary(b"not a certificate")})
    assert err.value.reason == "malformed"
