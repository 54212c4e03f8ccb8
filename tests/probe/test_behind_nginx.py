"""The probe against both examples behind nginx, configured by the docs/deploy recipe verbatim.

nginx (``ssl_verify_client optional``) terminates mTLS and forwards the certificate in
``X-SSL-Client-Cert``/``-Verify``, which it always overwrites; gunicorn serves the example.
Exactly these findings: vulnerable → MG401 on the account routes (AllowAny: no certificate
needed, since the recipe leaves refusing certificate-less requests to Django), MG402 on billing
(a certificate is all it takes), MG404 on the account detail, and no MG403 (nginx overwrites
the forged headers); hardened (``MTLSGUARD_SOURCE=nginx``) → none.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from mtlsguard.probe.config import Identity, ProbeConfig
from mtlsguard.probe.discovery import load_path_list
from mtlsguard.probe.runner import ProbeResult, run_probe
from tests.example_apps import Project
from tests.integration.harness import (
    ServerProcess,
    free_port,
    nginx_main_config,
    public_dir,
    render_recipe,
    require_binary,
)
from tests.probe.test_spoofing import PATHS, gunicorn

pytestmark = pytest.mark.integration


@contextlib.contextmanager
def behind_nginx(
    project: Project, pki_files: dict[str, Path], run: Path, env: dict[str, str] | None = None
) -> Iterator[int]:
    require_binary("nginx", "/usr/sbin/nginx")  # skip before anything starts when absent
    with contextlib.ExitStack() as stack:
        backend = stack.enter_context(contextlib.contextmanager(gunicorn)(project, env))
        certs = public_dir(run, "certs")
        for name, key in (("server.pem", "server"), ("server.key", "server_key"), ("ca.pem", "ca")):
            shutil.copyfile(pki_files[key], certs / name)
        (certs / "server.key").chmod(0o600)
        port = free_port()
        values = {
            "LISTEN_ADDR": "127.0.0.1",
            "LISTEN_PORT": str(port),
            "CERT_DIR": str(certs),
            "BACKEND_ADDR": "127.0.0.1",
            "BACKEND_PORT": str(backend),
        }
        (run / "site.conf").write_text(render_recipe("nginx-site.conf", values))
        argv = nginx_main_config(run)
        stack.enter_context(
            ServerProcess.running(
                "nginx", argv, port=port, run_dir=run, extra_logs=[run / "error.log"]
            )
        )
        yield port


def probe(port: int, pki_files: dict[str, Path]) -> ProbeResult:
    config = ProbeConfig(
        base_url=f"https://127.0.0.1:{port}/",
        identity=Identity("A", pki_files["client"], pki_files["client_key"]),
        peer=Identity("B", pki_files["other_client"], pki_files["other_client_key"]),
        cacert=pki_files["ca"],
        timeout=15.0,
    )
    return run_probe(config, load_path_list(PATHS).endpoints)


def test_vulnerable_behind_nginx(
    vulnerable: Project, pki_files: dict[str, Path], tmp_path: Path
) -> None:
    with behind_nginx(vulnerable, pki_files, tmp_path) as port:
        result = probe(port, pki_files)
    assert {(f.rule_id, f.route) for f in result.findings} == {
        ("MG401", "/api/accounts/"),
        ("MG401", "/api/accounts/{pk}/"),
        ("MG402", "/billing/"),
        ("MG404", "/api/accounts/{pk}/"),
    }
    assert result.errors == ()


def test_hardened_behind_nginx(
    hardened: Project, pki_files: dict[str, Path], tmp_path: Path
) -> None:
    env = {"MTLSGUARD_SOURCE": "nginx", "MTLSGUARD_TRUSTED_PROXIES": "127.0.0.1"}
    with behind_nginx(hardened, pki_files, tmp_path, env) as port:
        result = probe(port, pki_files)
    assert result.findings == ()
    assert result.errors == ()
    assert result.paths >= 5  # both listings + bob's, alice's and a neighbour's account
    assert result.reached == result.paths
