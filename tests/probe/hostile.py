"""A hostile HTTPS server for the probe's failure modes (stdlib only, real TLS on loopback).

Paths: ``/ok`` JSON; ``/slow`` answers after :attr:`HostileServer.slow_seconds`; ``/drip``
sends one body byte every 0.2 s forever; ``/reset`` resets the connection (SO_LINGER 0);
``/error`` 500; ``/loop`` redirects to itself; ``/offhost`` redirects to another host,
``/badredirect`` to an unparsable URL;
``/huge`` streams :data:`HUGE_BYTES` bytes without a length (``huge_sent``: bytes each
response got out before the client hung up); ``/retry`` answers the first request 429 with
``Retry-After: 1``, then 200; ``/garbage`` answers bytes that are not HTTP;
``/openapi.json`` is :data:`OPENAPI`; ``/login-cookie`` sets a session cookie
(``cookies_received``: paths of requests that sent one back); ``/private`` redirects to a
login page; ``/noslash`` to ``/noslash/``; ``/needs-cert`` answers 403 without a client
certificate and the same JSON to every certificate. Every request's method and path is
recorded (``requests``) with its header names (``header_names``); the client certificate is
optional.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import socket
import ssl
import struct
import threading
import time
from pathlib import Path
from typing import Any

HUGE_BYTES = 64 << 20
OPENAPI = {
    "openapi": "3.0.3",
    "paths": {"/items/": {"get": {}, "post": {}}, "/items/{id}/": {"get": {}, "delete": {}}},
}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HostileServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _record(self) -> None:
        with self.server.lock:
            self.server.requests.append((self.command, self.path))
            self.server.header_names.append(frozenset(k.lower() for k in self.headers))
            if self.headers.get("Cookie") is not None:
                self.server.cookies_received.append(self.path)

    def _json(self, status: int, data: object, **headers: str) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _route(self) -> None:
        self._record()
        path = self.path.split("?", 1)[0]
        if path == "/openapi.json":
            self._json(200, OPENAPI)
        elif path in ("/ok", "/", "/items/"):
            self._json(200, [{"id": 7, "name": "seven"}])
        elif path.startswith("/items/"):
            self._json(200, {"id": path.strip("/").rsplit("/", 1)[-1]})
        elif path == "/needs-cert":
            if self.connection.getpeercert():
                self._json(200, [{"id": 7, "name": "seven"}])
            else:
                self._json(403, {"detail": "client certificate required"})
        elif path == "/private":
            self._json(302, {}, Location="/accounts/login/?next=/private")
        elif path == "/accounts/login/":
            body = b"<html><form>username password</form></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif path == "/noslash":
            self._json(301, {}, Location="/noslash/")
        elif path == "/noslash/":
            self._json(200, {"id": 1, "open": True})
        elif path == "/login-cookie":
            self._json(200, {"id": 3}, Set_Cookie="sessionid=s3cret; Path=/")
        elif path == "/slow":
            time.sleep(self.server.slow_seconds)
            self._json(200, {"late": True})
        elif path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            for _ in range(10_000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)
        elif path == "/reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            socket.socket.close(self.connection)
        elif path == "/error":
            self._json(500, {"error": "boom"})
        elif path == "/loop":
            self._json(302, {}, Location="/loop")
        elif path == "/badredirect":
            self._json(302, {}, Location="https://[::1/unterminated")
        elif path == "/offhost":
            self._json(302, {}, Location="https://elsewhere.invalid/steal")
        elif path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"A" * 65536
            sent = 0
            try:
                for _ in range(HUGE_BYTES // len(chunk)):
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except OSError:
                pass
            finally:
                with self.server.lock:
                    self.server.huge_sent.append(sent)
            self.close_connection = True
        elif path == "/retry":
            with self.server.lock:
                first = self.server.retry_seen < 1
                self.server.retry_seen += 1
            if first:
                self._json(429, {"slow": "down"}, Retry_After="1")
            else:
                self._json(200, {"id": 1, "after": "retry"})
        elif path == "/garbage":
            self.wfile.write(b"\x00\x01NOT HTTP AT ALL\r\n\r\n")
            self.close_connection = True
        else:
            self._json(404, {"detail": "not found"})

    do_GET = do_HEAD = do_OPTIONS = do_POST = do_PUT = do_PATCH = do_DELETE = _route


class HostileServer(http.server.ThreadingHTTPServer):
    """Serve the hostile paths over TLS on 127.0.0.1 (client certificate optional)."""

    daemon_threads = True

    def __init__(self, cert: Path, key: Path, client_ca: Path) -> None:
        self.requests: list[tuple[str, str]] = []
        self.header_names: list[frozenset[str]] = []
        self.lock = threading.Lock()
        self.slow_seconds = 3.0
        self.huge_sent: list[int] = []
        self.retry_seen = 0
        self.cookies_received: list[str] = []
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.context.load_verify_locations(cafile=client_ca)
        self.context.verify_mode = ssl.CERT_OPTIONAL
        super().__init__(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """``https://127.0.0.1:PORT/``."""
        return f"https://127.0.0.1:{self.server_address[1]}/"

    def finish_request(self, request: Any, client_address: Any) -> None:
        """TLS handshake in the connection's thread, then HTTP."""
        request.settimeout(10)
        # headers and body go out in separate writes: without this, delayed ACK adds 40 ms
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            conn = self.context.wrap_socket(request, server_side=True)
        except OSError:
            return
        try:
            _Handler(conn, client_address, self)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
