"""Forged forwarded-certificate headers against the examples reached without their TLS layer.

The deployment behind nginx: gunicorn serves the app over plain http and nginx forwards the
certificate in ``X-SSL-Client-*`` headers. When the app server is reachable directly (here:
gunicorn on loopback), a client sends those headers itself. The vulnerable BillingView
refuses a request without a certificate (403) and serves every invoice once the request says
``X-SSL-Client-Verify: SUCCESS``; the hardened project (``MTLSGUARD_SOURCE=nginx``, the proxy
at another address) ignores or rejects the forged headers.

Also: every forged header set decodes, through mtlsguard's own parsers, to the certificate
it was built from.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes

from mtlsguard.certs import extract
from mtlsguard.devserver.pki import TestPKI
from mtlsguard.findings.registry import EVERY_RULE, RuleSelection
from mtlsguard.probe.config import Identity, ProbeConfig
from mtlsguard.probe.discovery import load_path_list
from mtlsguard.probe.forged import forged_header_sets
from mtlsguard.probe.runner import run_probe
from tests.example_apps import PROXY, Project, serving

PATHS = "/billing/\n/api/accounts/\n/api/accounts/<int:pk>/\n"


def gunicorn(project: Project, env: dict[str, str] | None = None) -> Iterator[int]:
    module = project.env["DJANGO_SETTINGS_MODULE"].replace(".settings", ".wsgi")
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        f"{module}:application",
        "--bind",
        "127.0.0.1:0",
        "--workers",
        "1",
        "--threads",
        "4",
    ]
    announcement = r"Listening at: http://127\.0\.0\.1:(\d+)"
    for _, port in serving(command, project, announcement, on_stderr=True, env=env):
        yield port


@pytest.fixture(scope="module")
def vulnerable_origin(vulnerable: Project) -> Iterator[int]:
    yield from gunicorn(vulnerable)


@pytest.fixture(scope="module")
def hardened_origin(hardened: Project) -> Iterator[int]:
    yield from gunicorn(hardened, {"MTLSGUARD_SOURCE": "nginx", "MTLSGUARD_TRUSTED_PROXIES": PROXY})


def config(
    port: int, pki_files: dict[str, Path], selection: RuleSelection = EVERY_RULE
) -> ProbeConfig:
    return ProbeConfig(
        base_url=f"http://127.0.0.1:{port}/",
        identity=Identity("A", pki_files["client"], pki_files["client_key"]),
        peer=Identity("B", pki_files["other_client"], pki_files["other_client_key"]),
        timeout=15.0,
        selection=selection,
    )


@pytest.mark.integration
def test_vulnerable_origin_believes_forged_nginx_headers(
    vulnerable_origin: int, pki_files: dict[str, Path]
) -> None:
    result = run_probe(config(vulnerable_origin, pki_files), load_path_list(PATHS).endpoints)
    assert {(f.rule_id, f.route) for f in result.findings} == {
        ("MG401", "/api/accounts/"),
        ("MG401", "/api/accounts/{pk}/"),
        ("MG403", "/billing/"),
    }
    spoofed = next(f for f in result.findings if f.rule_id == "MG403")
    # the view reads X-SSL-Client-Verify: the nginx and Apache header sets carry SUCCESS
    assert "nginx headers without a certificate: 403 → 200" in spoofed.evidence
    assert "apache headers" in spoofed.evidence
    assert "envoy" not in spoofed.evidence
    assert spoofed.web_request is not None
    headers = spoofed.web_request["headers"]
    assert isinstance(headers, dict)
    assert headers["X-SSL-Client-Cert"] == "[forwarded certificate header redacted]"
    assert result.errors == ()
    assert any("BOLA (MG404) not tested" in note for note in result.notes)


@pytest.mark.integration
def test_hardened_origin_ignores_forged_headers(
    hardened_origin: int, pki_files: dict[str, Path]
) -> None:
    result = run_probe(config(hardened_origin, pki_files), load_path_list(PATHS).endpoints)
    assert result.findings == ()
    assert result.reached > 0
    # the forged header sets were really sent (8 per route, no certificate over http);
    # the account detail is not probed: nobody's listing showed an ID to fill it with
    assert (result.routes, result.paths) == (2, 2)
    assert result.requests_sent == 3 * 2 + 8 * 2
    assert any("/api/accounts/{pk}/: no ID to fill" in note for note in result.notes)


@pytest.mark.integration
def test_ignoring_mg403_leaves_the_forged_headers_unsent(
    hardened_origin: int, vulnerable_origin: int, pki_files: dict[str, Path]
) -> None:
    ignored = RuleSelection(ignore=frozenset({"MG403"}))
    endpoints = load_path_list(PATHS).endpoints
    hardened = run_probe(config(hardened_origin, pki_files, ignored), endpoints)
    assert hardened.requests_sent == 3 * 2  # the observations alone, no 8 * 2 forged sets
    vulnerable = run_probe(config(vulnerable_origin, pki_files, ignored), endpoints)
    assert {(f.rule_id, f.route) for f in vulnerable.findings} == {
        ("MG401", "/api/accounts/"),
        ("MG401", "/api/accounts/{pk}/"),
    }
    assert vulnerable.requests_sent == 3 * vulnerable.paths


@pytest.mark.parametrize("key_type", ["ec", "rsa"])
def test_every_forged_set_decodes_to_its_certificate(
    key_type: str, pki: TestPKI, rsa_pki: TestPKI
) -> None:
    source = pki if key_type == "ec" else rsa_pki
    issued = source.other_client
    sets = forged_header_sets([issued.cert, *issued.chain])
    assert {s.proxy for s in sets} == {
        "nginx",
        "ingress-nginx",
        "haproxy",
        "apache",
        "envoy",
        "traefik",
        "aws-alb",
        "rfc9440",
    }
    for forged in sets:
        decoded = extract(forged.proxy, headers=dict(forged.headers))
        assert decoded is not None, forged.proxy
        assert decoded.sha256 == forged.sha256 == issued.cert.fingerprint(hashes.SHA256()).hex()
        assert decoded.common_name == "bob"
