"""Real TLS against the embedded dev server: server fixtures, a recording app, TLS clients."""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from mtlsguard.certs import CertificateError, extract
from mtlsguard.devserver.pki import IssuedCertificate, TestPKI
from mtlsguard.devserver.server import Limits, MTLSServer, serve
from mtlsguard.devserver.tls import ServerTLS
from tests.factories import presenting, tls_client

TIMEOUT = 5.0  # every client operation in these tests is bounded


class RecordingApp:
    """A WSGI app that answers with what ``extract("wsgi-ssl")`` saw, and keeps every environ."""

    def __init__(self) -> None:
        self.environs: list[dict[str, Any]] = []
        self.bodies: list[bytes] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = environ["wsgi.input"].read()
        with self._lock:
            self.environs.append(dict(environ))
            self.bodies.append(body)
        try:
            cert = extract("wsgi-ssl", environ=environ)
        except CertificateError as exc:
            payload: dict[str, Any] = {"error": exc.reason}
        else:
            payload = (
                {"cert": None}
                if cert is None
                else {
                    "sha256": cert.sha256,
                    "serial": cert.serial,
                    "subject": cert.subject,
                    "issuer": cert.issuer,
                    "proxy_verified": cert.proxy_verified,
                    "chain": len(cert.chain),
                }
            )
        data = json.dumps(payload).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [data]

    @property
    def calls(self) -> int:
        with self._lock:
            return len(self.environs)


@pytest.fixture
def app() -> RecordingApp:
    return RecordingApp()


@pytest.fixture(scope="session")
def server_tls(pki_files: dict[str, Path]) -> ServerTLS:
    """The session PKI's server certificate, trusting its root, checking its CRL."""
    return ServerTLS(
        cert=pki_files["server"],
        key=pki_files["server_key"],
        cacert=pki_files["ca"],
        crl=pki_files["crl"],
    )


FAST_LIMITS = Limits(handshake_timeout=1.0, header_timeout=1.0, body_timeout=2.0, io_timeout=2.0)


@pytest.fixture
def server(app: RecordingApp, server_tls: ServerTLS) -> Iterator[MTLSServer]:
    """A running dev server (short timeouts so hostile-client tests stay quick)."""
    with serve(app, tls=server_tls, limits=FAST_LIMITS) as running:
        yield running


def client_context(
    ca: Path, issued: IssuedCertificate | None = None, directory: Path | None = None
) -> ssl.SSLContext:
    """A client context trusting ``ca`` and presenting ``issued`` (leaf + chain, written to
    ``directory``) if given."""
    if issued is None:
        return tls_client(ca)
    assert directory is not None
    return tls_client(ca, issued.write(directory, f"c{issued.cert.serial_number:x}"))


class Address(Protocol):
    """Anything with ``host`` and ``port``: a server object or a server process."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...


def https_request(
    server: Address,
    context: ssl.SSLContext,
    method: str = "GET",
    path: str = "/",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request over a fresh TLS connection; returns status, headers, body."""
    conn = http.client.HTTPSConnection(server.host, server.port, context=context, timeout=TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def wait_for(condition: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` passes (server threads run on their own)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def alice_context(pki: TestPKI, pki_files: dict[str, Path]) -> ssl.SSLContext:
    """Presents the session PKI's valid ``client`` (alice)."""
    return presenting(pki_files, "client")
