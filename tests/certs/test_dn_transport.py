"""DNs as WSGI servers hand them over (latin-1 text) and OpenSSL's legacy backslashes."""

from __future__ import annotations

import subprocess

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from hypothesis import given

from mtlsguard.certs.dn import from_wsgi_text, normalize_dn, parse_dn
from mtlsguard.devserver.pki import TestPKI
from tests.certs.test_dn import names


@pytest.mark.parametrize(
    ("given_text", "expected"),
    [
        ("CN=JÃ¼rgen", "CN=Jürgen"),  # UTF-8 bytes decoded as latin-1 (mod_wsgi)
        ("CN=Jürgen", "CN=Jürgen"),  # already Unicode: a lone 0xFC is not UTF-8
        ("CN=\u6771\u4eac", "CN=\u6771\u4eac"),  # not latin-1 at all
        ("CN=plain", "CN=plain"),
    ],
)
def test_from_wsgi_text(given_text: str, expected: str) -> None:
    assert from_wsgi_text(given_text) == expected


@pytest.mark.timeout(900)
@given(names())
def test_any_name_survives_the_wsgi_transport(name: x509.Name) -> None:
    text = name.rfc4514_string()
    wire = text.encode("utf-8").decode("latin-1")  # what a WSGI environ holds
    assert parse_dn(from_wsgi_text(wire)) == name


@pytest.mark.parametrize("value", ["a\\b#c", "a\\\\b", "a\\/x", "x=y/CN=z", "a/b+c"])
def test_legacy_backslash_is_literal_unless_it_escapes_a_separator(
    pki: TestPKI, value: str
) -> None:
    issued = pki.intermediate.issue(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, value)]))
    legacy = (
        subprocess.run(
            ["openssl", "x509", "-noout", "-subject", "-nameopt", "compat"],
            input=issued.cert_pem,
            capture_output=True,
            check=True,
        )
        .stdout.split(b"=", 1)[1]
        .strip()
    )
    assert normalize_dn(legacy.decode("ascii")) == issued.cert.subject.rfc4514_string()
