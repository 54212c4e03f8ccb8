"""Hostile clients: slow, silent, oversized or garbage. The server answers or closes in bounded
time, and a well-behaved client is served meanwhile."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.devserver.server import (
    Limits,
    MTLSServer,
    RequestHeadTooLarge,
    read_request_head,
    serve,
)
from mtlsguard.devserver.tls import ServerTLS
from tests.budget import secondary
from tests.devserver.conftest import FAST_LIMITS, TIMEOUT, RecordingApp, https_request, wait_for

pytestmark = pytest.mark.integration


@contextmanager
def tls_connection(server: MTLSServer, context: ssl.SSLContext) -> Iterator[ssl.SSLSocket]:
    raw = socket.create_connection((server.host, server.port), timeout=TIMEOUT)
    conn = context.wrap_socket(raw, server_hostname=server.host)
    try:
        yield conn
    finally:
        conn.close()


def read_all(conn: socket.socket) -> bytes:
    """Everything until the server closes (bounded by the socket timeout)."""
    data = b""
    try:
        while chunk := conn.recv(65536):
            data += chunk
    except (ConnectionResetError, ssl.SSLError):
        pass
    return data


def status_of(response: bytes) -> int | None:
    if not response.startswith(b"HTTP/1."):
        return None
    return int(response.split(b" ", 2)[1])


def test_slowloris_head_is_cut_off_and_others_are_served(
    server: MTLSServer, app: RecordingApp, alice_context: ssl.SSLContext
) -> None:
    with tls_connection(server, alice_context) as slow:
        started = time.monotonic()
        slow.sendall(b"GET / HTTP/1.1\r\n")
        # Drip a header byte every 0.2 s: each recv is quick, only the total deadline helps.
        closed = False
        for byte in b"X-Slow: " + b"a" * 100:
            try:
                slow.sendall(bytes([byte]))
            except OSError:
                closed = True
                break
            if time.monotonic() - started > 0.3 and app.calls == 0:
                # A well-behaved client is served while the slow one is still connected.
                assert https_request(server, alice_context)[0] == 200
            time.sleep(0.2)
            if time.monotonic() - started > FAST_LIMITS.header_timeout + 2:
                break
        if not closed:
            slow.settimeout(TIMEOUT)
            assert read_all(slow) == b""  # closed without a response
        assert time.monotonic() - started < FAST_LIMITS.header_timeout + 2.5
    assert app.calls == 1


def test_silent_tcp_client_does_not_block_accept(
    server: MTLSServer, app: RecordingApp, alice_context: ssl.SSLContext
) -> None:
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as silent:
        started = time.monotonic()
        assert https_request(server, alice_context)[0] == 200
        assert time.monotonic() - started < FAST_LIMITS.handshake_timeout
        # ... and the silent one is dropped once the handshake deadline passes.
        assert silent.recv(1) == b""
        assert time.monotonic() - started < FAST_LIMITS.handshake_timeout + 2
    assert wait_for(lambda: server.refused_handshakes == 1)


@pytest.mark.parametrize(
    "garbage",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",  # plain HTTP to the TLS port
        b"\x16\x03\x01\x00\x05hello",  # a truncated TLS record
        bytes(range(256)) * 8,
    ],
)
def test_garbage_instead_of_tls(
    server: MTLSServer, alice_context: ssl.SSLContext, garbage: bytes
) -> None:
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as raw:
        raw.sendall(garbage)
        read_all(raw)
    assert wait_for(lambda: server.refused_handshakes == 1)
    assert https_request(server, alice_context)[0] == 200


@pytest.mark.parametrize(
    ("request_bytes", "expected"),
    [
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\n" + b"X-H: 1\r\n" * 150 + b"\r\n", 431),  # too many headers
        (b"GET / HTTP/1.1\r\n" + b"X-Hdr: " + b"b" * 1000 + b"\r\n" * 1 + b"\r\n", 200),
        (b"\x00\xff garbage\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\n\r\n", 505),
        (b"GET /\r\n\r\n", 400),  # HTTP/0.9
        (b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", 413),
    ],
)
def test_oversized_or_malformed_requests_get_a_4xx(
    server: MTLSServer,
    app: RecordingApp,
    alice_context: ssl.SSLContext,
    request_bytes: bytes,
    expected: int,
) -> None:
    with tls_connection(server, alice_context) as conn:
        # The server may answer and close before it has read everything.
        with contextlib.suppress(OSError):
            conn.sendall(request_bytes)
        response = read_all(conn)
    assert status_of(response) == expected
    assert app.calls == (1 if expected == 200 else 0)
    assert https_request(server, alice_context)[0] == 200


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET / HTTP/1.1\r\nHost\r\n\r\n",  # header without a colon
        b"GET / HTTP/1.1\r\n Folded: x\r\n\r\n",  # obsolete line folding first
        b"GET /%ZZ%00%ff?%zz HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
        b"GET / HTTP/1.1\r\nX: \xff\xfe\x00\r\n\r\n",
        b"GET / HTTP/1.1\nHost: lf-only\n\n",
        b"GET http://evil/ HTTP/1.1\r\n\r\n",
        b"\r\n\r\nGET / HTTP/1.1\r\n\r\n",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        b"GET / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    ],
)
def test_odd_requests_never_get_a_server_error(
    server: MTLSServer, alice_context: ssl.SSLContext, request_bytes: bytes
) -> None:
    with tls_connection(server, alice_context) as conn:
        conn.sendall(request_bytes)
        response = read_all(conn)
    status = status_of(response)
    assert status is not None
    assert status < 500 or status == 505  # 505: the HTTP/2 preface, answered as it should be
    assert https_request(server, alice_context)[0] == 200


def test_a_huge_line_without_newline_is_not_buffered(
    server: MTLSServer, alice_context: ssl.SSLContext
) -> None:
    with tls_connection(server, alice_context) as conn:
        sent = 0
        try:
            while sent < 5_000_000:
                conn.sendall(b"A" * 65536)
                sent += 65536
        except OSError:
            pass  # refused long before 5 MB
        response = read_all(conn)
    assert sent < 5_000_000
    # A client still sending when the server closes may see a reset instead of the 414.
    assert status_of(response) in {414, None}
    assert https_request(server, alice_context)[0] == 200


def test_body_slower_than_its_deadline_is_cut_off(
    server: MTLSServer, app: RecordingApp, alice_context: ssl.SSLContext
) -> None:
    with tls_connection(server, alice_context) as conn:
        started = time.monotonic()
        conn.sendall(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nabc")
        response = read_all(conn)
        elapsed = time.monotonic() - started
    # The app's read() fails at the body deadline; wsgiref answers 500 and closes.
    assert status_of(response) == 500
    assert elapsed < FAST_LIMITS.body_timeout + 2
    assert https_request(server, alice_context)[0] == 200


def test_connection_cap_refuses_extra_connections_then_recovers(
    app: RecordingApp, server_tls: ServerTLS, alice_context: ssl.SSLContext
) -> None:
    limits = Limits(max_connections=2, handshake_timeout=1.0, header_timeout=1.0)
    with serve(app, tls=server_tls, limits=limits) as server:
        hogs = [socket.create_connection((server.host, server.port)) for _ in range(2)]
        try:
            assert wait_for(lambda: len(server._active) == 2)  # both in their handshake threads
            with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
                https_request(server, alice_context)
        finally:
            for hog in hogs:
                hog.close()
        assert wait_for(lambda: _served(server, alice_context))


def _served(server: MTLSServer, context: ssl.SSLContext) -> bool:
    try:
        return https_request(server, context)[0] == 200
    except OSError:
        return False


def test_shutdown_does_not_wait_for_stuck_clients(
    app: RecordingApp, server_tls: ServerTLS, alice_context: ssl.SSLContext
) -> None:
    limits = Limits(handshake_timeout=30, header_timeout=30)
    server = serve(app, tls=server_tls, limits=limits)
    silent = socket.create_connection((server.host, server.port))
    with tls_connection(server, alice_context) as half:
        half.sendall(b"GET / HTTP/1.1\r\n")
        time.sleep(0.2)
        started = time.monotonic()
        server.shutdown()
        assert time.monotonic() - started < 5
    silent.close()


SMALL = Limits(max_request_line=64, max_header_bytes=256, header_timeout=5.0)
BLANK = (b"\r\n", b"\n")


def expected_head(data: bytes, limits: Limits) -> bytes | int | None:
    """Reference model of read_request_head: the head, a 414/431 status, or None (EOF)."""
    head, pos, blanks, first = b"", 0, 0, True
    while True:
        newline = data.find(b"\n", pos)
        line = data[pos:] if newline < 0 else data[pos : newline + 1]
        pos = len(data) if newline < 0 else newline + 1
        budget = limits.max_request_line if first else limits.max_header_bytes - len(head)
        if len(line) > budget:
            return 414 if first else 431
        if newline < 0:
            return None
        if first and line in BLANK:
            blanks += 1
            if blanks > 4:
                return None
            continue
        head += line
        if not first and line in BLANK:
            return head
        first = False


def read_head_from(data: bytes, limits: Limits) -> bytes | int | None:
    """Run the server's head reader on ``data`` arriving over a real socket, then EOF."""
    server_end, client_end = socket.socketpair()
    with server_end, client_end:
        client_end.sendall(data)
        client_end.shutdown(socket.SHUT_WR)
        with server_end.makefile("rb") as rfile:
            try:
                return read_request_head(rfile, server_end, limits)
            except RequestHeadTooLarge as exc:
                return exc.status


