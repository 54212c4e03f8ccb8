"""Benchmark: the probe's HTTP engine vs ApacheBench over mutual TLS, and a 1,000-route probe.

Set up once (ApacheBench is Debian's ``apache2-utils``; ``.ci/run`` installs it too)::

    apt-get install -y apache2-utils        # ab 2.3: `-E` presents a client certificate
    python3.11 -m venv .venv && .venv/bin/pip install -e '.[django,drf,dev]'   # dev: gunicorn

Run (from the repository root)::

    .venv/bin/python benchmarks/probe_bench.py             # full run (~3-6 min on 2 cores)
    .venv/bin/python benchmarks/probe_bench.py --quick     # smoke run
    .venv/bin/python benchmarks/probe_bench.py --json      # machine-readable
    .venv/bin/python benchmarks/probe_bench.py --skip-routes   # the rate comparison only
    .venv/bin/python benchmarks/probe_bench.py --src DIR/src   # an older tree's mtlsguard

Set-up made by the script (in a temporary directory, removed afterwards): a throwaway PKI from
:class:`mtlsguard.devserver.pki.TestPKI` (EC P-256; root -> intermediate -> server and two
clients), ``examples/vulnerable`` migrated and seeded (``seed_demo``) into its own SQLite
file, and gunicorn serving it over TLS that *requires* a client certificate verified against
the root (``--certfile/--keyfile --ca-certs --cert-reqs 2``; gthread workers, keep-alive 30 s,
no access log, ``DJANGO_DEBUG`` off).

**Rate** (peer: ApacheBench 2.3 from ``apache2-utils``): the same endpoint
(``GET /api/accounts/``, DRF ``ListAPIView`` answering 154 bytes of JSON from SQLite), the
same client certificate (``ab -E client-with-key.pem``; the probe's identity A), the same TLS
(TLS 1.3, certificate verified by the server), the same concurrency ``C``, keep-alive on both
(``ab -k``: HTTP/1.0 + ``Connection: keep-alive``; the probe: HTTP/1.1 pooled connections),
``N`` requests each. The probe side is the probe's real engine,
:meth:`mtlsguard.probe.client.ProbeClient.send` -- every bound and check it applies in a
probe run -- driven the way the runner drives it (``asyncio.gather`` over all requests; the
client's semaphore keeps ``C`` in flight), with ``concurrency=C`` and ``max_requests=N``
(the bounds are raised, not removed). Each side runs in its own process; ab's figure is its
own "Requests per second", the probe's is N over the time from opening the client to the last
response (both include the TLS handshakes of their ``C`` connections). The two take turns,
alternating who goes first, for ``--rounds`` rounds after one warm-up of each; every request
must get a 200. Reported: per round both rates and their ratio, the median ratio, and CPU
per request of the client and of the gunicorn workers (read from ``/proc``), which shows the
server did the same work for both.

**1,000 routes**: a generated Django project (no database) with 1,000 routes in one URLconf
-- 250 each of: an open collection ``api/open<i>/`` (two objects of alice and bob, to any
certificate holder), its open detail ``api/open<i>/<int:pk>/`` (any object: BOLA), a
collection ``api/gated<i>/`` that answers 403 unless ``X-SSL-Client-Verify: SUCCESS`` (the
seed's BillingView: forgeable) and its gated detail. ``mtlsguard routes DIR --format json``
makes the routes file; gunicorn serves the project over the same mTLS; then
``mtlsguard probe URL --cert A --key A --cacert CA --peer-cert B --peer-key B --routes FILE
--max-requests 1000000 --max-time 3600 --format json --no-progress`` (every default probe:
no certificate, A's certificate only, B's, BOLA, forged headers; default concurrency 8) is
timed end to end (process start to exit) and its report gives requests sent and findings.

Target (issue 5): the probe reaches at least 70% of ab's requests per second.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
ENDPOINT = "/api/accounts/"
TARGET = 0.70


def machine() -> dict[str, str]:
    import httpcore
    import httpx

    ab = subprocess.run(["ab", "-V"], capture_output=True, text=True).stdout.splitlines()
    gunicorn = subprocess.run([str(BIN / "gunicorn"), "--version"], capture_output=True, text=True)
    return {
        "nproc": str(os.cpu_count()),
        "loadavg": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "httpx": httpx.__version__,
        "httpcore": httpcore.__version__,
        "ab": ab[0].removeprefix("This is ApacheBench, ") if ab else "?",
        "gunicorn": gunicorn.stdout.strip() or gunicorn.stderr.strip(),
        "platform": platform.platform(),
    }


# ---------------------------------------------------------------- set-up


def make_pki(directory: Path) -> dict[str, Path]:
    """Throwaway PKI on disk, plus ``client-ab.pem`` (chain + key in one file, for ``ab -E``)."""
    from mtlsguard.devserver.pki import TestPKI

    files = TestPKI.create().write(directory)
    files["client_ab"] = directory / "client-ab.pem"
    files["client_ab"].write_bytes(files["client"].read_bytes() + files["client_key"].read_bytes())
    files["bundle"] = directory / "client-ca.pem"
    files["bundle"].write_bytes(files["ca"].read_bytes() + files["intermediate"].read_bytes())
    return files


def example_env(pki: dict[str, Path], directory: Path) -> dict[str, str]:
    project = REPO / "examples" / "vulnerable"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vulnerable_site.settings",
        "PYTHONPATH": os.pathsep.join([str(project), str(REPO / "src")]),
        "DJANGO_DB_PATH": str(directory / "db.sqlite3"),
        "DJANGO_DEBUG": "0",
        "MTLSGUARD_CA_BUNDLE": str(pki["bundle"]),
        "MTLSGUARD_CRL_FILES": str(pki["crl"]),
        "MTLSGUARD_DEMO_ALICE_CERT": str(pki["client"]),
        "MTLSGUARD_DEMO_BOB_CERT": str(pki["other_client"]),
    }


def seed_example(env: dict[str, str]) -> None:
    project = REPO / "examples" / "vulnerable"
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=project,
            env=env,
            check=True,
            capture_output=True,
        )


@contextlib.contextmanager
def gunicorn(
    app: str, cwd: Path, env: dict[str, str], pki: dict[str, Path], log: Path, threads: int
) -> Iterator[tuple[int, list[int]]]:
    """gunicorn over mTLS on a free loopback port; yields the port and the worker pids."""
    command = [
        *(str(BIN / "gunicorn"), app, "--bind", "127.0.0.1:0"),
        *("--worker-class", "gthread", "--workers", "2", "--threads", str(threads)),
        *("--keep-alive", "30", "--backlog", "512", "--graceful-timeout", "5"),
        *("--certfile", str(pki["server"]), "--keyfile", str(pki["server_key"])),
        *("--ca-certs", str(pki["ca"]), "--cert-reqs", "2"),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        port = None
        while port is None:
            found = re.search(r"Listening at: https://127\.0\.0\.1:(\d+)", log.read_text())
            port = int(found.group(1)) if found else None
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)
        while len(_children(process.pid)) < 2 or "Booting worker" not in log.read_text():
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn workers did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)
        time.sleep(1.0)  # the workers import Django after they are forked
        yield port, _children(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / ticks


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------- rate: ab vs the probe engine


def run_ab(url: str, n: int, c: int, pki: dict[str, Path]) -> dict[str, Any]:
    """One ApacheBench run; its own requests/s, failures, keep-alive count, client CPU."""
    command = ["ab", "-q", "-k", "-n", str(n), "-c", str(c), "-E", str(pki["client_ab"]), url]
    before = _children_cpu()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    cpu = _children_cpu() - before
    out = done.stdout

    def number(label: str) -> float:
        found = re.search(rf"^{label}:\s+([\d.]+)", out, re.MULTILINE)
        return float(found.group(1)) if found else 0.0

    if done.returncode != 0 or not number("Complete requests"):
        raise RuntimeError(f"ab failed ({done.returncode}): {done.stderr[-1000:]}{out[-1000:]}")
    ok = int(number("Complete requests")) - int(number("Failed requests"))
    ok -= int(number("Non-2xx responses"))
    return {
        "rps": number("Requests per second"),
        "ok": ok,
        "keepalive": int(number("Keep-Alive requests")),
        "client_cpu_ms": cpu / n * 1000,
        "tls": (re.search(r"SSL/TLS Protocol:\s+(\S+)", out) or [None, "?"])[1],
    }


def run_engine(
    url: str, n: int, c: int, pki: dict[str, Path], src: Path | None = None
) -> dict[str, Any]:
    """The probe's engine in its own process (see :func:`engine_worker`).

    ``src``: import mtlsguard from this ``src`` directory instead (an older tree, to compare).
    """
    command = [sys.executable, __file__, "--engine-worker", url, str(n), str(c), str(pki["ca"])]
    command += [str(pki["client"]), str(pki["client_key"])]
    env = {**os.environ, "PYTHONPATH": str(src)} if src is not None else None
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"engine worker failed: {done.stderr[-2000:]}")
    return dict(json.loads(done.stdout))


def engine_worker(argv: list[str]) -> None:
    """``N`` GETs of :data:`ENDPOINT` through ``ProbeClient.send`` at concurrency ``C``."""
    url, n, c, cacert, cert, key = argv[0], int(argv[1]), int(argv[2]), *argv[3:6]
    try:
        from mtlsguard.probe.client import ProbeClient
        from mtlsguard.probe.config import Identity, ProbeConfig
    except ModuleNotFoundError:  # --src of a tree from before the probe left mtlsguard.scan
        from mtlsguard.scan.probe.client import ProbeClient  # type: ignore[no-redef]
        from mtlsguard.scan.probe.config import Identity, ProbeConfig  # type: ignore[no-redef]

    identity = Identity("A", Path(cert), Path(key))
    config = ProbeConfig(
        base_url=url,
        identity=identity,
        cacert=Path(cacert),
        concurrency=c,
        max_requests=n,
        max_time=3600.0,
    )

    async def main() -> dict[str, Any]:
        started, cpu = time.perf_counter(), time.process_time()
        async with ProbeClient(config) as client:
            sent = [client.send(identity, "GET", ENDPOINT) for _ in range(n)]
            exchanges = await asyncio.gather(*sent)
        elapsed = time.perf_counter() - started
        failures = sorted({e.failure for e in exchanges if e.failure})[:3]
        return {
            "rps": n / elapsed,
            "ok": sum(e.status == 200 for e in exchanges),
            "client_cpu_ms": (time.process_time() - cpu) / n * 1000,
            "failures": failures,
        }

    print(json.dumps(asyncio.run(main())))


def bench_rate(
    port: int,
    workers: list[int],
    pki: dict[str, Path],
    n: int,
    c: int,
    rounds: int,
    src: Path | None = None,
) -> list[dict[str, Any]]:
    url = f"https://127.0.0.1:{port}{ENDPOINT}"
    base = f"https://127.0.0.1:{port}/"
    run_ab(url, max(200, n // 5), c, pki)  # warm-up: workers import, SQLite pages cached
    run_engine(base, max(200, n // 5), c, pki, src)
    rows = []
    for index in range(rounds):
        row: dict[str, Any] = {"round": index + 1}
        order = ("ab", "probe") if index % 2 == 0 else ("probe", "ab")
        for tool in order:
            server_before = _cpu_seconds(workers)
            got = run_ab(url, n, c, pki) if tool == "ab" else run_engine(base, n, c, pki, src)
            got["server_cpu_ms"] = (_cpu_seconds(workers) - server_before) / n * 1000
            if got["ok"] != n:
                raise RuntimeError(f"{tool}: only {got['ok']} of {n} requests got a 2xx: {got}")
            row[tool] = got
        row["ratio"] = row["probe"]["rps"] / row["ab"]["rps"]
        row["loadavg"] = os.getloadavg()[0]
        rows.append(row)
        print_round(row, to=sys.stderr)
    return rows


def print_round(row: dict[str, Any], to: Any = sys.stdout) -> None:
    ab, probe = row["ab"], row["probe"]
    print(
        f"round {row['round']}: ab {ab['rps']:7.1f} req/s  probe {probe['rps']:7.1f} req/s  "
        f"ratio {row['ratio']:.2f}   client CPU/req ab {ab['client_cpu_ms']:.2f} ms, probe "
        f"{probe['client_cpu_ms']:.2f} ms   server CPU/req {ab['server_cpu_ms']:.2f} / "
        f"{probe['server_cpu_ms']:.2f} ms   load {row['loadavg']:.1f}",
        file=to,
    )


# ---------------------------------------------------------------- 1,000 routes


ROUTES_SETTINGS = """\
SECRET_KEY = "bench"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "routes_site.urls"
INSTALLED_APPS = []
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
DATABASES = {}
USE_TZ = True
"""

ROUTES_VIEWS = """\
from django.http import Http404, HttpResponseForbidden, JsonResponse

