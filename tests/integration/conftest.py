"""Fixtures that run each docs/deploy recipe verbatim: a real proxy in front of a real backend.

``deployment`` is parametrized over the recipes and module-scoped, so each proxy starts once
per test module and is always stopped (and its temp directory removed), even on failure.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from mtlsguard.certs import ClientCertificate, extract
from tests.integration.harness import (
    EchoBackend,
    Refused,
    Response,
    ServerProcess,
    free_port,
    mtls_request,
    nginx_main_config,
    public_dir,
    render_recipe,
    require_binary,
    require_file,
)

APACHE_MODULES = Path("/usr/lib/apache2/modules")
ECHO_WSGI = Path(__file__).with_name("echo_wsgi.py")

#: What a recipe promises for a certificate that fails verification: nginx answers 400 itself,
#: mod_ssl and Caddy refuse the handshake, HAProxy forwards it with a non-zero verify code.
InvalidPromise = Literal["http-400", "tls-refused", "forwarded-unverified"]


@dataclass(frozen=True)
class Deployment:
    """One recipe running: a proxy on ``port`` and what the tests may expect of it."""

    name: str
    source: str
    """The ``mtlsguard.certs.extract()`` source name the recipe's documentation gives."""
    port: int
    pki_files: Mapping[str, Path]
    """The PKI on disk (``ca``, ``client``/``client_key``, ``expired``, ...)."""
    server: ServerProcess
    backend: EchoBackend | None
    """The echo backend behind the proxy; ``None`` when Apache runs the app (mod_wsgi)."""
    via: Literal["headers", "environ"]
    invalid: InvalidPromise
    requires_certificate: bool
    """True when the recipe refuses a connection without a client certificate."""
    refuses_underscores: bool = False
    """True when the recipe answers 403 to any header name with ``_`` instead of deleting it."""

    def request(
        self, client: str | None, headers: Sequence[tuple[str, str]] = ()
    ) -> Response | Refused:
        """One real mTLS request through the proxy presenting PKI file ``client`` (or none)."""
        paths = None
        if client is not None:
            paths = (self.pki_files[client], self.pki_files[f"{client}_key"])
        return mtls_request(self.port, self.pki_files["ca"], paths, headers)

    def received(self, response: Response) -> dict[str, str]:
        """What the app saw: request headers (duplicates joined as WSGI servers do) or environ."""
        data = response.json()
        if self.via == "environ":
            environ = data["environ"]
            assert isinstance(environ, dict)
            return {str(k): str(v) for k, v in environ.items()}
        joined: dict[str, str] = {}
        pairs = data["headers"]
        assert isinstance(pairs, list)
        for name, value in pairs:
            key = next((k for k in joined if k.lower() == name.lower()), name)
            joined[key] = f"{joined[key]},{value}" if key in joined else value
        return joined

    def extract(self, response: Response) -> ClientCertificate | None:
        """``mtlsguard.certs.extract()`` on what the app received, the way the docs say."""
        received = self.received(response)
        if self.via == "environ":
            return extract(self.source, environ=received)
        return extract(self.source, headers=received)

    def reached_backend(self, before: int) -> bool:
        """Whether the backend saw a request since it had seen ``before`` requests."""
        assert self.backend is not None
        return len(self.backend.requests) > before


