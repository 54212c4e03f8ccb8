"""How a transport failure is worded in the report."""

from __future__ import annotations

import httpx

from mtlsguard.probe.exchange import classify_failure, readable_bytes


def test_h11s_bytearray_repr_becomes_readable_text() -> None:
    """Before: ``HTTP protocol error: illegal status line: bytearray(b'HTTP/1.1 2\\x00')``."""
    error = httpx.RemoteProtocolError("illegal status line: bytearray(b'HTTP/1.1 2\\x00 OK')")
    kind, message = classify_failure(error)
    assert kind == "protocol"
    assert message == "HTTP protocol error: illegal status line: 'HTTP/1.1 2\\x00 OK'"
    assert "bytearray" not in message
    assert readable_bytes('no bytes here: b"x"') == 'no bytes here: b"x"'
