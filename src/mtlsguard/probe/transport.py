"""The probe's HTTP/1.1 transport for httpx: asyncio streams and h11, with a keep-alive pool.

httpx's default transport (httpcore over anyio) spent about 2-4 ms of CPU per request on the
2-core benchmark machine, ten times a bare asyncio TLS exchange: its pool re-checks every
connection's readability through anyio's typed attributes several times per request. The
probe sends one identity's requests over one SSL context to one origin, so the pool it needs
is small: idle connections per origin, reused while the server keeps them open. httpx stays
the client (request building, header and cookie handling, decoding, redirect parsing); only
the wire moves here.

Errors are httpx's (``ConnectError``, ``ReadTimeout``, ``RemoteProtocolError`` ...), chained
to the underlying :class:`ssl.SSLError` or :class:`OSError`, so callers classify them as
before. A request is never retried here: ``max_requests`` counts what reaches the wire.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from http.cookiejar import Cookie, CookieJar
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

import h11
import httpx

if TYPE_CHECKING:
    import urllib.request
    from http.client import HTTPResponse

__all__ = ["DiscardingCookieJar", "PooledTransport"]

_READ_SIZE: Final = 64 << 10
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


class DiscardingCookieJar(CookieJar):
    """A cookie jar that never stores a cookie.

    A session cookie set for one caller (credentials, forged headers) must never ride along on
    another caller's requests. Refusing every cookie through a policy still parsed each
    response's headers into an ``email.message`` first (a tenth of the CPU per request).
    """

    def extract_cookies(self, response: HTTPResponse, request: urllib.request.Request) -> None:
        """Ignore the response's cookies."""

    def set_cookie(self, cookie: Cookie) -> None:
        """Ignore the cookie."""


def _timeout(request: httpx.Request, kind: str) -> float | None:
    value = request.extensions.get("timeout", {}).get(kind)
    return None if value is None else float(value)


class _Connection:
    """One HTTP/1.1 connection: a stream pair and its h11 state machine."""

    __slots__ = ("idle_since", "protocol", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.protocol = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0

    def usable(self, now: float, expiry: float) -> bool:
        """Idle, not expired, and not closed (or closing) by the server meanwhile."""
        return (
            now - self.idle_since <= expiry
            and not self.writer.transport.is_closing()
            and not self.reader.at_eof()
        )

    async def send(self, request: httpx.Request) -> None:
        target = request.url.raw_path
        data = [
            self.protocol.send(
                h11.Request(method=request.method, target=target, headers=request.headers.raw)
            )
        ]
        assert isinstance(request.stream, httpx.AsyncByteStream)
        async for chunk in request.stream:
            if chunk:
                data.append(self.protocol.send(h11.Data(data=chunk)))
        data.append(self.protocol.send(h11.EndOfMessage()))
        self.writer.write(b"".join(d for d in data if d))
        try:
            async with asyncio.timeout(_timeout(request, "write")):
                await self.writer.drain()
        except TimeoutError as exc:
            raise httpx.WriteTimeout("timed out sending the request", request=request) from exc
        except OSError as exc:  # ssl.SSLError included
            raise httpx.WriteError(str(exc) or type(exc).__name__, request=request) from exc

    async def next_event(self, request: httpx.Request) -> Any:
        """The next h11 event of the response, reading from the socket as needed."""
        while True:
            try:
                event = self.protocol.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc), request=request) from exc
            if event is not h11.NEED_DATA:
                if isinstance(event, h11.ConnectionClosed):
                    raise httpx.RemoteProtocolError(
                        "Server disconnected without sending a complete response.",
                        request=request,
                    )
                return event
            try:
                async with asyncio.timeout(_timeout(request, "read")):
                    data = await self.reader.read(_READ_SIZE)
            except TimeoutError as exc:
                raise httpx.ReadTimeout("timed out reading the response", request=request) from exc
            except OSError as exc:  # ssl.SSLError included: a TLS alert arrives here
                raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc
            try:
                self.protocol.receive_data(data)
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc), request=request) from exc

    def reusable(self) -> bool:
        """The exchange is complete on both sides and neither asked to close."""
        return self.protocol.our_state is h11.DONE and self.protocol.their_state is h11.DONE

    def close(self) -> None:
        self.writer.close()


class _Body(httpx.AsyncByteStream):
    """A response body read from its connection; the connection goes back when all was read."""

    def __init__(
        self,
        pool: PooledTransport,
        origin: Origin,
        connection: _Connection,
        request: httpx.Request,
    ) -> None:
        self._pool = pool
        self._origin = origin
        self._connection: _Connection | None = connection
        self._request = request
        self._complete = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection, request = self._connection, self._request
        if connection is None:
            return
        while True:
            event = await connection.next_event(request)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self._complete = True
                return

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if self._complete and connection.reusable():
            connection.protocol.start_next_cycle()
            self._pool.release(self._origin, connection)
        else:  # a body left unread (too large, timed out) or a closing server: never reuse
            connection.close()


class PooledTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over asyncio streams, keeping up to ``max_idle`` connections per origin.

    ``ssl_context`` carries the identity's client certificate: one transport per identity.
    """

    def __init__(
        self, ssl_context: ssl.SSLContext, *, max_idle: int, keepalive_expiry: float = 5.0
    ) -> None:
        self._ssl = ssl_context
        self._max_idle = max(1, max_idle)
        self._expiry = keepalive_expiry
        self._idle: dict[Origin, list[_Connection]] = {}
        self._closed = False

    async def __aenter__(self) -> PooledTransport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> None:
        await self.aclose()

    def _checkout(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if connection.usable(now, self._expiry):
                return connection
            connection.close()
        return None

    def release(self, origin: Origin, connection: _Connection) -> None:
        """Put a connection whose exchange completed back into the pool (or close it)."""
        idle = self._idle.setdefault(origin, [])
        if self._closed or len(idle) >= self._max_idle:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        idle.append(connection)

    async def _connect(self, origin: Origin, request: httpx.Request) -> _Connection:
        scheme, host, port = origin
        tls = self._ssl if scheme == "https" else None
        try:
            async with asyncio.timeout(_timeout(request, "connect")):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=tls, server_hostname=host if tls else None, limit=_READ_SIZE
                )
        except TimeoutError as exc:
            raise httpx.ConnectTimeout("timed out connecting", request=request) from exc
        except OSError as exc:  # ssl.SSLError (certificate verification ...) included
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        return _Connection(reader, writer)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on an idle or new connection; the body streams from the socket."""
        url = request.url
        scheme = url.scheme
        if scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported scheme {scheme!r}", request=request)
        origin: Origin = (scheme, url.host, url.port or _DEFAULT_PORTS[scheme])
        connection = self._checkout(origin) or await self._connect(origin, request)
        try:
            await connection.send(request)
            event = await connection.next_event(request)
            while isinstance(event, h11.InformationalResponse):
                event = await connection.next_event(request)
        except BaseException:
            connection.close()
            raise
        if not isinstance(event, h11.Response):  # h11 yields nothing else here
            connection.close()
            raise httpx.RemoteProtocolError(f"unexpected {type(event).__name__}", request=request)
        return httpx.Response(
            event.status_code,
            headers=event.headers.raw_items(),
            stream=_Body(self, origin, connection, request),
            extensions={
                "http_version": b"HTTP/" + event.http_version,
                "reason_phrase": event.reason,
            },
        )

    async def aclose(self) -> None:
        """Close every idle connection (connections in use close with their response)."""
        self._closed = True
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()
