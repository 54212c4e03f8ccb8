"""DRF tests share the Django app tests' configuration (tests/django/settings.py).

The fixtures and helpers come from tests/django/conftest.py (importing it also configures
settings when this directory runs alone), so both directories run in one process with one
settings object, whichever is collected first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from django.test import Client

from mtlsguard.devserver.pki import IssuedCertificate
from mtlsguard.drf.confirmation import x5t_s256
from tests.django.conftest import (  # noqa: F401  (fixtures, re-exported for this directory)
    PROXY,
    _clear_cache,
    base_mtlsguard,
    mtls_settings,
    nginx_headers,
)

ISSUER = "https://issuer.test"
AUDIENCE = "billing-api"


@pytest.fixture(scope="session")
def issuer_key() -> ec.EllipticCurvePrivateKey:
    """The token issuer's signing key (the API only gets the public half)."""
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def drf_settings(mtls_settings: Any, issuer_key: ec.EllipticCurvePrivateKey) -> Any:  # noqa: F811
    """The middleware verifies but requires nothing on /drf/: the DRF classes decide."""
    mtls_settings.MTLSGUARD = {**mtls_settings.MTLSGUARD, "REQUIRED": "off"}
    mtls_settings.ROOT_URLCONF = "tests.drf.urls"
    mtls_settings.REST_FRAMEWORK = {
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    }
    mtls_settings.MTLSGUARD_TOKENS = {
        "ALGORITHMS": ["ES256"],
        "KEY": issuer_key.public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii"),
        "ISSUER": ISSUER,
        "AUDIENCE": AUDIENCE,
    }
    return mtls_settings


@pytest.fixture
def without_middleware(drf_settings: Any) -> Any:
    """The same project without ClientCertificateMiddleware: the DRF classes inspect alone."""
    drf_settings.MIDDLEWARE = [m for m in drf_settings.MIDDLEWARE if not m.startswith("mtlsguard.")]
    return drf_settings


@pytest.fixture
def client() -> Client:
    """Requests arrive from the trusted nginx proxy."""
    return Client(REMOTE_ADDR=PROXY)


@pytest.fixture
def get_as(client: Client) -> Callable[..., Any]:
    """GET ``path`` presenting ``issued`` (or nothing) through the proxy, plus extra headers."""

    def get(path: str, issued: IssuedCertificate | None, **headers: str) -> Any:
        return client.get(path, headers={**nginx_headers(issued), **headers})

    return get


@pytest.fixture
def make_token(issuer_key: ec.EllipticCurvePrivateKey) -> Callable[..., str]:
    """Sign a JWT as the issuer; ``bound_to`` sets ``cnf["x5t#S256"]``."""

    def make(
        subject: str = "alice",
        bound_to: IssuedCertificate | None = None,
        *,
        key: Any = None,
        algorithm: str = "ES256",
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject,
            "iat": now,
            "exp": now + 300,
        }
        if bound_to is not None:
            payload["cnf"] = {"x5t#S256": x5t_s256(bound_to.der)}
        payload.update(claims)
        signing_key = key if key is not None else issuer_key
        if isinstance(signing_key, ec.EllipticCurvePrivateKey):
            signing_key = signing_key.private_bytes(
                Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
            )
        return jwt.encode(payload, signing_key, algorithm=algorithm)

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def cert_file(tmp_path: Path) -> Callable[[IssuedCertificate], Path]:
    def write(issued: IssuedCertificate) -> Path:
        path = tmp_path / f"{issued.cert.serial_number:x}.pem"
        path.write_bytes(issued.cert_pem)
        return path

    return write
