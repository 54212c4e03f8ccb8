"""Impersonation through header spellings and hop-by-hop tricks, on real proxies and servers.

The attack of issue 14 (item 1): a client with no certificate sends the victim's public
certificate under a spelling the recipe does not delete (``X-SSL-Client_Cert``: gunicorn <= 21
and wsgiref fold it into ``HTTP_X_SSL_CLIENT_CERT``) and ``Connection: X-SSL-Client-Verify``,
which makes mod_proxy drop the verdict the recipe set; or it smuggles the verdict itself
(``X-SSL_Client-Verify: SUCCESS``). Each docs/deploy recipe runs verbatim in front of the
``whoami_app`` Django project served by gunicorn 21 and 23, waitress, uvicorn and wsgiref,
and the request must fail closed: refused by the proxy, or answered 4xx by mtlsguard, never
served as the victim.
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mtlsguard.devserver.pki import IssuedCertificate, TestPKI
from tests.integration.app_servers import AppServer, app_server
from tests.integration.conftest import _apache_main, _cert_dir, _values
from tests.integration.harness import (
    Refused,
    Response,
    ServerProcess,
    free_port,
    mtls_request,
    nginx_main_config,
    public_dir,
    render_recipe,
    require_binary,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

#: (recipe, server) pairs: Apache in front of every server, nginx and HAProxy in front of
#: the folding ones (gunicorn 21, wsgiref) and of an ASGI server.
STACKS = [
    *(("apache-proxy", s) for s in ("gunicorn21", "gunicorn23", "waitress", "uvicorn", "wsgiref")),
    *(("nginx", s) for s in ("gunicorn21", "wsgiref", "uvicorn")),
    *(("haproxy", s) for s in ("gunicorn21", "wsgiref", "uvicorn")),
]
SOURCE = {"apache-proxy": "apache", "nginx": "nginx", "haproxy": "haproxy"}


@dataclass(frozen=True)
class Stack:
    """A recipe's proxy in front of the whoami app on one server."""

    recipe: str
    server: AppServer
    proxy: ServerProcess
    port: int
    ca: Path

    def get(
        self,
        path: str,
        headers: list[tuple[str, str]],
        client: tuple[Path, Path] | None = None,
    ) -> Response | Refused:
        return mtls_request(self.port, self.ca, client, headers, path=path)


def _start_proxy(
    stack: contextlib.ExitStack, recipe: str, run: Path, cert_dir: Path, backend: int
) -> tuple[int, ServerProcess]:
    port = free_port()
    values = _values(cert_dir, port, BACKEND_ADDR="127.0.0.1", BACKEND_PORT=str(backend))
    if recipe == "nginx":
        require_binary("nginx", "/usr/sbin/nginx")
        (run / "site.conf").write_text(render_recipe("nginx-site.conf", values))
        argv = nginx_main_config(run)
        extra = [run / "error.log"]
    elif recipe == "haproxy":
        haproxy = require_binary("haproxy", "/usr/sbin/haproxy")
        (run / "haproxy.cfg").write_text(render_recipe("haproxy.cfg", values))
        argv = [haproxy, "-db", "-f", f"{run}/haproxy.cfg"]
        extra = []
    else:
        apache = require_binary("apache2", "/usr/sbin/apache2")
        modules = ["mpm_event", "authz_core", "headers", "setenvif", "ssl", "socache_shmcb"]
        (run / "site.conf").write_text(render_recipe("apache-proxy.conf", values))
        main = _apache_main(run, port, [*modules, "proxy", "proxy_http"])
        (run / "httpd.conf").write_text(main + f"Include {run}/site.conf\n")
        argv = [apache, "-d", str(run), "-f", f"{run}/httpd.conf", "-DFOREGROUND"]
        extra = [run / "error.log"]
    process = stack.enter_context(
        ServerProcess.running(recipe, argv, port=port, run_dir=run, extra_logs=extra)
    )
    return port, process


@pytest.fixture(scope="module", params=STACKS, ids=[f"{p}-{s}" for p, s in STACKS])
def stack(
    request: pytest.FixtureRequest, pki_files: dict[str, Path], public_tmp: Path
) -> Iterator[Stack]:
    recipe, kind = request.param
    run = public_dir(public_tmp, f"{recipe}-{kind}")
    bundle = run / "bundle.pem"
    bundle.write_bytes(pki_files["ca"].read_bytes() + pki_files["intermediate"].read_bytes())
    env = {
        "MTLSGUARD_IT_SOURCE": SOURCE[recipe],
        "MTLSGUARD_IT_CA": str(bundle),
        "MTLSGUARD_IT_TRUSTED": "127.0.0.1",
    }
    # uvicorn must leave the peer alone (see docs/deploy/app-servers.md).
    extra = ["--no-proxy-headers"] if kind == "uvicorn" else []
    with contextlib.ExitStack() as es:
        server = es.enter_context(app_server(kind, run / "app", env, extra))
        port, proxy = _start_proxy(es, recipe, run, _cert_dir(run, pki_files), server.port)
        yield Stack(recipe, server, proxy, port, pki_files["ca"])
    shutil.rmtree(run, ignore_errors=True)