PIECES = st.sampled_from(
    [b"\r\n", b"\n", b"\r", b"GET / HTTP/1.1", b"Host: a", b"X: " + b"y" * 40, b"\x00", b":"]
)


@pytest.mark.timeout(900)  # 1,000 examples (tests/budget.py) with CI=true: well under 2 min
@secondary()
@given(data=st.one_of(st.binary(max_size=600), st.lists(PIECES, max_size=40).map(b"".join)))
def test_request_head_reader_matches_its_model(data: bytes) -> None:
    assert read_head_from(data, SMALL) == expected_head(data, SMALL)


def test_request_head_reader_examples() -> None:
    ok = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
    assert read_head_from(ok + b"body", SMALL) == ok
    assert read_head_from(b"\r\n\r\n" + ok, SMALL) == ok  # leading blank lines skipped
    assert read_head_from(b"\r\n" * 5 + ok, SMALL) is None
    assert read_head_from(b"GET / HTTP/1.1\r\nHost: a\r\n", SMALL) is None  # no blank line
    assert read_head_from(b"G" * 65 + b"\r\n\r\n", SMALL) == 414
    assert read_head_from(b"G" * 62 + b"\r\n", SMALL) is None  # exactly 64 bytes is fine
    assert read_head_from(b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 60, SMALL) == 431


def test_request_head_deadline_is_total_not_per_read() -> None:
    limits = Limits(header_timeout=0.5)
    server_end, client_end = socket.socketpair()
    with server_end, client_end, server_end.makefile("rb") as rfile:
        stop = threading.Event()

        def drip() -> None:
            for byte in b"GET / HTTP/1.1\r\nX: " + b"a" * 100:
                if stop.wait(0.05):
                    return
                try:
                    client_end.sendall(bytes([byte]))
                except OSError:
                    return

        writer = threading.Thread(target=drip)
        writer.start()
        started = time.monotonic()
        try:
            with pytest.raises(TimeoutError):
                read_request_head(rfile, server_end, limits)
            assert time.monotonic() - started < 1.5
        finally:
            stop.set()
            writer.join()
