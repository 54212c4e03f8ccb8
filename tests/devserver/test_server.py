"""The dev server over real TLS on 127.0.0.1: who gets in, and what the application sees."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import socket
import ssl
import threading
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from mtlsguard.certs import extract
from mtlsguard.devserver.pki import TestPKI
from mtlsguard.devserver.server import Limits, MTLSServer, serve
from mtlsguard.devserver.tls import ServerTLS, TLSConfigError
from tests.devserver.conftest import (
    TIMEOUT,
    RecordingApp,
    client_context,
    https_request,
    wait_for,
)
from tests.factories import presenting

pytestmark = pytest.mark.integration


def test_verified_client_reaches_the_app_with_its_certificate(
    server: MTLSServer, app: RecordingApp, pki: TestPKI, alice_context: ssl.SSLContext
) -> None:
    status, headers, body = https_request(server, alice_context, path="/billing?x=1")
    assert status == 200
    assert headers["Connection"] == "close"
    seen = json.loads(body)
    leaf = pki.client.cert
    assert seen == {
        "sha256": hashlib.sha256(pki.client.der).hexdigest(),
        "serial": leaf.serial_number,
        "subject": leaf.subject.rfc4514_string(),
        "issuer": leaf.issuer.rfc4514_string(),
        "proxy_verified": True,
        "chain": 1,
    }
    environ = app.environs[0]
    assert environ["HTTPS"] == "on"
    assert environ["wsgi.url_scheme"] == "https"
    assert environ["PATH_INFO"] == "/billing"
    assert environ["QUERY_STRING"] == "x=1"
    assert environ["SSL_CLIENT_VERIFY"] == "SUCCESS"
    assert environ["SSL_CLIENT_CERT"] == leaf.public_bytes(Encoding.PEM).decode()
    assert (
        environ["SSL_CLIENT_CERT_CHAIN_0"]
        == pki.intermediate.cert.public_bytes(Encoding.PEM).decode()
    )
    assert "SSL_CLIENT_CERT_CHAIN_1" not in environ  # the root is the anchor, not the chain
    assert int(environ["SSL_CLIENT_M_SERIAL"], 16) == leaf.serial_number
    # "Example, Inc." must survive DN escaping: the source cross-checks S_DN with the PEM.
    assert environ["SSL_CLIENT_S_DN"] == "CN=alice,OU=Billing,O=Example\\, Inc."
    assert environ["SSL_CLIENT_I_DN"] == leaf.issuer.rfc4514_string()
    assert environ["SSL_PROTOCOL"] in {"TLSv1.2", "TLSv1.3"}
    for key, when in (
        ("SSL_CLIENT_V_START", leaf.not_valid_before_utc),
        ("SSL_CLIENT_V_END", leaf.not_valid_after_utc),
    ):
        parsed = dt.datetime.strptime(environ[key], "%b %d %H:%M:%S %Y GMT")
        assert parsed.replace(tzinfo=dt.UTC) == when


def test_rsa_pki_and_tls_1_2(rsa_pki: TestPKI, app: RecordingApp, tmp_path: Path) -> None:
    files = rsa_pki.write(tmp_path / "rsa")
    tls = ServerTLS(cert=files["server"], key=files["server_key"], cacert=files["ca"])
    context = client_context(files["ca"], rsa_pki.other_client, tmp_path)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with serve(app, tls=tls) as server:
        status, _, body = https_request(server, context)
    assert status == 200
    assert json.loads(body)["subject"] == rsa_pki.other_client.cert.subject.rfc4514_string()
    assert app.environs[0]["SSL_PROTOCOL"] == "TLSv1.2"


def _refused(server: MTLSServer, context: ssl.SSLContext) -> None:
    """The connection must fail in the handshake or at the first read: no HTTP response."""
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        https_request(server, context)


def test_client_without_certificate_is_refused(
    server: MTLSServer,
    app: RecordingApp,
    pki_files: dict[str, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="mtlsguard.devserver")
    _refused(server, client_context(pki_files["ca"]))
    # The server thread logs on its own schedule: wait for it, never race it.
    assert wait_for(
        lambda: (
            "PEER_DID_NOT_RETURN_A_CERTIFICATE" in caplog.text and server.refused_handshakes == 1
        )
    )
    assert app.calls == 0


@pytest.mark.parametrize(
    ("variant", "why"),
    [
        ("self_signed", "unable to get local issuer certificate"),
        ("expired", "certificate has expired"),
        ("not_yet_valid", "certificate is not yet valid"),
        ("wrong_eku", "unsuitable certificate purpose"),
        ("revoked", "certificate revoked"),
    ],
)
def test_bad_client_certificates_are_refused(
    server: MTLSServer,
    app: RecordingApp,
    pki: TestPKI,
    pki_files: dict[str, Path],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    variant: str,
    why: str,
) -> None:
    caplog.set_level(logging.INFO, logger="mtlsguard.devserver")
    _refused(server, client_context(pki_files["ca"], getattr(pki, variant), tmp_path))
    assert wait_for(
        lambda: f"TLS handshake refused: {why}" in caplog.text and server.refused_handshakes == 1
    )
    assert app.calls == 0


def test_revoked_certificate_passes_without_a_crl(
    pki: TestPKI, pki_files: dict[str, Path], app: RecordingApp, tmp_path: Path
) -> None:
    # The contrast to the test above: it is the CRL that refuses the revoked client.
    tls = ServerTLS(cert=pki_files["server"], key=pki_files["server_key"], cacert=pki_files["ca"])
    with serve(app, tls=tls) as server:
        status, _, body = https_request(
            server, client_context(pki_files["ca"], pki.revoked, tmp_path)
        )
    assert status == 200
    assert json.loads(body)["serial"] == pki.revoked.cert.serial_number


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")
def test_old_tls_versions_are_refused(
    server: MTLSServer,
    app: RecordingApp,
    alice_context: ssl.SSLContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="mtlsguard.devserver")
    alice_context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client really offer TLS 1.1
    alice_context.minimum_version = ssl.TLSVersion.TLSv1_1
    alice_context.maximum_version = ssl.TLSVersion.TLSv1_1
    _refused(server, alice_context)
    assert wait_for(
        lambda: (
            "TLS handshake refused: UNSUPPORTED_PROTOCOL" in caplog.text
            and server.refused_handshakes == 1
        )
    )
    assert app.calls == 0


def test_forged_certificate_headers_never_become_tls_variables(
    server: MTLSServer,
    app: RecordingApp,
    pki: TestPKI,
    alice_context: ssl.SSLContext,
) -> None:
    bob_pem = pki.other_client.cert_pem.decode()
    forged = {
        "SSL-Client-Cert": urllib.parse.quote(bob_pem, safe=""),
        "X-SSL-Client-Cert": urllib.parse.quote(bob_pem, safe=""),
        "X-SSL-Client-Verify": "SUCCESS",
        "SSL-Client-Verify": "SUCCESS",
        "SSL-Client-S-DN": "CN=bob",
        "Https": "off",
        "X-Forwarded-Client-Cert": f'Hash=00;Cert="{urllib.parse.quote(bob_pem)}"',
    }
    status, _, body = https_request(server, alice_context, headers=forged)
    assert status == 200
    assert json.loads(body)["serial"] == pki.client.cert.serial_number
    environ = app.environs[0]
    assert environ["SSL_CLIENT_CERT"] == pki.client.cert_pem.decode()
    assert environ["SSL_CLIENT_S_DN"] == pki.client.cert.subject.rfc4514_string()
    assert environ["HTTPS"] == "on"
    # They are still ordinary headers, visible as such and nothing more.
    assert environ["HTTP_SSL_CLIENT_CERT"] == forged["SSL-Client-Cert"]
    assert environ["HTTP_HTTPS"] == "off"
    cert = extract("wsgi-ssl", environ=environ)
    assert cert is not None
    assert cert.serial == pki.client.cert.serial_number


def test_header_names_with_underscores_are_dropped(
    server: MTLSServer, app: RecordingApp, pki: TestPKI, alice_context: ssl.SSLContext
) -> None:
    # X_SSL_Client_Cert and X-SSL-Client-Cert would both become HTTP_X_SSL_CLIENT_CERT.
    status, _, _ = https_request(
        server,
        alice_context,
        headers={"X_SSL_Client_Cert": "forged", "SSL_CLIENT_CERT": "forged", "X-Fine": "1"},
    )
    assert status == 200
    environ = app.environs[0]
    assert "HTTP_X_SSL_CLIENT_CERT" not in environ
    assert "HTTP_SSL_CLIENT_CERT" not in environ
    assert environ["HTTP_X_FINE"] == "1"
    assert environ["SSL_CLIENT_CERT"] == pki.client.cert_pem.decode()


def test_request_body_is_delivered_and_bounded(
    app: RecordingApp, server_tls: ServerTLS, alice_context: ssl.SSLContext
) -> None:
    limits = Limits(max_body_bytes=1000, body_timeout=2.0, header_timeout=2.0)
    with serve(app, tls=server_tls, limits=limits) as server:
        status, _, _ = https_request(server, alice_context, "POST", body=b"a=1&b=" + b"x" * 900)
        assert status == 200
        assert app.bodies == [b"a=1&b=" + b"x" * 900]
        status, _, _ = https_request(server, alice_context, "POST", body=b"x" * 1001)
        assert status == 413
        status, _, _ = https_request(
            server, alice_context, "POST", body=b"x", headers={"Content-Length": "1, 2"}
        )
        assert status == 400
        conn_status = _raw_status(
            server,
            alice_context,
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
        )
        assert conn_status == 411
    assert app.calls == 1


def _raw_status(server: MTLSServer, context: ssl.SSLContext, data: bytes) -> int:
    with (
        socket.create_connection((server.host, server.port), timeout=TIMEOUT) as raw,
        context.wrap_socket(raw, server_hostname=server.host) as conn,
    ):
        conn.sendall(data)
        response = b""
        while chunk := conn.recv(4096):
            response += chunk
    return int(response.split(b" ", 2)[1])


def test_concurrent_clients_are_served(
    server: MTLSServer, app: RecordingApp, alice_context: ssl.SSLContext
) -> None:
    statuses: list[int] = []
    lock = threading.Lock()

    def one() -> None:
        status, _, _ = https_request(server, alice_context)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=one) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert statuses == [200] * 12
    assert app.calls == 12


def test_application_errors_become_500_and_the_server_goes_on(
    server_tls: ServerTLS, alice_context: ssl.SSLContext
) -> None:
    def broken(environ: object, start_response: object) -> list[bytes]:
        raise RuntimeError("boom")

    with serve(broken, tls=server_tls) as server:  # type: ignore[arg-type]
        assert https_request(server, alice_context)[0] == 500
        assert https_request(server, alice_context)[0] == 500


def test_shutdown_closes_the_port_and_is_idempotent(
    app: RecordingApp, server_tls: ServerTLS, alice_context: ssl.SSLContext
) -> None:
    server = serve(app, tls=server_tls)
    assert https_request(server, alice_context)[0] == 200
    server.shutdown()
    server.shutdown()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((server.host, server.port), timeout=TIMEOUT).close()


def test_ipv6_loopback(
    app: RecordingApp, server_tls: ServerTLS, pki_files: dict[str, Path]
) -> None:
    if not socket.has_ipv6:  # pragma: no cover
        pytest.skip("no IPv6")
    try:
        server = serve(app, tls=server_tls, host="::1")
    except OSError:  # pragma: no cover - container without ::1
        pytest.skip("::1 is not configured here")
    # The session PKI's server certificate names localhost and 127.0.0.1 only; connect by
    # address and check the name separately.
    context = presenting(pki_files, "client")
    context.check_hostname = False
    with server:
        assert server.url == f"https://[::1]:{server.port}/"
        assert https_request(server, context)[0] == 200


def test_unusable_tls_files_fail_before_binding(
    app: RecordingApp, pki_files: dict[str, Path], tmp_path: Path
) -> None:
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate")
    cases = [
        ServerTLS(cert=bogus, key=pki_files["server_key"], cacert=pki_files["ca"]),
        ServerTLS(cert=pki_files["server"], key=pki_files["client_key"], cacert=pki_files["ca"]),
        ServerTLS(cert=pki_files["server"], key=pki_files["server_key"], cacert=bogus),
        ServerTLS(
            cert=pki_files["server"], key=pki_files["server_key"], cacert=pki_files["ca"], crl=bogus
        ),
        ServerTLS(
            cert=pki_files["server"],
            key=pki_files["server_key"],
            cacert=pki_files["ca"],
            crl=tmp_path / "missing.pem",
        ),
    ]
    for tls in cases:
        with pytest.raises(TLSConfigError):
            serve(app, tls=tls)


def test_unread_request_bodies_do_not_destroy_the_response(
    server_tls: ServerTLS, alice_context: ssl.SSLContext
) -> None:
    def refuses_early(environ: dict[str, object], start_response: Any) -> list[bytes]:
        start_response("401 Unauthorized", [("Content-Type", "text/plain")])
        return [b"no"]  # never reads wsgi.input

    with serve(refuses_early, tls=server_tls) as server:
        for _ in range(5):
            status, _, body = https_request(server, alice_context, "POST", body=b"x" * 300_000)
            assert (status, body) == (401, b"no")


def test_expect_100_continue_is_answered_before_the_body(
    server: MTLSServer, app: RecordingApp, alice_context: ssl.SSLContext
) -> None:
    with (
        socket.create_connection((server.host, server.port), timeout=TIMEOUT) as raw,
        alice_context.wrap_socket(raw, server_hostname=server.host) as conn,
    ):
        conn.sendall(
            b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
        )
        assert conn.recv(4096) == b"HTTP/1.1 100 Continue\r\n\r\n"
        conn.sendall(b"hello")
        response = b""
        while chunk := conn.recv(4096):
            response += chunk
    assert response.startswith(b"HTTP/1.1 200 OK\r\n")
    assert app.bodies == [b"hello"]