def _encoded(issued: IssuedCertificate, source: str) -> str:
    pem = issued.cert_pem.decode()
    if source == "nginx":
        return urllib.parse.quote(pem, safe="")
    if source == "apache":
        return " ".join(pem.split("\n")).strip()
    return base64.b64encode(issued.der).decode()


def _verdict(source: str) -> list[tuple[str, str]]:
    if source == "haproxy":
        return [("X-SSL_Client-Verify", "0"), ("X-SSL_Client-Used", "1")]
    return [("X-SSL_Client-Verify", "SUCCESS")]


def attacks(victim: IssuedCertificate, source: str) -> dict[str, list[tuple[str, str]]]:
    """The forged requests, by name: each carries the victim's certificate."""
    cert = _encoded(victim, source)
    hop = ("Connection", "X-SSL-Client-Verify, X-SSL-Client-Used, X-SSL-Client-Cert")
    return {
        "mixed-spelling+connection": [("X-SSL-Client_Cert", cert), hop],
        "mixed-spelling+smuggled-verdict": [("X-SSL-Client_Cert", cert), *_verdict(source)],
        "all-tricks": [("X-SSL-Client_Cert", cert), *_verdict(source), hop],
        "underscores": [("X_SSL_CLIENT_CERT", cert), ("x_ssl_client_verify", "SUCCESS"), hop],
        "odd-case-mix": [("x-Ssl_cLIENT-cert", cert), ("X_ssl-Client_VERIFY", "SUCCESS")],
    }


def _body(outcome: Response | Refused) -> dict[str, object] | None:
    if not isinstance(outcome, Response) or outcome.status != 200:
        return None
    with contextlib.suppress(ValueError):
        data = json.loads(outcome.body)
        return data if isinstance(data, dict) else None
    return None


def test_the_stack_serves_a_real_certificate(
    stack: Stack, pki: TestPKI, pki_files: dict[str, Path]
) -> None:
    outcome = stack.get("/api/whoami", [], (pki_files["client"], pki_files["client_key"]))
    body = _body(outcome)
    assert body is not None, f"{outcome!r}\n{stack.proxy.logs()}\n{stack.server.process.logs()}"
    assert body["sha256"] is not None
    assert body["subject"] == pki.client.cert.subject.rfc4514_string()


@pytest.mark.parametrize(
    "attack",
    [
        "mixed-spelling+connection",
        "mixed-spelling+smuggled-verdict",
        "all-tricks",
        "underscores",
        "odd-case-mix",
    ],
)
@pytest.mark.parametrize("path", ["/api/whoami", "/public/whoami"])
def test_forged_spellings_never_impersonate(
    stack: Stack, pki: TestPKI, attack: str, path: str
) -> None:
    headers = attacks(pki.client, SOURCE[stack.recipe])[attack]
    outcome = stack.get(path, headers)
    victim = pki.client.cert.subject.rfc4514_string()
    body = _body(outcome)
    detail = f"{outcome!r}\n{stack.server.process.logs()[-2000:]}"
    if body is not None:  # the app answered: without the victim's identity
        assert body["subject"] != victim, f"impersonated the victim: {detail}"
        assert body["sha256"] is None, detail
    if path.startswith("/api/"):  # a certificate is required: fail closed, 4xx
        assert isinstance(outcome, Refused) or 400 <= outcome.status < 500, detail


def test_the_verdict_survives_a_connection_header(
    stack: Stack, pki: TestPKI, pki_files: dict[str, Path]
) -> None:
    # A client with its own valid certificate naming the verdict in Connection: the proxy
    # must still forward it (else the app could not tell a failed verification).
    outcome = stack.get(
        "/api/whoami",
        [("Connection", "X-SSL-Client-Verify, X-SSL-Client-Used")],
        (pki_files["client"], pki_files["client_key"]),
    )
    body = _body(outcome)
    assert body is not None, f"{outcome!r}"
    assert body["subject"] == pki.client.cert.subject.rfc4514_string()
