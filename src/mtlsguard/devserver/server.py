"""The embedded mTLS dev server: a threaded WSGI server that requires a client certificate.

It serves any WSGI application (a Django project included) over TLS 1.2+ with
``CERT_REQUIRED`` against a CA (and a CRL when given), and hands the verified certificate to
the application through the WSGI environ exactly like Apache mod_ssl
(:mod:`mtlsguard.devserver.environ`), never through headers. So
``mtlsguard.certs.extract("wsgi-ssl", environ=environ)`` behaves locally as behind a proxy.

Built on :mod:`wsgiref` and :mod:`socketserver`, with what they lack for a server a hostile
client can reach: the TLS handshake runs in the connection's thread with a deadline (a client
that never speaks cannot block ``accept``), the request head has a total deadline and size
limit, the body a size limit and deadline, concurrent connections are capped, and header names
containing ``_`` are dropped (``X_SSL_CLIENT_CERT`` would otherwise become the same environ key
as ``X-SSL-Client-Cert``). One request per connection (``Connection: close``). The bounded
reading of the request lives in :mod:`mtlsguard.devserver.request_io`.
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import socketserver
import ssl
import sys
import threading
import time
from types import TracebackType
from typing import Any, Final
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer
from wsgiref.types import WSGIApplication

from mtlsguard.devserver.environ import ChainMemory, tls_environ
from mtlsguard.devserver.request_io import (
    BodyReader,
    Limits,
    RequestHeadTooLarge,
    read_request_head,
)
from mtlsguard.devserver.tls import ServerTLS, TLSConfigError

__all__ = ["Limits", "MTLSServer", "RequestHeadTooLarge", "read_request_head", "serve"]

logger = logging.getLogger("mtlsguard.devserver")

SERVER_SOFTWARE: Final = "mtlsguard-devserver"


class _ServerHandler(ServerHandler):
    """wsgiref's handler without the process environment, with ``Connection: close``."""

    # wsgiref copies os.environ into every request by default: a stray SSL_CLIENT_CERT
    # in the server's own environment would then look like a verified client certificate.
    os_environ: dict[str, str] = {}  # noqa: RUF012 - wsgiref's own class attribute
    http_version = "1.1"
    server_software = SERVER_SOFTWARE

    def cleanup_headers(self) -> None:
        super().cleanup_headers()
        headers = getattr(self, "headers", None)  # set by start_response
        if headers is not None:
            headers["Connection"] = "close"

    def log_exception(self, exc_info: Any) -> None:
        logger.error("the application raised an exception", exc_info=exc_info)


