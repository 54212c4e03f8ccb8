"""``mtlsguard devserver`` and ``manage.py runmtlsserver`` as real processes over real TLS."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import ssl
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

from mtlsguard.cli.devserver import parse_addrport
from mtlsguard.cli.main import main
from mtlsguard.devserver import UsageError
from mtlsguard.devserver.localca import LocalCA
from tests.devserver.conftest import https_request, wait_for
from tests.factories import tls_client

pytestmark = pytest.mark.integration

STARTUP_TIMEOUT = 30.0  # Django's setup on a loaded 2-core machine

SAMPLE_APP = """
import json

from mtlsguard.certs import extract


def app(environ, start_response):
    cert = extract("wsgi-ssl", environ=environ)
    body = json.dumps(
        {
            "subject": cert.subject if cert else None,
            "leaked": sorted(k for k in environ if k in ("FOO_LEAK", "SSL_CLIENT_CERT_CHAIN_7")),
        }
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
"""

DJANGO_SETTINGS = """
import os

SECRET_KEY = "devserver-test-only"
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
ROOT_URLCONF = "proj.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "mtlsguard.django",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mtlsguard.django.middleware.ClientCertificateMiddleware",
]
INSTALLED_APPS.append("django.contrib.sessions")
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
MTLSGUARD = {
    "SOURCE": "wsgi-ssl",
    "CA_BUNDLE": os.environ["TEST_CA_BUNDLE"],
    "CRL_FILES": [os.environ["TEST_CRL"]],
    "AUTHENTICATE": False,
    "REQUIRED": "all",
    "AUDIT": {"ENABLED": False},
    "THROTTLE": {"ENABLED": False},
}
"""

DJANGO_URLS = """
from django.http import JsonResponse
from django.urls import path


def whoami(request):
    cert = request.client_cert
    return JsonResponse({"subject": cert.subject if cert else None, "secure": request.is_secure()})


urlpatterns = [path("whoami/", whoami)]
"""


@pytest.fixture(scope="module")
def local_ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    ca = LocalCA.init(tmp_path_factory.mktemp("devpki") / "pki")
    ca.issue("alice", emails=["alice@example.com"])
    return ca


@pytest.fixture
def alice(local_ca: LocalCA) -> ssl.SSLContext:
    return tls_client(local_ca.ca_cert, local_ca.client_paths("alice"))


class Running:
    """A server process, the address it announced, and its output so far."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.stdout: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        self.host, self.port = "", 0
        for stream, sink in (
            (process.stdout, self.stdout.put),
            (process.stderr, self.stderr.append),
        ):
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True).start()

    @staticmethod
    def _pump(stream: IO[str] | None, sink: Callable[[str], None]) -> None:
        for line in stream or ():
            sink(line)

    def wait_for_address(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            try:
                line = self.stdout.get(timeout=0.1)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if match := re.search(r"serving https://([\d.]+):(\d+)/ over mTLS", line):
                self.host, self.port = match.group(1), int(match.group(2))
                return
        self.process.kill()
        pytest.fail(f"the server never announced its address; stderr: {''.join(self.stderr)}")


@contextmanager
def running(argv: list[str], cwd: Path, env: dict[str, str]) -> Iterator[Running]:
    process = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    server = Running(process)
    try:
        server.wait_for_address()
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover - a hang is the failure
                process.kill()
                process.wait()


def _get(server: Running, context: ssl.SSLContext, path: str = "/") -> tuple[int, dict[str, str]]:
    status, _, body = https_request(server, context, path=path)
    return status, json.loads(body)


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def test_devserver_serves_an_app_and_stops_on_sigterm(
    local_ca: LocalCA, alice: ssl.SSLContext, tmp_path: Path
) -> None:
    (tmp_path / "sampleapp.py").write_text(SAMPLE_APP)
    argv = [sys.executable, "-m", "mtlsguard", "devserver", "--app", "sampleapp:app"]
    argv += ["--pki", str(local_ca.directory), "--port", "0"]
    # A stray SSL_* variable in the server's own environment must not reach the app.
    env = _env(FOO_LEAK="1", SSL_CLIENT_CERT_CHAIN_7="leak")
    with running(argv, tmp_path, env) as server:
        status, seen = _get(server, alice)
        assert status == 200
        assert seen == {"subject": "CN=alice,O=mtlsguard local", "leaked": []}
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=10) == 0
        assert wait_for(lambda: '"GET / HTTP/1.1" 200' in "".join(server.stderr))


