"""Plumbing for the real-proxy tests: recipes, ports, processes, the echo backend, the client.

Everything here is bounded: every socket has a timeout and every process wait has a deadline,
so a proxy that hangs fails the test instead of the suite.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parents[2]
RECIPE_DIR = REPO / "docs" / "deploy"

#: The placeholders a recipe may use (documented in docs/deploy/README.md).
PLACEHOLDERS = frozenset(
    {"LISTEN_ADDR", "LISTEN_PORT", "BACKEND_ADDR", "BACKEND_PORT", "CERT_DIR", "APP_DIR"}
)
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")

SOCKET_TIMEOUT = 5.0
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


def render_recipe(name: str, values: Mapping[str, str]) -> str:
    """Return ``docs/deploy/<name>`` with every ``{{PLACEHOLDER}}`` replaced, nothing else.

    Fails on a placeholder the recipe uses but ``values`` lacks, or one that is not documented,
    so the recipes cannot drift from docs/deploy/README.md.
    """
    text = (RECIPE_DIR / name).read_text(encoding="utf-8")
    used = set(_PLACEHOLDER.findall(text))
    undocumented = used - PLACEHOLDERS
    assert not undocumented, f"{name} uses undocumented placeholders {sorted(undocumented)}"
    missing = used - set(values)
    assert not missing, f"{name} needs values for {sorted(missing)}"
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def nginx_main_config(run: Path, site: str = "site.conf") -> list[str]:
    """Write the smallest nginx main config around the recipe ``run/site``; nginx's argv.

    The recipes in docs/deploy/ are ``server`` blocks; this is the rest nginx needs to run
    them unprivileged from ``run`` (temp paths, pid and logs there, in the foreground).
    """
    (run / "nginx.conf").write_text(
        f"""daemon off;
worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {run}/access.log;
    client_body_temp_path {run}/client_body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    include {run}/{site};
}}
"""
    )
    nginx = require_binary("nginx", "/usr/sbin/nginx")
    return [nginx, "-e", f"{run}/error.log", "-p", str(run), "-c", f"{run}/nginx.conf"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_binary(name: str, *candidates: str) -> str:
    """Return the path of the binary ``name``; skip (or, when ``CI=true``, fail) if missing."""
    for candidate in (name, *candidates):
        found = shutil.which(candidate) or (candidate if os.access(candidate, os.X_OK) else None)
        if found:
            return found
    _missing(f"{name} is not installed (apt-get install {name})")


def require_file(path: Path, package: str) -> Path:
    """Like :func:`require_binary` for a file shipped by a Debian package (an Apache module)."""
    if path.exists():
        return path
    _missing(f"{path} is missing (apt-get install {package})")


def _missing(what: str) -> NoReturn:
    # CI must never go green by skipping the real-proxy tests.
    reason = f"{what}; real-proxy test not run"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true: {reason}")
    pytest.skip(reason)


def public_dir(parent: Path, name: str) -> Path:
    """A directory every user may read (Apache's children run as www-data, not root)."""
    path = parent / name
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o755)
    return path


# --------------------------------------------------------------------------------------------
# The backend behind the proxies: answers every request with the headers it received.


class _QuietServer(ThreadingHTTPServer):
    """Proxies drop idle upstream connections at will: that is not an error worth a traceback."""

    def handle_error(self, request: object, client_address: object) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError | TimeoutError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@dataclass
