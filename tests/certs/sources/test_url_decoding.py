"""The fast path of url_decoded() must equal urllib.parse.unquote on every input."""

from __future__ import annotations

import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.certs.model import CertificateError
from mtlsguard.certs.sources._common import url_decoded

_PIECES = st.sampled_from(
    ["%0A", "%0a", "%20", "%2B", "%2b", "%2F", "%3D", "%25", "%", "%2", "%C3%A9", "%FF", "A", "+"]
)


@given(st.lists(st.one_of(_PIECES, st.text(max_size=5)), max_size=30).map("".join))
def test_url_decoded_equals_unquote(value: str) -> None:
    try:
        expected = urllib.parse.unquote(value, errors="strict")
    except UnicodeDecodeError:
        with pytest.raises(CertificateError) as exc:
            url_decoded(value, "header")
        assert exc.value.reason == "malformed"
    else:
        assert url_decoded(value, "header") == expected


def test_escaped_percent_is_decoded_once() -> None:
    # "%252B" is an escaped "%2B", which must stay "%2B" (not become "+").
    assert url_decoded("a%252Bb", "header") == "a%2Bb"
    assert url_decoded("a%2Bb%0A", "header") == "a+b\n"