def _django_project(tmp_path: Path) -> Path:
    project = tmp_path / "site"
    (project / "proj").mkdir(parents=True)
    (project / "proj" / "__init__.py").write_text("")
    (project / "proj" / "settings.py").write_text(DJANGO_SETTINGS)
    (project / "proj" / "urls.py").write_text(DJANGO_URLS)
    (project / "proj" / "wsgi.py").write_text(
        textwrap.dedent(
            """
            from django.core.wsgi import get_wsgi_application

            application = get_wsgi_application()
            """
        )
    )
    return project


@pytest.mark.parametrize("launcher", ["runmtlsserver", "devserver"])
def test_django_project_sees_the_certificate_through_the_middleware(
    local_ca: LocalCA, alice: ssl.SSLContext, tmp_path: Path, launcher: str
) -> None:
    project = _django_project(tmp_path)
    pki = ["--pki", str(local_ca.directory)]
    if launcher == "runmtlsserver":
        argv = [sys.executable, "-m", "django", "runmtlsserver", "127.0.0.1:0", *pki]
        argv += ["--settings", "proj.settings"]
    else:
        argv = [sys.executable, "-m", "mtlsguard", "devserver", "--port", "0", *pki]
        argv += ["--django-settings", "proj.settings"]
    env = _env(
        PYTHONPATH=os.pathsep.join([str(project), _env()["PYTHONPATH"]]),
        TEST_CA_BUNDLE=str(local_ca.ca_bundle),
        TEST_CRL=str(local_ca.crl_path),
    )
    with running(argv, project, env) as server:
        status, seen = _get(server, alice, "/whoami/")
    assert status == 200
    # The middleware verified the certificate from the mod_ssl-style environ.
    assert seen == {"subject": "CN=alice,O=mtlsguard local", "secure": True}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["devserver", "--app", "x:app"], "missing --cert, --key, --cacert"),
        (["devserver", "--app", "x:app", "--cert", "c.pem"], "missing --key, --cacert"),
        (["devserver", "--app", "x:app", "--pki", "{missing}"], "holds no mtlsguard PKI"),
        (["devserver", "--app", "x:app", "--pki", "{pki}", "--cert", "c"], "not both"),
        (["devserver", "--app", "nonexistent_mod:app", "--pki", "{pki}"], "cannot import"),
        (["devserver", "--app", "json:nothing", "--pki", "{pki}"], "has no attribute"),
        (["devserver", "--app", "json", "--pki", "{pki}"], "MODULE:CALLABLE"),
        (["devserver", "--app", "json:__doc__", "--pki", "{pki}"], "is not callable"),
        (["devserver", "--app", "json:loads", "--pki", "{pki}", "--port", "70000"], "--port"),
        (
            [
                *["devserver", "--app", "json:loads", "--cert", "{pki}/nope.pem"],
                *["--key", "k", "--cacert", "{pki}/ca.pem"],
            ],
            "cannot load the server certificate",
        ),
    ],
)
def test_devserver_usage_errors_exit_2(
    local_ca: LocalCA,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    filled = [a.format(pki=local_ca.directory, missing=tmp_path / "missing") for a in argv]
    with pytest.raises(SystemExit) as exit_info:
        main(filled)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_devserver_refuses_a_busy_port(
    local_ca: LocalCA, capsys: pytest.CaptureFixture[str]
) -> None:
    from mtlsguard.devserver.server import serve
    from mtlsguard.devserver.tls import ServerTLS

    with serve(lambda e, s: [], tls=ServerTLS.from_pki(local_ca.directory)) as busy:  # type: ignore[arg-type, return-value]
        argv = ["devserver", "--app", "json:loads", "--pki", str(local_ca.directory)]
        with pytest.raises(SystemExit) as exit_info:
            main([*argv, "--port", str(busy.port)])
    assert exit_info.value.code == 2
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("8443", ("127.0.0.1", 8443)),
        ("0.0.0.0:9000", ("0.0.0.0", 9000)),
        ("localhost:0", ("localhost", 0)),
        ("[::1]:8443", ("::1", 8443)),
    ],
)
def test_parse_addrport(value: str, expected: tuple[str, int]) -> None:
    assert parse_addrport(value) == expected


@pytest.mark.parametrize("value", ["", ":", "host:", "host:http", "[::1]", "[::1]8443", "1:99999"])
def test_parse_addrport_refuses(value: str) -> None:
    with pytest.raises(UsageError):
        parse_addrport(value)