class _MTLSRequestHandler(WSGIRequestHandler):
    """Reads one bounded request from a verified TLS connection and runs the application."""

    server: MTLSServer
    connection: ssl.SSLSocket
    rfile: io.BufferedReader
    server_version = SERVER_SOFTWARE

    def handle(self) -> None:
        limits = self.server.limits
        try:
            head = read_request_head(self.rfile, self.connection, limits)
        except RequestHeadTooLarge as exc:
            # What BaseHTTPRequestHandler sets before its own 414, so send_error can log.
            self.requestline, self.request_version, self.command = "", "HTTP/1.0", ""
            self.send_error(exc.status)
            return
        except (TimeoutError, OSError) as exc:
            logger.info("%s: request head not received: %s", self.client_address[0], exc)
            return
        if head is None:
            return
        real_rfile, self.rfile = self.rfile, io.BufferedReader(io.BytesIO(head))
        try:
            self.raw_requestline = self.rfile.readline()
            if not self.parse_request():
                return
        finally:
            self.rfile = real_rfile
        if self.request_version not in ("HTTP/1.0", "HTTP/1.1"):
            self.send_error(400, "HTTP/1.0 or HTTP/1.1 required")
            return
        length = self._content_length(limits)
        if length is None:
            return
        if (
            self.request_version == "HTTP/1.1"
            and self.headers.get("Expect", "").lower() == "100-continue"
        ):
            # The body is acceptable (checked above): tell the client to send it now rather
            # than after its own timeout.
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.connection.settimeout(limits.io_timeout)
        environ = self.get_environ()
        body = BodyReader(
            self.rfile,
            self.connection,
            length,
            time.monotonic() + limits.body_timeout,
            limits.io_timeout,
        )
        handler = _ServerHandler(
            io.BufferedReader(body),
            self.wfile,  # type: ignore[arg-type]
            sys.stderr,
            environ,
            multithread=True,
        )
        handler.request_handler = self  # type: ignore[attr-defined]  # wsgiref logs through it
        handler.run(self.server.get_app())  # type: ignore[arg-type]
        body.drain()

    def _content_length(self, limits: Limits) -> int | None:
        """The body length to read, or ``None`` after answering an unacceptable request."""
        if self.headers.get_all("Transfer-Encoding"):
            # wsgiref and Django read bodies by Content-Length only; guessing would let a
            # client smuggle a second request in the body.
            self.send_error(411, "Transfer-Encoding is not supported; send Content-Length")
            return None
        values = {value.strip() for value in self.headers.get_all("Content-Length") or []}
        if not values:
            return 0
        value = values.pop()
        if values or not value.isdigit() or not value.isascii():
            self.send_error(400, "invalid Content-Length")
            return None
        length = int(value)
        if length > limits.max_body_bytes:
            self.send_error(413, f"request bodies are limited to {limits.max_body_bytes} bytes")
            return None
        return length

    def get_environ(self) -> dict[str, str]:
        """The CGI environ of wsgiref without ``_`` header names, plus the mod_ssl variables."""
        for name in {key for key in self.headers if "_" in key}:
            del self.headers[name]
        environ: dict[str, str] = super().get_environ()
        environ.update(tls_environ(self.connection, self.server.chains))
        return environ

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer an error, always with a status line (never HTTP/0.9's bare body)."""
        if getattr(self, "request_version", "HTTP/0.9") not in ("HTTP/1.0", "HTTP/1.1"):
            self.request_version = "HTTP/1.0"
        super().send_error(code, message, explain)

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s %s", self.address_string(), format % args)


class MTLSServer(socketserver.ThreadingMixIn, WSGIServer):
    """A threaded WSGI server over mutual TLS; build it with :func:`serve`.

    Usable as a context manager: leaving the block calls :meth:`shutdown`.
    """

    daemon_threads = False
    block_on_close = True  # server_close() joins the connection threads
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        app: WSGIApplication,
        *,
        tls: ServerTLS,
        limits: Limits | None = None,
    ) -> None:
        """Bind and listen on ``address``; call :meth:`start` or :meth:`serve_forever` next.

        :raises TLSConfigError: if the TLS files are unusable (checked before binding).
        :raises OSError: if the address cannot be bound.
        """
        self.tls = tls
        """Where the certificate, CA and CRL come from (re-read when the files change)."""
        self.limits = limits or Limits()
        """The bounds applied to every connection."""
        self.refused_handshakes = 0
        """TLS handshakes refused so far (no, untrusted, expired or revoked certificate...)."""
        tls.context()  # fail before binding if the files are unusable
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.chains = ChainMemory()
        """Verified chains by leaf, for ``SSL_CLIENT_CERT_CHAIN_n`` on resumed sessions."""
        self._slots = threading.BoundedSemaphore(self.limits.max_connections)
        self._active: dict[int, socket.socket] = {}
        self._active_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        super().__init__(address, _MTLSRequestHandler)
        self.set_app(app)

    # --- public ------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """The address the server listens on."""
        return str(self.server_address[0])

    @property
    def port(self) -> int:
        """The port the server listens on (the real one when asked for port 0)."""
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        """``https://HOST:PORT/``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}/"

    def start(self) -> MTLSServer:
        """Serve in a background thread and return at once."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"mtlsguard-devserver:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def shutdown(self) -> None:
        """Stop accepting, cut open connections, wait for their threads, close the socket."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            super().shutdown()
            self._thread.join()
        with self._active_lock:
            active = list(self._active.values())
        for sock in active:
            # socket.socket's shutdown, not SSLSocket's, which would drop the TLS object under
            # the thread still using it.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
        self.server_close()

    def __enter__(self) -> MTLSServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()

    # --- socketserver hooks ------------------------------------------------------------

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the address."""
        socketserver.TCPServer.server_bind(self)
        self.server_name = self.host
        self.server_port = self.port
        self.setup_environ()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Hand the connection to a thread, or close it when every slot is busy."""
        if not self._slots.acquire(blocking=False):
            logger.warning(
                "%s: refused, %d connections already open",
                client_address[0],
                self.limits.max_connections,
            )
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        """Run the connection, then free its slot."""
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def finish_request(self, request: Any, client_address: Any) -> None:
        """TLS handshake (bounded), then one request."""
        key = id(request)
        self._track(key, request)
        try:
            request.settimeout(self.limits.handshake_timeout)
            # wsgiref writes the status line, headers and body separately; with Nagle's
            # algorithm against the client's delayed ACK each response would stall ~40 ms.
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                context = self.tls.context()
            except TLSConfigError as exc:
                logger.error("%s: refused, TLS files unusable: %s", client_address[0], exc)
                return
            conn = context.wrap_socket(request, server_side=True, do_handshake_on_connect=False)
            self._track(key, conn)
            try:
                try:
                    conn.do_handshake()
                except OSError as exc:  # ssl.SSLError, timeouts and resets alike
                    logger.info("%s: TLS handshake refused: %s", client_address[0], _why(exc))
                    with self._active_lock:
                        self.refused_handshakes += 1
                    return
                self.RequestHandlerClass(conn, client_address, self)  # type: ignore[arg-type]
                _close_notify(conn)
            finally:
                conn.close()
        finally:
            self._untrack(key)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log a connection's failure; clients vanishing mid-request are routine."""
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            logger.info("%s: connection ended: %s", client_address[0], _why(exc))
        else:
            logger.error("%s: unexpected error", client_address[0], exc_info=True)

    def _track(self, key: int, sock: socket.socket) -> None:
        with self._active_lock:
            self._active[key] = sock

    def _untrack(self, key: int) -> None:
        with self._active_lock:
            self._active.pop(key, None)


def _why(exc: OSError) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
        return str(exc.verify_message)
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def _close_notify(conn: ssl.SSLSocket) -> None:
    """Send TLS close_notify so a client reading to EOF sees a clean end of the response."""
    try:
        conn.settimeout(1.0)
        conn.unwrap()
    except (OSError, ValueError):
        pass


def serve(
    app: WSGIApplication,
    *,
    tls: ServerTLS,
    host: str = "127.0.0.1",
    port: int = 0,
    limits: Limits | None = None,
) -> MTLSServer:
    """Start serving ``app`` over mutual TLS in a background thread and return the server.

    ``port=0`` picks a free port (read it from ``server.port``). Stop it with
    ``server.shutdown()`` or use it as a context manager::

        with serve(app, tls=ServerTLS.from_pki(Path("pki"))) as server:
            ...  # https://127.0.0.1:{server.port}/ with a client certificate

    :raises TLSConfigError: if the TLS files are unusable.
    :raises OSError: if the address cannot be bound.
    """
    return MTLSServer((host, port), app, tls=tls, limits=limits).start()
