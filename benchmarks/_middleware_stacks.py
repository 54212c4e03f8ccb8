"""The worker side of ``middleware_bench.py``: the stacks, the request, one stack per process.

Each stack runs in its own worker process (its own Django settings and in-memory database);
the parent (``middleware_bench.py``) talks to it over stdin/stdout with ``run N`` /
``behaviour`` / ``stats`` / ``quit`` lines. See ``middleware_bench.py`` for what is measured.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import sys
import time
import types
import urllib.parse
from pathlib import Path
from typing import Any

PROXY = "10.0.0.5"
STRANGER = "203.0.113.7"
PATH = "/api/hello/"
_CN = re.compile(r"(?:^|,)CN=((?:[^,\\]|\\.)*)")
DEFAULT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
#: Stack name -> (middleware after AuthenticationMiddleware, DRF authentication classes).
STACKS: dict[str, tuple[str | None, list[str]]] = {
    "bare": (None, []),
    "mtlsguard": (
        "mtlsguard.django.middleware.ClientCertificateMiddleware",
        ["mtlsguard.drf.authentication.ClientCertificateAuthentication"],
    ),
    "mtlsguard+audit": (
        "mtlsguard.django.middleware.ClientCertificateMiddleware",
        ["mtlsguard.drf.authentication.ClientCertificateAuthentication"],
    ),
    "django-mtls-auth": (
        "mtls_auth.middleware.MTLSAuthenticationMiddleware",
        ["rest_framework.authentication.SessionAuthentication"],
    ),
    "django-mtls-auth+cookie": (
        "mtls_auth.middleware.MTLSAuthenticationMiddleware",
        ["rest_framework.authentication.SessionAuthentication"],
    ),
    "django-ssl-auth": (
        "django_ssl_auth.SSLClientAuthMiddleware",
        ["rest_framework.authentication.SessionAuthentication"],
    ),
    "first sight": (
        "mtlsguard.django.middleware.ClientCertificateMiddleware",
        ["mtlsguard.drf.authentication.ClientCertificateAuthentication"],
    ),
}
PEER_STACKS = ("django-mtls-auth", "django-mtls-auth+cookie", "django-ssl-auth")

# -- the request ------------------------------------------------------------------------------


def cert_headers(cert_pem: bytes, subject: str, issuer: str) -> dict[str, str]:
    """The HTTP_* environ entries an nginx configured for every stack forwards."""
    return {
        "HTTP_X_SSL_CLIENT_CERT": urllib.parse.quote(cert_pem.decode("ascii"), safe=""),
        "HTTP_X_SSL_CLIENT_VERIFY": "SUCCESS",
        "HTTP_X_SSL_USER_DN": subject,
        "HTTP_X_SSL_ISSUER_DN": issuer,
        "HTTP_X_SSL_AUTHENTICATED": "SUCCESS",
        "HTTP_X_REST_API": "1",
    }


def environ_for(headers: dict[str, str], peer: str = PROXY) -> dict[str, Any]:
    """A complete WSGI environ for ``GET /api/hello/`` from ``peer``."""
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": PATH,
        "QUERY_STRING": "",
        "SERVER_NAME": "bench.example",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": peer,
        "HTTP_HOST": "bench.example",
        "HTTP_ACCEPT": "application/json",
        "HTTP_X_FORWARDED_PROTO": "https",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **headers,
    }


# -- worker: one stack in one process ---------------------------------------------------------


def user_data_from_dn(dn: str) -> dict[str, str]:
    """django-ssl-auth's ``USER_DATA_FN`` for the bench: the CN of an RFC 2253 DN is the user.

    (django-ssl-auth ships only a FINeID parser for ``/``-separated DNs; users write their own.)
    """
    match = _CN.search(dn)
    return {"username": match.group(1) if match else ""}


def configure(stack: str, config: dict[str, Any]) -> None:
    """Django settings for ``stack``, then ``django.setup()`` and the bench URLconf."""
    import django
    from django.conf import settings

    extra, authentication = STACKS[stack]
    middleware = list(DEFAULT_MIDDLEWARE)
    if extra is not None:
        middleware.insert(middleware.index(DEFAULT_MIDDLEWARE[4]) + 1, extra)
    apps = [
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
    ]
    backends = ["django.contrib.auth.backends.ModelBackend"]
    options: dict[str, Any] = {}
    if stack in ("mtlsguard", "mtlsguard+audit", "first sight"):
        apps.append("mtlsguard.django")
        backends.insert(0, "mtlsguard.django.backends.ClientCertificateBackend")
        options["MTLSGUARD"] = {
            "SOURCE": "nginx",
            "TRUSTED_PROXIES": ["10.0.0.0/8"],
            "CA_BUNDLE": config["ca_bundle"],
            "CRL_FILES": [config["crl"]],
            "REQUIRED": ["/api/"],
        }
    elif stack.startswith("django-mtls-auth"):
        options["MTLS_AUTH_AUTOCREATE_USER"] = True
    elif stack == "django-ssl-auth":
        backends.insert(0, "django_ssl_auth.SSLClientAuthBackend")
        options["USER_DATA_FN"] = "bench_app.user_data_from_dn"
        options["AUTOCREATE_VALID_SSL_USERS"] = False
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark-only-not-secret",
        ALLOWED_HOSTS=["bench.example"],
        INSTALLED_APPS=apps,
        MIDDLEWARE=middleware,
        AUTHENTICATION_BACKENDS=backends,
        ROOT_URLCONF="bench_app",
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        REST_FRAMEWORK={
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
            "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
            "DEFAULT_AUTHENTICATION_CLASSES": authentication,
            "DEFAULT_PERMISSION_CLASSES": [
                "rest_framework.permissions.IsAuthenticated"
                if authentication
                else "rest_framework.permissions.AllowAny"
            ],
            "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
        },
        **options,
    )
    django.setup()

    from django.urls import path
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class Hello(APIView):
        def get(self, request: Any) -> Response:
            return Response({"user": request.user.get_username()})

    module = types.ModuleType("bench_app")
    module.urlpatterns = [path(PATH.strip("/") + "/", Hello.as_view())]  # type: ignore[attr-defined]
    module.user_data_from_dn = user_data_from_dn  # type: ignore[attr-defined]
    sys.modules["bench_app"] = module


def prepare_database(stack: str, config: dict[str, Any]) -> None:
    """Tables, the user ``alice``, and her bindings (mtlsguard stacks)."""
    from django.contrib.auth.models import User
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    alice = User.objects.create_user("alice")
    if "mtlsguard" in stack or stack == "first sight":
        from cryptography import x509

        from mtlsguard.django.models import CertificateBinding

        pems = [config["client_pem"], *(config["fresh_pems"] if stack == "first sight" else [])]
        CertificateBinding.objects.bulk_create(
            CertificateBinding(
                user=alice,
                **CertificateBinding.fields_for(x509.load_pem_x509_certificate(pem.encode())),
            )
            for pem in pems
        )
    if stack == "mtlsguard+audit":
        audit = logging.getLogger("mtlsguard.audit")
        audit.setLevel(logging.INFO)
        audit.addHandler(logging.FileHandler(os.devnull))
        audit.propagate = False


class Worker:
    """Runs requests on one stack's WSGI handler and times them."""

    def __init__(self, stack: str, config: dict[str, Any]) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.stack = stack
        self.handler = WSGIHandler()
        self.status = ""
        self.headers: list[tuple[str, str]] = []
        base = cert_headers(config["client_pem"].encode(), config["subject"], config["issuer"])
        self.base = base
        self.fresh = [
            cert_headers(pem.encode(), config["subject"], config["issuer"])
            for pem in config["fresh_pems"]
        ]
        self.cookie: str | None = None

    def start_response(self, status: str, headers: list[tuple[str, str]], exc: Any = None) -> Any:
        self.status, self.headers = status, headers
        return None

    def call(self, environ: dict[str, Any]) -> tuple[int, bytes]:
        response = self.handler(environ, self.start_response)
        try:
            body = b"".join(response)
        finally:
            response.close()
        return int(self.status.split()[0]), body

    def request_headers(self) -> dict[str, str]:
        if self.stack == "first sight":
            return self.fresh.pop()
        # New string objects, as a server parses them from every request (str caches its
        # hash: reusing one object would make header-keyed caches look cheaper than they are).
        headers = {key: value.encode().decode() for key, value in self.base.items()}
        if self.cookie is not None:
            headers["HTTP_COOKIE"] = self.cookie
        return headers

    def run(self, count: int) -> list[tuple[int, int]]:
        """Time ``count`` requests: [(cpu ns, wall ns)]; every one must answer 200 alice."""
        samples = []
        expected = b'{"user":""}' if self.stack == "bare" else b'{"user":"alice"}'
        for _ in range(count):
            environ = environ_for(self.request_headers())
            cpu, wall = time.thread_time_ns(), time.perf_counter_ns()
            status, body = self.call(environ)
            cpu, wall = time.thread_time_ns() - cpu, time.perf_counter_ns() - wall
            if status != 200 or body != expected:
                raise RuntimeError(f"{self.stack}: {status} {body[:200]!r}")
            samples.append((cpu, wall))
        return samples

    def behaviour(self) -> dict[str, str]:
        """The request table: what each stack answers (status and user) to a few requests."""
        base = self.base

        def outcome(headers: dict[str, str], peer: str = PROXY) -> str:
            try:
                status, body = self.call(environ_for(headers, peer))
            except Exception as exc:  # a peer may raise instead of answering
                return f"raised {type(exc).__name__}"
            if status == 200:
                return f"200 {json.loads(body)['user'] or '(anonymous)'}"
            return str(status)

        dn_only = {k: v for k, v in base.items() if not k.startswith("HTTP_X_SSL_CLIENT")}
        table = {
            "certificate via the trusted proxy": outcome(base),
            "same headers from a stranger (not the proxy)": outcome(base, STRANGER),
            "DN headers only, no certificate, from a stranger": outcome(dn_only, STRANGER),
            "DN with an escaped comma (O=Example\\, Inc.)": outcome(
                {**base, "HTTP_X_SSL_USER_DN": "CN=alice,O=Example\\, Inc."}
            ),
            "DN without a CN": outcome({**base, "HTTP_X_SSL_USER_DN": "O=mtlsguard bench"}),
            "X-REST-API: yes": outcome({**base, "HTTP_X_REST_API": "yes"}),
            "no certificate headers": outcome({}),
            "session cookie of an earlier login, no certificate": "n/a",
        }
        if self.stack == "django-mtls-auth+cookie":
            status, _ = self.call(environ_for(base))
            cookies = [
                v.split(";", 1)[0].strip() for k, v in self.headers if k.lower() == "set-cookie"
            ]
            if status != 200 or not any(c.startswith("sessionid=") for c in cookies):
                raise RuntimeError("django-mtls-auth set no session cookie")
            self.cookie = "; ".join(cookies)
            table["session cookie of an earlier login, no certificate"] = outcome(
                {"HTTP_COOKIE": self.cookie}
            )
        return table

    def stats(self) -> dict[str, int]:
        from django.contrib.sessions.models import Session

        return {"session_rows": Session.objects.count()}


def worker_main(stack: str, config_path: str) -> int:
    """Serve ``run N`` / ``behaviour`` / ``stats`` / ``quit`` lines on stdin, JSON on stdout."""
    protocol = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # django-mtls-auth print()s on every request
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    config = json.loads(Path(config_path).read_text())
    configure(stack, config)
    prepare_database(stack, config)
    worker = Worker(stack, config)

    def reply(value: object) -> None:
        protocol.write(json.dumps(value) + "\n")
        protocol.flush()

    reply("ready")
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "run":
            reply(worker.run(int(argument)))
        elif command == "behaviour":
            reply(worker.behaviour())
        elif command == "stats":
            reply(worker.stats())
        else:
            break
    return 0
