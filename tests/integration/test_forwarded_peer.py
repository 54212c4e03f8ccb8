"""The app server's idea of the peer, and forged header spellings, on real servers.

Issue 14, item 7: uvicorn's proxy headers with ``--forwarded-allow-ips='*'`` and gunicorn's
``--proxy-protocol`` with ``--proxy-allow-from='*'`` set the peer address from what the
client sends, so a direct client claiming ``127.0.0.1`` would pass as the trusted proxy.
mtlsguard notices the rewrite and refuses the forwarded certificate (400
``untrusted_proxy``), with a warning in the server's log.

Issue 14, item 1, library side: where the server shows the header names as sent (ASGI) or
joins two spellings into one value (WSGI), a certificate header under a non-canonical spelling
is refused (400 ``ambiguous``) even without a proxy recipe deleting it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from mtlsguard.devserver.pki import IssuedCertificate, TestPKI
from tests.integration.app_servers import AppServer, app_server
from tests.integration.harness import SOCKET_TIMEOUT, public_dir

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

ATTACKER = "127.0.0.2"
"""A loopback address that is not the trusted proxy (127.0.0.1)."""


def _nginx_headers(issued: IssuedCertificate) -> list[tuple[str, str]]:
    return [
        ("X-SSL-Client-Cert", urllib.parse.quote(issued.cert_pem.decode(), safe="")),
        ("X-SSL-Client-Verify", "SUCCESS"),
    ]


def raw_get(
    port: int,
    path: str,
    headers: list[tuple[str, str]],
    *,
    source: str = "127.0.0.1",
    preamble: bytes = b"",
) -> tuple[int, dict[str, object]]:
    """One GET from ``source`` with headers exactly as given; (status, JSON body)."""
    sock = socket.create_connection(
        ("127.0.0.1", port), timeout=SOCKET_TIMEOUT, source_address=(source, 0)
    )
    conn = http.client.HTTPConnection("localhost", port, timeout=SOCKET_TIMEOUT)
    try:
        if preamble:
            sock.sendall(preamble)
        conn.sock = sock
        conn.putrequest("GET", path, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = {"raw": body[:300].decode("latin-1")}
    return response.status, parsed if isinstance(parsed, dict) else {}


@contextlib.contextmanager
def serving(
    kind: str, run: Path, bundle: Path, extra: list[str], source: str = "nginx"
) -> Iterator[AppServer]:
    env = {
        "MTLSGUARD_IT_SOURCE": source,
        "MTLSGUARD_IT_CA": str(bundle),
        "MTLSGUARD_IT_TRUSTED": "127.0.0.1",
    }
    with app_server(kind, run, env, extra) as server:
        yield server


@pytest.fixture(scope="module")
def bundle(pki_files: dict[str, Path], public_tmp: Path) -> Path:
    path = public_dir(public_tmp, "peer") / "bundle.pem"
    path.write_bytes(pki_files["ca"].read_bytes() + pki_files["intermediate"].read_bytes())
    return path


# -- item 7: the peer address taken from the request ---------------------------------------


def test_uvicorn_forwarded_allow_ips_star_does_not_make_a_client_the_proxy(
    pki: TestPKI, bundle: Path, public_tmp: Path
) -> None:
    extra = ["--proxy-headers", "--forwarded-allow-ips", "*"]
    with serving("uvicorn", public_tmp / "uvicorn-star", bundle, extra) as server:
        # Without the claim the attacker is what it is: an untrusted peer.
        status, body = raw_get(
            server.port, "/api/whoami", _nginx_headers(pki.client), source=ATTACKER
        )
        assert (status, body.get("reason")) == (400, "untrusted_proxy")
        # Claiming to be the proxy: uvicorn now reports 127.0.0.1 as the client...
        claim = [("X-Forwarded-For", "127.0.0.1"), *_nginx_headers(pki.client)]
        status, body = raw_get(server.port, "/api/whoami", claim, source=ATTACKER)
        assert (status, body.get("reason")) == (400, "untrusted_proxy"), body
        # ...with a port too (uvicorn takes host:port from X-Forwarded-For).
        claim = [("X-Forwarded-For", "127.0.0.1:5555"), *_nginx_headers(pki.client)]
        status, body = raw_get(server.port, "/api/whoami", claim, source=ATTACKER)
        assert (status, body.get("reason")) == (400, "untrusted_proxy"), body
        assert "rewrote" in server.process.logs() or "X-Forwarded-For" in server.process.logs()


def test_uvicorn_without_proxy_headers_serves_the_real_proxy(
    pki: TestPKI, bundle: Path, public_tmp: Path
) -> None:
    # The documented setting: uvicorn keeps the TCP peer, mtlsguard reads X-Forwarded-For.
    with serving("uvicorn", public_tmp / "uvicorn-plain", bundle, ["--no-proxy-headers"]) as s:
        headers = [("X-Forwarded-For", "192.0.2.7"), *_nginx_headers(pki.client)]
        status, body = raw_get(s.port, "/api/whoami", headers)
        assert status == 200, body
        assert body["subject"] == pki.client.cert.subject.rfc4514_string()


def test_gunicorn_proxy_protocol_from_anyone_does_not_make_a_client_the_proxy(
    pki: TestPKI, bundle: Path, public_tmp: Path
) -> None:
    extra = ["--proxy-protocol", "--proxy-allow-from", "*"]
    with serving("gunicorn23", public_tmp / "gunicorn-pp", bundle, extra) as server:
        preamble = b"PROXY TCP4 127.0.0.1 127.0.0.1 5555 80\r\n"
        status, body = raw_get(
            server.port,
            "/api/whoami",
            _nginx_headers(pki.client),
            source=ATTACKER,
            preamble=preamble,
        )
        assert (status, body.get("reason")) == (400, "untrusted_proxy"), body


# -- item 1, library side: spellings the server lets through -------------------------------


def test_asgi_server_shows_the_underscore_spelling_and_it_is_refused(
    pki: TestPKI, bundle: Path, public_tmp: Path
) -> None:
    # From the trusted proxy's own address, as if a recipe had let the name through.
    with serving("uvicorn", public_tmp / "uvicorn-names", bundle, ["--no-proxy-headers"]) as s:
        cert, verify = _nginx_headers(pki.client)
        for forged in (
            [("X-SSL-Client_Cert", cert[1]), verify],
            [cert, ("X-SSL_Client-Verify", "SUCCESS")],
            [("x_ssl_client_cert", cert[1]), ("X_SSL_CLIENT_VERIFY", "SUCCESS")],
        ):
            status, body = raw_get(s.port, "/api/whoami", forged)
            assert (status, body.get("reason")) == (400, "ambiguous"), (forged[0][0], body)


@pytest.mark.parametrize("kind", ["gunicorn21", "wsgiref"])
def test_wsgi_server_joining_two_spellings_is_refused(
    kind: str, pki: TestPKI, other_cert: IssuedCertificate, bundle: Path, public_tmp: Path
) -> None:
    # gunicorn 21 and wsgiref fold X-SSL-Client_Cert into the canonical key and join it with
    # the proxy's value: the joined value is refused, whichever comes first.
    with serving(kind, public_tmp / f"{kind}-join", bundle, []) as s:
        real, verify = _nginx_headers(pki.client)
        forged = ("X-SSL-Client_Cert", _nginx_headers(other_cert)[0][1])
        for headers in ([real, forged, verify], [forged, real, verify]):
            status, body = raw_get(s.port, "/api/whoami", headers)
            assert status == 400, body
            assert body.get("reason") in {"ambiguous", "malformed"}, body


@pytest.fixture(scope="module")
def other_cert(pki: TestPKI) -> IssuedCertificate:
    return pki.other_client
