"""Reading one request off a socket a hostile client controls: head and body, both bounded.

:func:`read_request_head` reads the request line and headers with a total deadline and size
limits (:class:`Limits`); :class:`BodyReader` is the ``wsgi.input`` that reads at most the
announced body before a deadline. Used by :mod:`mtlsguard.devserver.server`.
"""

from __future__ import annotations

import contextlib
import io
import socket
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["BodyReader", "Limits", "RequestHeadTooLarge", "read_request_head"]


@dataclass(frozen=True)
class Limits:
    """Bounds that keep one slow or hostile client from wedging the server."""

    handshake_timeout: float = 10.0
    """Seconds for the whole TLS handshake."""
    header_timeout: float = 10.0
    """Seconds from the end of the handshake until the request head has fully arrived."""
    body_timeout: float = 60.0
    """Seconds for the whole request body, however the application reads it."""
    io_timeout: float = 30.0
    """Seconds any single send of the response may block."""
    max_request_line: int = 8 * 1024
    """Longest request line (method, target, version); longer gets 414."""
    max_header_bytes: int = 64 * 1024
    """Largest request head (request line and headers); larger gets 431."""
    max_body_bytes: int = 16 * 1024 * 1024
    """Largest ``Content-Length`` accepted; larger gets 413 before any body is read."""
    max_connections: int = 64
    """Connections handled at once; more are closed at once (and logged)."""


class RequestHeadTooLarge(Exception):
    """The request line or head exceeds :class:`Limits`; ``status`` is 414 or 431."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _read_line(
    rfile: io.BufferedReader, sock: socket.socket, deadline: float, budget: int
) -> bytes:
    """One line (with its newline) or what arrived before EOF, before ``deadline``.

    Each wait on the socket is bounded by the time left, and ``peek`` does at most one
    ``recv``, so a client dripping a byte at a time still runs into the deadline.

    :raises TimeoutError: when the deadline passes.
    :raises RequestHeadTooLarge: when the line would exceed ``budget`` bytes.
    """
    line = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("request head deadline passed")
        sock.settimeout(remaining)
        data = rfile.peek(1)
        if not data:
            return bytes(line)
        newline = data.find(b"\n")
        take = len(data) if newline < 0 else newline + 1
        if len(line) + take > budget:
            raise RequestHeadTooLarge(0)
        line += rfile.read(take)
        if newline >= 0:
            return bytes(line)


def read_request_head(
    rfile: io.BufferedReader, sock: socket.socket, limits: Limits
) -> bytes | None:
    """Read the request line and headers, up to the blank line that ends them.

    Up to four empty lines before the request line are skipped (RFC 9112, 2.2). The whole
    head must arrive within ``limits.header_timeout``.

    :returns: the head, or ``None`` when the client closed before completing it.
    :raises RequestHeadTooLarge: 414 for a request line over ``limits.max_request_line``,
        431 for a head over ``limits.max_header_bytes``.
    :raises TimeoutError: when the deadline passes.
    """
    deadline = time.monotonic() + limits.header_timeout
    head = bytearray()
    blank_lines = 0
    request_line = True
    while True:
        budget = limits.max_request_line if request_line else limits.max_header_bytes - len(head)
        try:
            line = _read_line(rfile, sock, deadline, budget)
        except RequestHeadTooLarge:
            raise RequestHeadTooLarge(414 if request_line else 431) from None
        if not line.endswith(b"\n"):
            return None  # EOF before the head was complete
        if request_line and line in (b"\r\n", b"\n"):
            blank_lines += 1
            if blank_lines > 4:
                return None
            continue
        head += line
        if len(head) > limits.max_header_bytes:
            raise RequestHeadTooLarge(431)
        if not request_line and line in (b"\r\n", b"\n"):
            return bytes(head)
        request_line = False


class BodyReader(io.RawIOBase):
    """``wsgi.input``: at most ``length`` bytes of body, all of them before ``deadline``."""

    def __init__(
        self,
        rfile: io.BufferedReader,
        sock: socket.socket,
        length: int,
        deadline: float,
        io_timeout: float,
    ) -> None:
        super().__init__()
        self._rfile, self._sock, self._left = rfile, sock, length
        self._deadline, self._io_timeout = deadline, io_timeout

    def readable(self) -> bool:
        """Always: this is an input stream."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read what arrives next into ``buffer``, within the length and the deadline.

        :raises TimeoutError: when the body deadline passes.
        """
        view = memoryview(buffer).cast("B")
        if self._left <= 0 or not len(view):
            return 0
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("request body deadline passed")
        self._sock.settimeout(remaining)
        try:
            data = self._rfile.read1(min(len(view), self._left))
        finally:
            self._sock.settimeout(self._io_timeout)  # what the response's sends expect
        view[: len(data)] = data
        self._left -= len(data)
        if not data:
            self._left = 0  # the client closed early; the application sees a short body
        return len(data)

    def drain(self) -> None:
        """Read and drop what the application left unread (bounded by length and deadline).

        Closing a socket with unread input makes the kernel send a reset, which can destroy
        the response before the client has read it.
        """
        scratch = bytearray(65536)
        with contextlib.suppress(OSError):
            while self.readinto(scratch):
                pass
