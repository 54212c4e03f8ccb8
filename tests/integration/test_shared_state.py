"""Two nodes of the hardened example sharing PostgreSQL and Redis, as production runs them.

Two gunicorn instances of ``examples/hardened`` (``shared_settings.py``: PostgreSQL, Django's
Redis cache backend, the audit's database sink) listen on different loopback ports. Requests
carry the certificate the way the nginx recipe forwards it, from 127.0.0.1, the trusted proxy.
The tests show what only shared state gives: failures counted on one node throttle the client
on the other, a revocation made through one node is refused by the other within
``IDENTITY["CACHE_TTL"]`` without a restart, concurrent first requests with a new
certificate bind nothing (binding mapping) or exactly once (``AutoBindingCertificateBackend``
on a second pair of nodes), and the audit table holds every decision of both nodes, in order.

Needs PostgreSQL and Redis (``shared_services.py``): skipped with a reason when they are not
configured, failed under ``MTLSGUARD_REQUIRE_SERVICES=1`` (``.ci/run``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from mtlsguard.devserver.pki import IssuedCertificate, TestPKI
from tests.django.conftest import nginx_headers
from tests.integration.harness import ServerProcess, free_port
from tests.integration.shared_services import query, scratch_database, scratch_redis

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

ROOT = Path(__file__).resolve().parents[2]
HARDENED = ROOT / "examples" / "hardened"
BIN = Path(sys.executable).parent
CACHE_TTL = 3
"""``IDENTITY["CACHE_TTL"]`` of both nodes: the documented revocation bound."""
REFUSED = (401, 403)
API = "/api/accounts/"


@dataclass(frozen=True)
class Node:
    """One gunicorn instance of the hardened example."""

    name: str
    port: int
    server: ServerProcess

    def get(
        self,
        cert: IssuedCertificate | None,
        client_ip: str,
        request_id: str | None = None,
        http: httpx.Client | None = None,
    ) -> httpx.Response:
        """``GET /api/accounts/`` as nginx forwards it for ``client_ip`` presenting ``cert``."""
        headers = {**nginx_headers(cert), "X-Forwarded-For": client_ip}
        if request_id is not None:
            headers["X-Request-ID"] = request_id
        url = f"http://127.0.0.1:{self.port}{API}"
        if http is not None:
            return http.get(url, headers=headers)
        return httpx.get(url, headers=headers, timeout=15)


@dataclass(frozen=True)
class Cluster:
    """Both nodes, the database they share and how to run ``manage.py`` against it."""

    a: Node
    b: Node
    database: str
    env: dict[str, str]
    directory: Path

    def manage(self, *args: str) -> str:
        """Run ``manage.py`` of the hardened example with the nodes' settings; its stdout."""
        return _manage(self.env, *args)

    def bindings(self, sha256: str) -> list[tuple[object, ...]]:
        """Rows of the binding table for a fingerprint: ``(user id, revoked_at)``."""
        return query(
            self.database,
            "SELECT user_id, revoked_at FROM mtlsguard_certificatebinding WHERE sha256 = %s",
            sha256,
        )


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(HARDENED / "manage.py"), *args],
        env={**os.environ, **env},
        cwd=HARDENED,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout


def _gunicorn(port: int) -> list[str]:
    return [
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        "--timeout",
        "30",
        "--graceful-timeout",
        "5",
        "hardened_site.wsgi:application",
    ]


