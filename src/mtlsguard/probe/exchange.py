"""One request the probe sent and what came back (or why nothing did); how failures are named."""

from __future__ import annotations

import ast
import json
import re
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

__all__ = ["Exchange", "FailureKind", "classify_failure", "readable_bytes"]

FailureKind = str
"""``tls``, ``timeout``, ``connection``, ``protocol``, ``redirects``, ``budget``, ``deadline``."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and what came back (or why nothing did)."""

    identity: str
    """Label of the identity that sent it (``A``, ``B``, ``anonymous``)."""
    method: str
    """Upper-case method."""
    url: str
    """Absolute URL of the last request (after same-host redirects)."""
    request_headers: tuple[tuple[str, str], ...] = ()
    """Headers the probe added (not redacted: redact before showing them)."""
    status: int | None = None
    """HTTP status, ``None`` when no response arrived."""
    reason: str = ""
    """Reason phrase."""
    response_headers: tuple[tuple[str, str], ...] = ()
    """Response headers as received."""
    body: bytes = b""
    """Response body, at most ``max_body`` bytes."""
    truncated: bool = False
    """The body was longer than ``max_body`` and the rest was not read."""
    failure: str | None = None
    """Why there is no (usable) response."""
    failure_kind: FailureKind | None = None
    """Machine-readable class of :attr:`failure`."""
    note: str = ""
    """What the client did on the way (a redirect it refused to follow, a Retry-After wait)."""
    requested_url: str | None = None
    """The URL first requested, when same-host redirects led to :attr:`url`."""
    elapsed: float = 0.0
    """Seconds from the first byte sent to the last byte read."""

    @property
    def ok(self) -> bool:
        """A 2xx response arrived."""
        return self.status is not None and 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        """A response header, case-insensitively."""
        lowered = name.lower()
        for key, value in self.response_headers:
            if key.lower() == lowered:
                return value
        return None

    def json(self) -> object | None:
        """The body as JSON, or ``None`` when it is not JSON (or was truncated)."""
        if self.truncated or not self.body:
            return None
        try:
            data: object = json.loads(self.body)
        except (ValueError, RecursionError):
            return None
        return data

    @property
    def has_data(self) -> bool:
        """A 2xx whose body carries content (a non-empty JSON value or non-blank text).

        A 2xx reached through a redirect to another path (a login page, a landing page) is
        not the requested endpoint's data; a redirect that only adds the trailing slash is.
        """
        if not self.ok or not self.body.strip():
            return False
        if self.requested_url is not None:
            before = urlsplit(self.requested_url).path.rstrip("/")
            if urlsplit(self.url).path.rstrip("/") != before:
                return False
        data = self.json()
        if data is None:
            return True
        return data not in ({}, [], "", None)


def classify_failure(exc: BaseException) -> tuple[FailureKind, str]:
    """The :data:`FailureKind` of an exception raised while sending, and a message for the report.

    A TLS alert may arrive wrapped in httpx's and asyncio's own errors: the cause chain is
    searched for the :class:`ssl.SSLError` first.
    """
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return "timeout", f"timed out ({type(exc).__name__})"
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLError) and not isinstance(
            cause, ssl.SSLWantReadError | ssl.SSLWantWriteError
        ):
            detail = getattr(cause, "verify_message", None) or cause.reason or str(cause)
            return "tls", f"TLS failure: {detail}"
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.RemoteProtocolError | httpx.LocalProtocolError | httpx.DecodingError):
        return "protocol", f"HTTP protocol error: {readable_bytes(str(exc)) or type(exc).__name__}"
    if isinstance(exc, httpx.TransportError | OSError):
        return "connection", f"connection failed: {str(exc) or type(exc).__name__}"
    return "protocol", f"{type(exc).__name__}: {exc}"


_BYTES_REPR = re.compile(
    r"""bytearray\((b(?:'[^'\\]*(?:\\.[^'\\]*)*'|"[^"\\]*(?:\\.[^"\\]*)*"))\)"""
)


def readable_bytes(message: str) -> str:
    """``message`` with h11's ``bytearray(b'...')`` reprs shown as quoted text.

    h11 words a malformed answer as ``illegal status line: bytearray(b'HTTP/1.1 ...')``; the
    report shows what the server sent (``'HTTP/1.1 ...'``, unprintable bytes escaped), not
    Python's types around it.
    """

    def text(match: re.Match[str]) -> str:
        try:
            data = ast.literal_eval(match.group(1))
        except (SyntaxError, ValueError):
            return match.group(0)
        return repr(bytes(data).decode("latin-1"))

    return _BYTES_REPR.sub(text, message)