OBJECTS = [
    {"id": 1, "owner": "alice", "iban": "DE89370400440532013000", "balance": "1520.00"},
    {"id": 2, "owner": "bob", "iban": "DE02120300000000202051", "balance": "98000.00"},
]


def _gate(request, gated):
    # the seed's BillingView: "the proxy said the certificate verified"
    return gated and request.META.get("HTTP_X_SSL_CLIENT_VERIFY") != "SUCCESS"


def collection(request, gated=False):
    if _gate(request, gated):
        return HttpResponseForbidden("client certificate required")
    return JsonResponse(OBJECTS, safe=False)


def detail(request, pk, gated=False):
    if _gate(request, gated):
        return HttpResponseForbidden("client certificate required")
    for item in OBJECTS:
        if item["id"] == pk:
            return JsonResponse(item)
    raise Http404
"""


def write_routes_project(directory: Path, count: int) -> Path:
    """A Django project with ``count`` routes (a multiple of 4) written out literally."""
    site = directory / "routes_site"
    site.mkdir(parents=True)
    (site / "__init__.py").write_text("")
    (site / "settings.py").write_text(ROUTES_SETTINGS)
    (site / "views.py").write_text(ROUTES_VIEWS)
    (site / "wsgi.py").write_text(
        "import os\nfrom django.core.wsgi import get_wsgi_application\n"
        'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "routes_site.settings")\n'
        "application = get_wsgi_application()\n"
    )
    lines = ["from django.urls import path", "", "from routes_site import views", ""]
    lines.append("urlpatterns = [")
    for i in range(count // 4):
        for kind, extra in (("open", ""), ("gated", ', {"gated": True}')):
            lines.append(f'    path("api/{kind}{i}/", views.collection{extra}),')
            lines.append(f'    path("api/{kind}{i}/<int:pk>/", views.detail{extra}),')
    lines.append("]")
    (site / "urls.py").write_text("\n".join(lines) + "\n")
    (directory / "manage.py").write_text(
        "import os, sys\n"
        'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "routes_site.settings")\n'
        "from django.core.management import execute_from_command_line\n"
        "execute_from_command_line(sys.argv)\n"
    )
    return directory


def bench_routes(
    directory: Path, pki: dict[str, Path], count: int, src: Path | None = None
) -> dict[str, Any]:
    """The 1,000-route probe, timed end to end (``src``: the ``mtlsguard`` of that tree)."""
    project = write_routes_project(directory / "routes-project", count)
    routes_file = directory / "routes.json"
    mtlsguard = str(BIN / "mtlsguard")
    listing = [mtlsguard, "routes", str(project), "--format", "json", "--output", str(routes_file)]
    # PYTHONPATH comes before the installed (editable) package: an older tree is imported.
    cli_env = {**os.environ, "PYTHONPATH": str(src)} if src is not None else None
    done = subprocess.run(listing, capture_output=True, text=True, check=False, env=cli_env)
    if done.returncode not in (0, 1):  # 1: open routes were found (all of them are open)
        raise RuntimeError(f"mtlsguard routes failed ({done.returncode}): {done.stderr[-2000:]}")
    listed = len(json.loads(routes_file.read_text())["routes"])
    env = {
        **os.environ,
        "PYTHONPATH": str(project),
        "DJANGO_SETTINGS_MODULE": "routes_site.settings",
    }
    log = directory / "gunicorn-routes.log"
    with gunicorn("routes_site.wsgi:application", project, env, pki, log, threads=8) as (port, _):
        report = directory / "probe.json"
        command = [
            *(mtlsguard, "probe", f"https://127.0.0.1:{port}/"),
            *("--cert", str(pki["client"]), "--key", str(pki["client_key"])),
            *("--cacert", str(pki["ca"])),
            *("--peer-cert", str(pki["other_client"]), "--peer-key", str(pki["other_client_key"])),
            *("--routes", str(routes_file), "--max-requests", "1000000", "--max-time", "3600"),
            *("--format", "json", "--output", str(report), "--no-progress"),
        ]
        cpu_before = _children_cpu()
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False, env=cli_env)
        wall = time.perf_counter() - started
        cpu = _children_cpu() - cpu_before
    if done.returncode not in (0, 1):
        raise RuntimeError(f"mtlsguard probe failed ({done.returncode}): {done.stderr[-2000:]}")
    document = json.loads(report.read_text())
    summary = document["probe"]
    by_rule: dict[str, int] = {}
    for finding in document.get("findings", []):
        by_rule[finding["rule_id"]] = by_rule.get(finding["rule_id"], 0) + 1
    return {
        "routes_listed": listed,
        "routes_probed": summary["routes"],
        "paths": summary["paths"],
        "requests_sent": summary["requests_sent"],
        "probe_elapsed_s": summary["elapsed_seconds"],
        "wall_s": wall,
        "client_cpu_s": cpu,
        "requests_per_s": summary["requests_sent"] / summary["elapsed_seconds"],
        "findings_by_rule": dict(sorted(by_rule.items())),
        "errors": len(document.get("errors", [])),
        "grade": summary.get("grade"),
        "exit_code": done.returncode,
    }


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per side per round")
    parser.add_argument("--concurrency", type=int, default=8, help="C for ab and the probe")
    parser.add_argument("--rounds", type=int, default=5, help="ab/probe pairs (after warm-up)")
    parser.add_argument("--routes", type=int, default=1000, help="routes of the generated app")
    parser.add_argument("--skip-routes", action="store_true", help="the rate comparison only")
    parser.add_argument(
        "--src",
        type=Path,
        help="import mtlsguard from this src/ directory (e.g. an older tree exported with "
        "`git archive REV src | tar -x -C DIR`) to compare: the engine of the rate rounds and "
        "the `mtlsguard` of the 1,000-route run",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.rounds, args.routes = 300, 2, 40
    if shutil.which("ab") is None:
        print("ab not found: apt-get install apache2-utils", file=sys.stderr)
        return 2
    info = machine()
    with tempfile.TemporaryDirectory(prefix="probe-bench-") as tmp:
        directory = Path(tmp)
        pki = make_pki(directory / "pki")
        env = example_env(pki, directory)
        seed_example(env)
        project = REPO / "examples" / "vulnerable"
        log = directory / "gunicorn.log"
        threads = max(4, args.concurrency)
        with gunicorn("vulnerable_site.wsgi:application", project, env, pki, log, threads) as (
            port,
            workers,
        ):
            rows = bench_rate(
                port, workers, pki, args.requests, args.concurrency, args.rounds, args.src
            )
        routes = None if args.skip_routes else bench_routes(directory, pki, args.routes, args.src)
    info["loadavg_after"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    ratio = statistics.median(r["ratio"] for r in rows)
    met = ratio >= TARGET
    settings: dict[str, object] = {"requests": args.requests, "concurrency": args.concurrency}
    settings.update(rounds=args.rounds, src=str(args.src or "installed"))
    if args.json:
        out = {"machine": info, "settings": settings, "rate": rows, "median_ratio": ratio}
        print(json.dumps({**out, "target_met": met, "routes": routes}, indent=2))
        return 0 if met else 1
    print(" ".join(f"{k}={v}" for k, v in info.items()))
    print(
        f"GET {ENDPOINT} (examples/vulnerable) over mTLS, N={args.requests} per side per round, "
        f"C={args.concurrency}, keep-alive both, TLS {rows[0]['ab']['tls']}"
    )
    if args.src is not None:
        print(f"mtlsguard (engine and 1,000-route run) imported from {args.src}")
    for row in rows:
        print_round(row)
    ab_rps = statistics.median(r["ab"]["rps"] for r in rows)
    probe_rps = statistics.median(r["probe"]["rps"] for r in rows)
    print(f"median: ab {ab_rps:.1f} req/s, probe {probe_rps:.1f} req/s; median ratio {ratio:.2f}")
    print(f"target: probe >= {TARGET:.0%} of ab: " + ("MET" if met else "MISSED"))
    if routes is not None:
        print(
            f"\n{routes['routes_probed']} routes ({routes['routes_listed']} listed), "
            f"{routes['paths']} paths, {routes['requests_sent']} requests in "
            f"{routes['probe_elapsed_s']:.1f} s of probing ({routes['requests_per_s']:.0f} req/s); "
            f"`mtlsguard probe` wall {routes['wall_s']:.1f} s, CPU {routes['client_cpu_s']:.1f} s; "
            f"findings {routes['findings_by_rule']}, errors {routes['errors']}, "
            f"grade {routes['grade']}, exit {routes['exit_code']}"
        )
    return 0 if met else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--engine-worker"]:
        engine_worker(sys.argv[2:])
        sys.exit(0)
    sys.exit(main())
