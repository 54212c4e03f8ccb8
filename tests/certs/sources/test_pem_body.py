"""The fast path of a PEM body's decoding must agree with the general one on every input."""

from __future__ import annotations

import base64
import binascii
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.certs.model import CertificateError
from mtlsguard.certs.sources._decoding import _pem_body_der

_BODY = re.compile(r"[A-Za-z0-9+/=\s]*")  # what the general path accepts before decoding


def general(body: str) -> bytes | str:
    """The decoding before the fast path existed: its bytes, or which error it raised."""
    if not _BODY.fullmatch(body):
        return "malformed"
    try:
        return base64.b64decode("".join(body.split()), validate=True)
    except binascii.Error:
        return "binascii"


def fast(body: str) -> bytes | str:
    try:
        return _pem_body_der(body, "header")
    except CertificateError as exc:
        return exc.reason
    except binascii.Error:
        return "binascii"


_PIECES = st.sampled_from(
    ["QUJD", "QUI=", "QQ==", "=", "==", "===", "\n", "\r\n", "\t", " ", "\u2003", "\x1c", "é", "!"]
)


@given(st.lists(st.one_of(_PIECES, st.text(max_size=4)), max_size=40).map("".join))
def test_fast_path_equals_the_general_path(body: str) -> None:
    assert fast(body) == general(body)


@given(st.binary(max_size=300), st.sampled_from(["\n", "\r\n", "\t", " "]))
def test_wrapped_bodies_decode(der: bytes, newline: str) -> None:
    encoded = base64.b64encode(der).decode()
    body = newline + newline.join(encoded[i : i + 64] for i in range(0, len(encoded), 64)) + newline
    assert fast(body) == general(body) == der


@pytest.mark.parametrize("body", ["\nQUJD\n!", "\nQUJ\n", "\nQU\nJ=D\n", "\n=QUJD\n"])
def test_bad_bodies_fail_alike(body: str) -> None:
    assert fast(body) == general(body)
    assert isinstance(fast(body), str)
