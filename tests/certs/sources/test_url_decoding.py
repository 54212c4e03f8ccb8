"""The fast paths of url_decoded() must equal urllib.parse.unquote on every input."""

from __future__ import annotations

import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.certs.model import CertificateError
from mtlsguard.certs.sources._decoding import _qp_url_decoded, url_decoded
from mtlsguard.devserver.pki import TestPKI

_PIECES = st.sampled_from(
    ["%0A", "%0a", "%20", "%2B", "%2b", "%2F", "%3D", "%25", "%", "%2", "%C3%A9", "%FF", "A", "+"]
)
# What could make binascii.a2b_qp (the fastest path) differ from unquote: "=" (its escape
# character), soft line breaks, "_", non-ASCII text, escapes cut short or with bad hex digits.
_QP_PIECES = st.sampled_from(
    [
        *("=", "==", "=0A", "=\n", "\n", "\r", "\r\n", "%\n", "%\r", "%=", "%%", "%0", "%G1"),
        *("%1G", "%3d", "%e9", "%E9", "%C3", "%A9", "_", "é", "\x00", "%00", "%7F", "%80"),
    ]
)
_PERCENT_HEAVY = st.lists(st.one_of(_PIECES, _QP_PIECES, st.text(max_size=3)), max_size=40).map(
    "".join
)
_ESCAPE_ALPHABET = st.text(alphabet="%=0123456789abcdefABCDEFG\n\r_ ", max_size=40)


def _assert_like_unquote(value: str) -> None:
    try:
        expected = urllib.parse.unquote(value, errors="strict")
    except UnicodeDecodeError:
        with pytest.raises(CertificateError) as exc:
            url_decoded(value, "header")
        assert exc.value.reason == "malformed"
    else:
        assert url_decoded(value, "header") == expected


@given(st.lists(st.one_of(_PIECES, st.text(max_size=5)), max_size=30).map("".join))
def test_url_decoded_equals_unquote(value: str) -> None:
    _assert_like_unquote(value)


@given(st.one_of(_PERCENT_HEAVY, _ESCAPE_ALPHABET))
def test_url_decoded_equals_unquote_on_percent_heavy_text(value: str) -> None:
    _assert_like_unquote(value)


@given(st.one_of(_PERCENT_HEAVY, _ESCAPE_ALPHABET, st.text()))
def test_quoted_printable_path_answers_only_like_unquote(value: str) -> None:
    decoded = _qp_url_decoded(value)
    if decoded is not None:
        assert decoded == urllib.parse.unquote(value, errors="strict")


def test_escaped_percent_is_decoded_once() -> None:
    # "%252B" is an escaped "%2B", which must stay "%2B" (not become "+").
    assert url_decoded("a%252Bb", "header") == "a%2Bb"
    assert url_decoded("a%2Bb%0A", "header") == "a+b\n"


def test_an_nginx_escaped_pem_takes_the_quoted_printable_path(pki: TestPKI) -> None:
    pem = pki.client.chain_pem.decode()  # leaf + intermediate
    escaped = urllib.parse.quote(pem, safe="")  # nginx's $ssl_client_escaped_cert escaping
    assert _qp_url_decoded(escaped) == pem
    assert _qp_url_decoded("%2b%2F%0a") == "+/\n"
    assert _qp_url_decoded("a%2") is None
    assert _qp_url_decoded("a=b%20") is None
