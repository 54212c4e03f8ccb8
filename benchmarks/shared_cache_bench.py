"""Benchmark: ClientCertificateMiddleware with Django's Redis cache vs the local-memory cache.

Reproduce with a Redis on loopback (``.ci/services`` starts one)::

    .venv/bin/python benchmarks/shared_cache_bench.py            # full run (~30 s)
    .venv/bin/python benchmarks/shared_cache_bench.py --quick    # smoke run
    MTLSGUARD_BENCH_REDIS=redis://127.0.0.1:6379/14 .venv/bin/python benchmarks/...

What is measured: one call of ``ClientCertificateMiddleware`` around a view that returns an
empty ``HttpResponse`` (the middleware's own cost; the request object is built outside the
timed region), for a request forwarded by a trusted nginx (``X-SSL-Client-Cert`` of an
RSA-2048 leaf), in one process, with ``MTLSGUARD["THROTTLE"]["CACHE"]`` pointing at either
cache alias:

* ``allowed``: a bound, valid certificate with warm caches (the steady state of a returning
  client: extract/verify result caches and the in-process certificate -> user cache);
* ``refused``: an expired certificate from a fresh client address each time: every refusal
  reads the throttle counters (``get_many``) and writes the per-peer and per-fingerprint
  counters (``get`` + ``set`` each), the round trips a shared cache adds. ``FAILURES`` is set
  high enough that nothing is throttled.

The two caches take turns in blocks of :data:`BLOCK` calls so machine noise hits both alike.
Wall time (``perf_counter_ns``, which includes waiting for Redis) is the primary figure;
CPU time of the thread is shown too. Medians per call. The Redis DB index is flushed before
and after.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BLOCK = 200
REDIS_URL = os.environ.get("MTLSGUARD_BENCH_REDIS", "redis://127.0.0.1:6379/14")


def configure(directory: Path) -> dict[str, Any]:
    """Configure Django (SQLite in memory, both caches) and return the base MTLSGUARD dict."""
    import django
    from django.conf import settings
    from tests.django.settings import SETTINGS

    from mtlsguard.devserver.pki import TestPKI

    pki = TestPKI.create(key_type="rsa")
    paths = pki.write(directory)
    bundle = directory / "bundle.pem"
    bundle.write_bytes(paths["ca"].read_bytes() + paths["intermediate"].read_bytes())
    conf = dict(SETTINGS)
    conf["INSTALLED_APPS"] = [
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "mtlsguard.django",
    ]
    conf["CACHES"] = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "locmem": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "redis": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 5, "socket_timeout": 5},
        },
    }
    settings.configure(**conf)
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from mtlsguard.django.models import CertificateBinding

    user = get_user_model().objects.create_user("alice")
    CertificateBinding.objects.create(user=user, **CertificateBinding.fields_for(pki.client.cert))
    return {
        "pki": pki,
        "MTLSGUARD": {
            "SOURCE": "nginx",
            "TRUSTED_PROXIES": ["10.0.0.0/8"],
            "CA_BUNDLE": str(bundle),
            "CRL_FILES": [str(paths["crl"])],
            "REQUIRED": "all",
            "AUDIT": {"ENABLED": False},
            "THROTTLE": {"ENABLED": True, "FAILURES": 10**9, "WINDOW": 300},
        },
    }


def main(argv: list[str]) -> int:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    args = parser.parse_args(argv)
    rounds = 3 if args.quick else 25

    with tempfile.TemporaryDirectory() as tmp:
        base = configure(Path(tmp))
        import redis
        from django.conf import settings
        from django.http import HttpResponse
        from django.test import RequestFactory

        from mtlsguard.django.conf import reload_settings
        from mtlsguard.django.middleware import ClientCertificateMiddleware

        server = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
        server.flushdb()
        pki = base["pki"]
        factory = RequestFactory()

        def headers(issued: Any) -> dict[str, str]:
            quoted = urllib.parse.quote(issued.cert_pem.decode("ascii"), safe="")
            return {"HTTP_X_SSL_CLIENT_CERT": quoted, "HTTP_X_SSL_CLIENT_VERIFY": "SUCCESS"}

        good, expired = headers(pki.client), headers(pki.expired)
        counter = iter(range(10**9))

        def request(kind: str) -> Any:
            if kind == "allowed":
                return factory.get("/api/x", REMOTE_ADDR="10.0.0.5", **good)
            n = next(counter)  # a fresh client address: counters are new keys every time
            client = f"198.{18 + (n >> 16) % 2}.{(n >> 8) % 256}.{n % 256}"
            return factory.get(
                "/api/x", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=client, **expired
            )

        def use(cache: str) -> Callable[[Any], Any]:
            settings.MTLSGUARD = {
                **base["MTLSGUARD"],
                "THROTTLE": {**base["MTLSGUARD"]["THROTTLE"], "CACHE": cache},
            }
            reload_settings()
            return ClientCertificateMiddleware(lambda r: HttpResponse(b""))

        samples: dict[tuple[str, str], tuple[list[int], list[int]]] = {
            (kind, cache): ([], [])
            for kind in ("allowed", "refused")
            for cache in ("locmem", "redis")
        }
        expected = {"allowed": 200, "refused": 403}
        for round_no in range(rounds + 1):  # round 0 is the warm-up
            for kind in ("allowed", "refused"):
                for cache in ("locmem", "redis"):
                    middleware = use(cache)
                    wall, cpu = samples[kind, cache]
                    for _ in range(BLOCK):
                        req = request(kind)
                        w0, c0 = time.perf_counter_ns(), time.thread_time_ns()
                        response = middleware(req)
                        c1, w1 = time.thread_time_ns(), time.perf_counter_ns()
                        if response.status_code != expected[kind]:
                            raise SystemExit(f"{kind}/{cache}: status {response.status_code}")
                        if round_no:
                            wall.append(w1 - w0)
                            cpu.append(c1 - c0)
        keys = server.dbsize()
        server.flushdb()
        if keys == 0:
            raise SystemExit("the redis alias stored no throttle counters: nothing was measured")

    print(f"# shared_cache_bench ({platform.python_version()}, {rounds} x {BLOCK} calls each)")
    print("| request | locmem wall | redis wall | redis - locmem | locmem CPU | redis CPU |")
    print("|---------|------------:|-----------:|---------------:|-----------:|----------:|")
    for kind in ("allowed", "refused"):
        lw, lc = (statistics.median(s) / 1000 for s in samples[kind, "locmem"])
        rw, rc = (statistics.median(s) / 1000 for s in samples[kind, "redis"])
        print(
            f"| {kind} | {lw:.1f} µs | {rw:.1f} µs | {rw - lw:+.1f} µs | "
            f"{lc:.1f} µs | {rc:.1f} µs |"
        )
    print(f"(redis held {keys} throttle keys before the final flush)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