class EchoBackend:
    """A threaded stdlib HTTP server on 127.0.0.1 that echoes request headers as JSON.

    The body is ``{"headers": [[name, value], ...]}`` in arrival order, duplicates kept.
    :attr:`requests` counts what reached it, so a test can prove a request was stopped before.
    """

    server: ThreadingHTTPServer
    thread: threading.Thread
    requests: list[list[tuple[str, str]]] = field(default_factory=list)

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.server.server_address[1])

    @classmethod
    @contextlib.contextmanager
    def running(cls) -> Iterator[EchoBackend]:
        """Start the backend for the duration of the ``with`` block."""
        received: list[list[tuple[str, str]]] = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = SOCKET_TIMEOUT

            def _echo(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                pairs = list(self.headers.items())
                received.append(pairs)
                body = json.dumps({"headers": pairs}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _echo

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = _QuietServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, name="echo-backend", daemon=True)
        backend = cls(server=server, thread=thread, requests=received)
        thread.start()
        try:
            yield backend
        finally:
            server.shutdown()
            server.server_close()
            thread.join(STOP_TIMEOUT)


# --------------------------------------------------------------------------------------------
# Proxy processes.


@dataclass
class ServerProcess:
    """A proxy started in the foreground in its own process group, with its log captured."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    extra_logs: tuple[Path, ...] = ()

    def logs(self) -> str:
        """Everything the server wrote so far (for failure messages)."""
        parts = []
        for path in (self.log, *self.extra_logs):
            if path.exists():
                parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)

    def wait_listening(self, port: int, timeout: float = START_TIMEOUT) -> None:
        """Block until ``127.0.0.1:port`` accepts connections; fail if the server dies first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode}:\n{self.logs()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                return
            time.sleep(0.05)
        pytest.fail(f"{self.name} did not listen on {port} within {timeout}s:\n{self.logs()}")

    def stop(self) -> None:
        """SIGTERM the process group, then SIGKILL it if it has not exited in time."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(STOP_TIMEOUT)
        # Children (nginx workers, Apache/mod_wsgi daemons) share the group: make sure none
        # outlives the test.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    @classmethod
    @contextlib.contextmanager
    def running(
        cls,
        name: str,
        argv: Sequence[str],
        *,
        port: int,
        run_dir: Path,
        env: Mapping[str, str] | None = None,
        extra_logs: Sequence[Path] = (),
    ) -> Iterator[ServerProcess]:
        """Start ``argv``, wait until it listens on ``port``, stop it (always) on exit."""
        log = run_dir / f"{name}.out"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=run_dir,
                env={**os.environ, **(env or {})},
                start_new_session=True,
            )
        server = cls(name=name, proc=proc, log=log, extra_logs=tuple(extra_logs))
        try:
            server.wait_listening(port)
            yield server
        finally:
            server.stop()


# --------------------------------------------------------------------------------------------
# The client: real TLS handshakes with Python's ssl and http.client.


@dataclass(frozen=True)
class Response:
    """The proxy answered with an HTTP response."""

    status: int
    body: bytes

    def json(self) -> dict[str, object]:
        """The body as JSON (the echo backend's answer)."""
        data = json.loads(self.body)
        assert isinstance(data, dict)
        return data


@dataclass(frozen=True)
class Refused:
    """The proxy refused the TLS handshake or closed the connection without an answer."""

    error: BaseException


def mtls_request(
    port: int,
    ca_file: Path,
    client: tuple[Path, Path] | None,
    headers: Sequence[tuple[str, str]] = (),
    path: str = "/echo",
) -> Response | Refused:
    """GET ``path`` over TLS from ``127.0.0.1:port``, presenting ``client`` (cert, key) if any.

    ``headers`` are sent exactly as given (names with underscores and duplicates included).
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca_file)
    if client is not None:
        ctx.load_cert_chain(*client)
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT)
        try:
            tls = ctx.wrap_socket(raw, server_hostname="localhost")
        except BaseException:
            raw.close()
            raise
        conn = http.client.HTTPConnection("localhost", port, timeout=SOCKET_TIMEOUT)
        conn.sock = tls
        try:
            conn.putrequest("GET", path, skip_accept_encoding=True)
            for name, value in headers:
                conn.putheader(name, value)
            conn.endheaders()
            response = conn.getresponse()
            return Response(status=response.status, body=response.read())
        finally:
            conn.close()
    except (ssl.SSLError, ConnectionError, http.client.HTTPException) as exc:
        return Refused(exc)