@pytest.fixture(scope="module")
def cluster(
    pki_files: dict[str, Path], ca_bundle: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Migrate and seed a fresh database, then run node A and node B on it and on Redis."""
    directory = tmp_path_factory.mktemp("two-node")
    (directory / "bundle.pem").write_bytes(ca_bundle.read_bytes())
    (directory / "crl.pem").write_bytes(pki_files["crl"].read_bytes())
    with scratch_database() as database, scratch_redis() as cache:
        env = {
            "DJANGO_SETTINGS_MODULE": "tests.integration.shared_settings",
            "PYTHONPATH": os.pathsep.join([str(HARDENED), str(ROOT)]),
            "MTLSGUARD_SHARED_DB": database,
            "MTLSGUARD_SHARED_REDIS": cache,
            "MTLSGUARD_SHARED_DIR": str(directory),
            "MTLSGUARD_SHARED_TTL": str(CACHE_TTL),
        }
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(
            env,
            "seed_demo",
            "--alice-cert",
            str(pki_files["client"]),
            "--bob-cert",
            str(pki_files["other_client"]),
        )
        with _nodes(env, directory) as (a, b):
            yield Cluster(a, b, database, env, directory)


@contextlib.contextmanager
def _nodes(env: dict[str, str], directory: Path, prefix: str = "") -> Iterator[tuple[Node, Node]]:
    """Node A and node B (gunicorn, 2 workers x 4 threads each) with ``env``; stopped on exit."""
    port_a, port_b = free_port(), free_port()
    with (
        ServerProcess.running(
            f"{prefix}node-a", _gunicorn(port_a), port=port_a, run_dir=directory, env=env
        ) as a,
        ServerProcess.running(
            f"{prefix}node-b", _gunicorn(port_b), port=port_b, run_dir=directory, env=env
        ) as b,
    ):
        yield Node("a", port_a, a), Node("b", port_b, b)


@pytest.fixture
def autobind_cluster(cluster: Cluster) -> Iterator[Cluster]:
    """Two more nodes on the same database and Redis, with auto-binding (``subject`` mapping)."""
    env = {**cluster.env, "MTLSGUARD_SHARED_AUTOBIND": "1"}
    with _nodes(env, cluster.directory, prefix="autobind-") as (a, b):
        yield dataclasses.replace(cluster, a=a, b=b, env=env)


def _sha256(cert: IssuedCertificate) -> str:
    return hashlib.sha256(cert.der).hexdigest()


def test_both_nodes_serve_the_bound_certificate_from_the_shared_database(
    cluster: Cluster, pki: TestPKI
) -> None:
    for node in (cluster.a, cluster.b):
        response = node.get(pki.client, "192.0.2.10")
        assert response.status_code == 200, cluster.a.server.logs()
        assert [row["owner"] for row in response.json()] == ["alice"]


def test_failures_counted_on_node_a_throttle_the_client_on_node_b(
    cluster: Cluster, pki: TestPKI
) -> None:
    client_ip = "198.51.100.23"
    # FAILURES is 5: five expired-certificate attempts on A are refused, not yet throttled.
    statuses = [cluster.a.get(pki.expired, client_ip).status_code for _ in range(5)]
    assert all(status in REFUSED for status in statuses), statuses
    throttled = cluster.b.get(pki.expired, client_ip)
    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["Retry-After"]) <= 120
    # B throttles because of A's counts: its own first failure for a fresh client and
    # certificate is an ordinary refusal, and a valid client elsewhere is served.
    assert cluster.b.get(pki.self_signed, "198.51.100.99").status_code in REFUSED
    assert cluster.b.get(pki.client, "198.51.100.24").status_code == 200


@pytest.mark.parametrize("how", ["revoke", "import-crl"])
def test_revocation_through_node_a_is_refused_on_node_b_within_the_cache_ttl(
    cluster: Cluster, pki: TestPKI, how: str
) -> None:
    laptop = pki.intermediate.issue(f"alice-laptop-{how}", emails=["alice@example.com"])
    pem = cluster.directory / f"laptop-{how}.pem"
    pem.write_bytes(laptop.cert_pem)
    cluster.manage("mtlscert", "bind", "alice", str(pem), "--label", "laptop")
    if how == "revoke":  # the binding, by fingerprint
        command = ["mtlscert", "revoke", _sha256(laptop)]
    else:  # the certificate: the CA's CRL lists it (a copy of the CA: the session PKI's
        # own CRL stays as the other tests know it)
        ca = dataclasses.replace(pki.intermediate, revoked=dict(pki.intermediate.revoked))
        ca.revoke(laptop.cert)
        crl = cluster.directory / "intermediate-crl.pem"
        crl.write_bytes(ca.crl().public_bytes(serialization.Encoding.PEM))
        ca_pem = cluster.directory / "intermediate.pem"
        ca_pem.write_bytes(ca.cert.public_bytes(serialization.Encoding.PEM))
        command = ["mtlscert", "import-crl", str(crl), "--ca", str(ca_pem)]
    # Warm the identity caches of every worker of both nodes with the binding.
    for node in (cluster.a, cluster.b):
        for _ in range(8):
            assert node.get(laptop, "192.0.2.20").status_code == 200

    started = time.monotonic()
    assert "revoked 1 binding(s)" in cluster.manage(*command)
    revoked = time.monotonic()
    assert cluster.bindings(_sha256(laptop))[0][1] is not None

    first_refusal = None
    while first_refusal is None and time.monotonic() < revoked + CACHE_TTL + 1:
        status = cluster.b.get(laptop, "192.0.2.20").status_code
        if status in REFUSED:
            first_refusal = time.monotonic()
        else:
            assert status == 200
            time.sleep(0.1)
    assert first_refusal is not None, "node B still served the revoked binding after the TTL"
    # The bound: once CACHE_TTL has passed since the revocation committed, no worker of any
    # node serves the binding (no restart, nothing but the TTL).
    time.sleep(max(0.0, revoked + CACHE_TTL + 0.25 - time.monotonic()))
    for node in (cluster.a, cluster.b):
        statuses = [node.get(laptop, "192.0.2.20").status_code for _ in range(8)]
        assert all(status in REFUSED for status in statuses), (node.name, statuses)
    print(
        f"{how}: command took {revoked - started:.2f}s, node B refused "
        f"{first_refusal - revoked:.2f}s after it returned (bound {CACHE_TTL}s)"
    )


def _first_requests(cluster: Cluster, cert: IssuedCertificate, each: int = 10) -> list[int]:
    """``each`` requests per node with ``cert``, all released at once; their statuses."""
    barrier = threading.Barrier(2 * each, timeout=30)

    def first_request(node: Node) -> int:
        barrier.wait()
        return node.get(cert, "192.0.2.30").status_code

    with ThreadPoolExecutor(2 * each) as pool:
        return list(pool.map(first_request, [cluster.a, cluster.b] * each))


def test_concurrent_first_requests_without_auto_binding_bind_nothing(
    cluster: Cluster, pki: TestPKI
) -> None:
    # The binding mapping never binds by itself: a valid, never-bound certificate maps to
    # nobody, on both nodes at once, and no request creates a binding or a user for it.
    stranger = pki.intermediate.issue("carol", emails=["carol@example.com"])
    statuses = _first_requests(cluster, stranger)
    assert all(status in REFUSED for status in statuses), statuses
    assert cluster.bindings(_sha256(stranger)) == []
    assert query(cluster.database, "SELECT 1 FROM auth_user WHERE username = 'carol'") == []


def test_concurrent_first_requests_with_auto_binding_create_exactly_one_binding(
    autobind_cluster: Cluster, pki: TestPKI
) -> None:
    cluster = autobind_cluster
    cluster.manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; User.objects.create_user('dave')",
    )
    (dave_id,) = query(cluster.database, "SELECT id FROM auth_user WHERE username = 'dave'")[0]
    laptop = pki.intermediate.issue("dave")  # the subject mapping: CN=dave is user dave
    statuses = _first_requests(cluster, laptop)
    assert statuses == [200] * len(statuses), (statuses, cluster.a.server.logs())
    assert [row[0] for row in cluster.bindings(_sha256(laptop))] == [dave_id]
    # The binding it made is the handle to revoke that one certificate on every node.
    cluster.manage("mtlscert", "revoke", _sha256(laptop))
    time.sleep(CACHE_TTL + 0.25)
    statuses = _first_requests(cluster, laptop, each=4)
    assert all(status in REFUSED for status in statuses), statuses
    assert len(cluster.bindings(_sha256(laptop))) == 1


def test_audit_trail_holds_every_decision_of_both_nodes_in_order(
    cluster: Cluster, pki: TestPKI
) -> None:
    run = uuid.uuid4().hex[:8]
    threads, per_thread = 8, 25  # per node: 8 x 25 = 200 concurrent requests
    barrier = threading.Barrier(2 * threads, timeout=30)
    sent: dict[str, int] = {}
    lock = threading.Lock()

    def client(node: Node, number: int) -> None:
        with httpx.Client(timeout=30) as http:
            barrier.wait()
            for seq in range(per_thread):
                # Alternate a bound certificate (allow) and none at all (deny, no_certificate).
                cert = pki.client if seq % 2 == 0 else None
                request_id = f"{run}-{node.name}-{number}-{seq:03d}"
                status = node.get(cert, f"192.0.2.{100 + number}", request_id, http).status_code
                with lock:
                    sent[request_id] = status

    with ThreadPoolExecutor(2 * threads) as pool:
        futures = [
            pool.submit(client, node, number)
            for node in (cluster.a, cluster.b)
            for number in range(threads)
        ]
        for future in futures:
            future.result(timeout=120)
    assert len(sent) == 2 * threads * per_thread
    assert {status for rid, status in sent.items() if int(rid[-3:]) % 2 == 0} == {200}
    assert {status for rid, status in sent.items() if int(rid[-3:]) % 2 == 1} == {401}

    rows = query(
        cluster.database,
        'SELECT id, request_id, decision, reason, status, created, "user" '
        "FROM mtlsguard_auditevent WHERE request_id LIKE %s ORDER BY id",
        f"{run}-%",
    )
    logged = [row[1] for row in rows]
    assert sorted(logged) == sorted(sent), "audit events lost or duplicated"
    for _, request_id, decision, reason, status, _, user in rows:
        assert status == sent[str(request_id)]
        if status == 200:
            assert (decision, user) == ("allow", "alice")
        else:
            assert (decision, reason, user) == ("deny", "no_certificate", "")
    # In order: each client's requests are sequential, so its events must be stored in the
    # order it sent them (ids from PostgreSQL's sequence, timestamps never going back).
    for node in ("a", "b"):
        for number in range(threads):
            prefix = f"{run}-{node}-{number}-"
            mine = [(row[1], row[5]) for row in rows if str(row[1]).startswith(prefix)]
            assert [rid for rid, _ in mine] == sorted(rid for rid, _ in mine)
            created = [when for _, when in mine]
            assert created == sorted(created)  # type: ignore[type-var]