@pytest.fixture(scope="module")
def public_tmp() -> Iterator[Path]:
    """A world-readable temp directory (Apache's children run as www-data and read from it)."""
    path = Path(tempfile.mkdtemp(prefix="mtlsguard-it-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _cert_dir(run: Path, pki_files: Mapping[str, Path]) -> Path:
    """The CERT_DIR layout docs/deploy/README.md documents, built from the test PKI."""
    certs = public_dir(run, "certs")
    for name in ("server.pem", "server.key", "ca.pem"):
        shutil.copyfile(pki_files[name.replace(".pem", "").replace(".key", "_key")], certs / name)
    (certs / "haproxy.pem").write_bytes(
        (certs / "server.pem").read_bytes() + (certs / "server.key").read_bytes()
    )
    for key in ("server.key", "haproxy.pem"):
        (certs / key).chmod(0o600)
    return certs


def _values(cert_dir: Path, port: int, **extra: str) -> dict[str, str]:
    return {
        "LISTEN_ADDR": "127.0.0.1",
        "LISTEN_PORT": str(port),
        "CERT_DIR": str(cert_dir),
        **extra,
    }


Started = tuple[int, ServerProcess, EchoBackend | None]


def _proxy_in_front_of_echo(
    stack: contextlib.ExitStack, run: Path, cert_dir: Path, recipe: str, written_as: str
) -> tuple[int, EchoBackend]:
    """Start the echo backend, pick the proxy's port, write the rendered recipe to ``run``."""
    backend = stack.enter_context(EchoBackend.running())
    port = free_port()
    values = _values(cert_dir, port, BACKEND_ADDR="127.0.0.1", BACKEND_PORT=str(backend.port))
    (run / written_as).write_text(render_recipe(recipe, values))
    return port, backend


def _start_nginx(stack: contextlib.ExitStack, run: Path, cert_dir: Path, recipe: str) -> Started:
    require_binary("nginx", "/usr/sbin/nginx")  # skip before anything starts when absent
    port, backend = _proxy_in_front_of_echo(stack, run, cert_dir, recipe, "site.conf")
    # The recipe is a `server` block; this is the smallest main config around it.
    argv = nginx_main_config(run)
    server = stack.enter_context(
        ServerProcess.running("nginx", argv, port=port, run_dir=run, extra_logs=[run / "error.log"])
    )
    return port, server, backend


def _start_haproxy(stack: contextlib.ExitStack, run: Path, cert_dir: Path, recipe: str) -> Started:
    haproxy = require_binary("haproxy", "/usr/sbin/haproxy")
    port, backend = _proxy_in_front_of_echo(stack, run, cert_dir, recipe, "haproxy.cfg")
    argv = [haproxy, "-db", "-f", f"{run}/haproxy.cfg"]
    server = stack.enter_context(ServerProcess.running("haproxy", argv, port=port, run_dir=run))
    return port, server, backend


def _start_caddy(stack: contextlib.ExitStack, run: Path, cert_dir: Path, recipe: str) -> Started:
    caddy = require_binary("caddy", "/usr/bin/caddy")
    port, backend = _proxy_in_front_of_echo(stack, run, cert_dir, recipe, "Caddyfile")
    argv = [caddy, "run", "--config", f"{run}/Caddyfile", "--adapter", "caddyfile"]
    # Caddy keeps state under $HOME and the XDG directories: keep it in the run directory.
    env = {
        "HOME": str(run),
        "XDG_DATA_HOME": str(run / "data"),
        "XDG_CONFIG_HOME": str(run / "config"),
    }
    server = stack.enter_context(
        ServerProcess.running("caddy", argv, port=port, run_dir=run, env=env)
    )
    return port, server, backend


def _apache_main(run: Path, port: int, modules: Sequence[str]) -> str:
    """The smallest httpd.conf around a recipe: own ServerRoot, pid, logs, mutexes, modules."""
    loads = []
    for mod in modules:
        package = "libapache2-mod-wsgi-py3" if mod == "wsgi" else "apache2"
        path = require_file(APACHE_MODULES / f"mod_{mod}.so", package)
        loads.append(f"LoadModule {mod}_module {path}")
    load_lines = "\n".join(loads)
    return f"""ServerRoot {run}
PidFile {run}/httpd.pid
ErrorLog {run}/error.log
LogLevel info
DefaultRuntimeDir {run}
Mutex file:{run} default
User www-data
Group www-data
Listen 127.0.0.1:{port}
ServerName localhost
StartServers 1
ServerLimit 1
ThreadsPerChild 16
MaxRequestWorkers 16
{load_lines}
"""


def _start_apache(stack: contextlib.ExitStack, run: Path, cert_dir: Path, recipe: str) -> Started:
    apache = require_binary("apache2", "/usr/sbin/apache2")
    modules = ["mpm_event", "authz_core", "headers", "setenvif", "ssl", "socache_shmcb"]
    backend: EchoBackend | None
    if recipe == "apache-mod-wsgi.conf":
        backend = None
        port = free_port()
        app = public_dir(run, "app")
        shutil.copyfile(ECHO_WSGI, app / "wsgi.py")
        (app / "wsgi.py").chmod(0o644)
        (run / "site.conf").write_text(
            render_recipe(recipe, _values(cert_dir, port, APP_DIR=str(app)))
        )
        main = _apache_main(run, port, [*modules, "wsgi"]) + f"WSGISocketPrefix {run}/wsgi\n"
    else:
        port, backend = _proxy_in_front_of_echo(stack, run, cert_dir, recipe, "site.conf")
        main = _apache_main(run, port, [*modules, "proxy", "proxy_http"])
    (run / "httpd.conf").write_text(main + f"Include {run}/site.conf\n")
    argv = [apache, "-d", str(run), "-f", f"{run}/httpd.conf", "-DFOREGROUND"]
    server = stack.enter_context(
        ServerProcess.running(
            "apache2", argv, port=port, run_dir=run, extra_logs=[run / "error.log"]
        )
    )
    return port, server, backend


@dataclass(frozen=True)
class Recipe:
    """A recipe of docs/deploy/ and what its documentation promises."""

    file: str
    """The recipe's file name in docs/deploy/."""
    start: Callable[[contextlib.ExitStack, Path, Path, str], Started]
    source: str
    via: Literal["headers", "environ"]
    invalid: InvalidPromise
    requires_certificate: bool
    refuses_underscores: bool = False


RECIPES: Mapping[str, Recipe] = {
    "nginx": Recipe(
        "nginx-site.conf", _start_nginx, "nginx", "headers", "http-400", requires_certificate=False
    ),
    "haproxy": Recipe(
        "haproxy.cfg",
        _start_haproxy,
        "haproxy",
        "headers",
        "forwarded-unverified",
        requires_certificate=False,
    ),
    "caddy": Recipe(
        "Caddyfile", _start_caddy, "caddy", "headers", "tls-refused", requires_certificate=True
    ),
    "apache-mod-wsgi": Recipe(
        "apache-mod-wsgi.conf",
        _start_apache,
        "apache",
        "environ",
        "tls-refused",
        requires_certificate=False,
    ),
    "apache-proxy": Recipe(
        "apache-proxy.conf",
        _start_apache,
        "apache",
        "headers",
        "tls-refused",
        requires_certificate=False,
        refuses_underscores=True,
    ),
}
"""Every recipe the tests run, by name (the ``deployment`` fixture's parameters)."""


@pytest.fixture(scope="module", params=sorted(RECIPES))
def deployment(
    request: pytest.FixtureRequest, pki_files: dict[str, Path], public_tmp: Path
) -> Iterator[Deployment]:
    """A running recipe (parametrized over every proxy), stopped and cleaned up afterwards."""
    name: str = request.param
    recipe = RECIPES[name]
    run = public_dir(public_tmp, name)
    with contextlib.ExitStack() as stack:
        port, server, backend = recipe.start(stack, run, _cert_dir(run, pki_files), recipe.file)
        yield Deployment(
            name=name,
            source=recipe.source,
            port=port,
            pki_files=pki_files,
            server=server,
            backend=backend,
            via=recipe.via,
            invalid=recipe.invalid,
            requires_certificate=recipe.requires_certificate,
            refuses_underscores=recipe.refuses_underscores,
        )
