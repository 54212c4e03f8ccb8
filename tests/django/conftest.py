"""Real Django for the app's tests: settings, a PKI on disk, clients that forward like nginx."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django
import pytest
from django.conf import settings as django_settings
from django.test import AsyncClient, Client

from mtlsguard.devserver.pki import IssuedCertificate, TestPKI
from tests.django.settings import SETTINGS

if not django_settings.configured:
    django_settings.configure(**SETTINGS)
    django.setup()

PROXY = "10.0.0.5"  # a trusted proxy (in TRUSTED_PROXIES below)
STRANGER = "203.0.113.7"  # anyone else

STATELESS = "mtlsguard.django.middleware.ClientCertificateMiddleware"
PERSISTENT = "mtlsguard.django.middleware.PersistentClientCertificateMiddleware"


def use_middleware(settings: Any, middleware: str) -> None:
    """Put ``middleware`` (e.g. :data:`PERSISTENT`) where the stateless middleware stands."""
    settings.MIDDLEWARE = [middleware if m == STATELESS else m for m in settings.MIDDLEWARE]


def sign_in(client: Client, username: str) -> None:
    """Log ``username`` in with a password (``NAME-pw-123``, as the alice/bob fixtures set it)."""
    response = client.post(
        "/public/login", {"username": username, "password": f"{username}-pw-123"}
    )
    assert response.status_code == 200


def audit_events(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The audit events (each record's ``audit`` dict) captured so far, oldest first."""
    return [r.audit for r in caplog.records if r.name == "mtlsguard.audit"]  # type: ignore[attr-defined]


def nginx_headers(issued: IssuedCertificate | None, verify: str = "SUCCESS") -> dict[str, str]:
    """What the nginx recipe forwards: $ssl_client_escaped_cert and $ssl_client_verify."""
    if issued is None:
        return {"X-SSL-Client-Verify": "NONE"}
    return {
        "X-SSL-Client-Cert": urllib.parse.quote(issued.cert_pem.decode("ascii"), safe=""),
        "X-SSL-Client-Verify": verify,
    }


#: The request-table cases that are TestPKI attributes (None: no certificate at all).
CASE_CERTIFICATES: dict[str, str | None] = {
    "none": None,
    "expired": "expired",
    "untrusted_issuer": "self_signed",
    "revoked": "revoked",
    "inactive_user": "other_client",
    "bound": "client",
}


def case_certificate(
    case: str, pki: TestPKI, **extra: IssuedCertificate
) -> IssuedCertificate | None:
    """The certificate a request-table case presents (``extra`` adds cases of the test's own)."""
    if case in extra:
        return extra[case]
    attribute = CASE_CERTIFICATES[case]
    return None if attribute is None else getattr(pki, attribute)


def base_mtlsguard(ca_bundle: Path, crl: Path, **overrides: Any) -> dict[str, Any]:
    conf: dict[str, Any] = {
        "SOURCE": "nginx",
        "TRUSTED_PROXIES": ["10.0.0.0/8"],
        "CA_BUNDLE": str(ca_bundle),
        "CRL_FILES": [str(crl)],
        "REQUIRED": ["/api/", "/app/"],
        "THROTTLE": {"ENABLED": False},
    }
    conf.update(overrides)
    return conf


@pytest.fixture
def mtls_settings(settings: Any, ca_bundle: Path, pki_files: dict[str, Path]) -> Iterator[Any]:
    """pytest-django's ``settings`` with a working MTLSGUARD; tests tweak ``settings.MTLSGUARD``."""
    settings.MTLSGUARD = base_mtlsguard(ca_bundle, pki_files["crl"])
    return settings


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


class PeerAsyncClient(AsyncClient):
    """AsyncClient whose requests come from ``peer`` and may carry raw (repeated) headers."""

    def __init__(self, peer: str = PROXY, raw_headers: list[tuple[bytes, bytes]] | None = None):
        super().__init__()
        self.peer = peer
        self.raw_headers = raw_headers or []

    def _base_scope(self, **request: Any) -> dict[str, Any]:
        scope: dict[str, Any] = super()._base_scope(**request)
        scope["client"] = [self.peer, 50000]
        scope["headers"] = list(scope["headers"]) + self.raw_headers
        return scope


@pytest.fixture
def client_from_proxy() -> Client:
    return Client(REMOTE_ADDR=PROXY)
