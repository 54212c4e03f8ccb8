"""A throttled client is refused before its certificate is verified (issue 14, finding 9).

Verification (path building with as many intermediates as an attacker forwards, then the CRL
check) is the expensive part of a request; the CRL server's hit count shows whether it ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from django.test import Client

from mtlsguard.devserver.pki import CertificateAuthority, TestPKI
from tests.certs.test_crl import CrlServer, Route, issue_with_dp
from tests.django.conftest import PROXY, nginx_headers


@pytest.fixture
def crl_server() -> Iterator[CrlServer]:
    server = CrlServer()
    yield server
    server.close()


@pytest.fixture
def fetching(mtls_settings: Any, tmp_path: Path, crl_server: CrlServer) -> CertificateAuthority:
    """The app trusts a CA whose certificates name a CRL distribution point on crl_server."""
    root = CertificateAuthority.root("Gate Root")
    inter = root.intermediate("Gate Intermediate")
    bundle = tmp_path / "gate-bundle.pem"
    bundle.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in (root.cert, inter.cert)))
    crl_server.routes["/gate.crl"] = Route(inter.crl().public_bytes(Encoding.DER))
    mtls_settings.MTLSGUARD = {
        **mtls_settings.MTLSGUARD,
        "CA_BUNDLE": str(bundle),
        "CRL_FILES": [],
        "VERIFY": {"FETCH_CRLS": True},
        "THROTTLE": {"ENABLED": True, "FAILURES": 2, "WINDOW": 60},
    }
    return inter


@pytest.mark.django_db
def test_a_throttled_client_is_refused_before_verification(
    fetching: CertificateAuthority, crl_server: CrlServer, pki: TestPKI
) -> None:
    client = Client(REMOTE_ADDR=PROXY, headers={"X-Forwarded-For": "198.51.100.23"})
    for bad in (pki.self_signed, pki.expired):  # two failures from 198.51.100.23
        assert client.get("/api/whoami", headers=nginx_headers(bad)).status_code in (403,)
    fresh = issue_with_dp(fetching, "never-seen", crl_server.url("/gate.crl"))
    response = client.get("/api/whoami", headers=nginx_headers(fresh))
    assert response.status_code == 429
    assert crl_server.hits["/gate.crl"] == 0  # never verified: no path, no CRL fetch

    # Another client is not affected, and pays for the verification as usual.
    other = Client(REMOTE_ADDR=PROXY, headers={"X-Forwarded-For": "198.51.100.99"})
    assert other.get("/api/whoami", headers=nginx_headers(fresh)).status_code == 200
    assert crl_server.hits["/gate.crl"] == 1
    # Verified before: the throttled address is not consulted for it again (cache hit).
    assert client.get("/api/whoami", headers=nginx_headers(fresh)).status_code == 200
