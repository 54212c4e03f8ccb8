"""The demo as a run: stage both examples, scan and probe them, assess each side.

The staging (a throwaway PKI, both examples twice on loopback, their databases) is
:mod:`mtlsguard.demo`'s; the static scan is a static run of each example's source tree; the
probes use its route inventory; :func:`mtlsguard.app.combined.combine` puts each side's
static and dynamic findings side by side (``confirm=False``: the demo shows what each source
saw) under one score. Every server is stopped before :func:`run_demo` returns.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Final

from mtlsguard.app.combined import combine
from mtlsguard.app.rules import rules_of
from mtlsguard.app.static import StaticRun, run_static
from mtlsguard.demo.result import PROBE_MTLS, PROBE_ORIGIN, STATIC, DemoResult, SideResult
from mtlsguard.demo.servers import sigterm_as_interrupt, stage_servers
from mtlsguard.demo.stage import (
    PROJECTS,
    DemoError,
    Identities,
    build_pki,
    examples_dir,
    run_side_by_side,
)
from mtlsguard.findings.assessment import Assessment, RunKind
from mtlsguard.probe.config import Identity, ProbeConfig
from mtlsguard.probe.discovery import Endpoint, endpoints_from_routes
from mtlsguard.probe.runner import ProbeResult, probe

__all__ = ["PROBE_MAX_TIME", "STARTUP_TIMEOUT", "run_demo"]

STARTUP_TIMEOUT: Final = 40.0
"""Seconds to migrate and seed both examples and for their four servers to listen."""
PROBE_MAX_TIME: Final = 30.0
"""Seconds each probe run may take at most."""
_NOTE: Final = (
    "Static scan of the source tree, and probes over mutual TLS (alice's certificate without "
    "application credentials; alice against bob's objects) and of the app port (forged "
    "forwarded-certificate headers)."
)

Say = Callable[[str], None]


def _probe_config(url: str, pki: Identities) -> ProbeConfig:
    return ProbeConfig(
        base_url=url,
        identity=Identity("A", *pki.alice),
        peer=Identity("B", *pki.bob),
        cacert=pki.ca_cert,
        max_time=PROBE_MAX_TIME,
        timeout=10.0,
    )


async def _probe_all(plans: list[tuple[ProbeConfig, list[Endpoint]]]) -> list[ProbeResult]:
    return list(await asyncio.gather(*(probe(config, found) for config, found in plans)))


def _side(name: str, static: Assessment, mtls: ProbeResult, origin: ProbeResult) -> SideResult:
    combined = combine(
        static.result,
        [(PROBE_MTLS, mtls), (PROBE_ORIGIN, origin)],
        confirm=False,
        static_label=STATIC,
    )
    assessment = replace(
        static,
        kind=RunKind.COMBINED,
        rules=rules_of(RunKind.COMBINED),
        result=combined.raw,
        grade=combined.score,
        notes=(_NOTE,),
        title=f"mtlsguard demo: {name} example",
        sections={
            "demo": {
                "project": name,
                **combined.score.as_dict(),
                "mtls": mtls.summary(),
                "app_port": origin.summary(),
            }
        },
    )
    # The summary names each probe finding's route as the probe saw it (a template).
    findings = tuple(
        (source, entry.dynamic[0] if not entry.static else entry.finding)
        for source, entry in zip(combined.sources, combined.entries, strict=True)
    )
    return SideResult(
        name=name,
        source=Path(static.result.root),
        static=static.result,
        mtls=mtls,
        origin=origin,
        score=combined.score,
        findings=findings,
        assessment=assessment,
    )


def run_demo(workdir: Path | None = None, *, say: Say | None = None) -> DemoResult:
    """Stage, scan and probe both examples; every server is stopped before this returns.

    ``workdir`` holds the PKI, the project copies, their databases and server logs (a
    temporary directory, removed afterwards, when ``None``).

    :raises DemoError: when the examples are missing or a server does not start or answer.
    :raises PKIError: when the throwaway PKI cannot be written.
    :raises ProbeSetupError: when a certificate or key of the PKI is unusable.
    :raises RunError: when the static scan of an example cannot run.
    :raises KeyboardInterrupt: on Ctrl-C or SIGTERM (after stopping the servers).
    """
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="mtlsguard-demo-") as tmp:
            return run_demo(Path(tmp), say=say)
    started = time.monotonic()

    def tell(line: str) -> None:
        if say is not None:
            say(f"[{time.monotonic() - started:4.1f}s] {line}")

    examples = examples_dir()
    tell(f"examples from {examples}")
    pki = build_pki(workdir / "pki")
    tell(f"throwaway PKI in {pki.directory}: a local CA, alice's and bob's client certificates")
    deadline = time.monotonic() + STARTUP_TIMEOUT
    stage = stage_servers(workdir, examples, pki, deadline)
    with sigterm_as_interrupt():
        try:
            # Django opens the database at the first request, so the servers start while the
            # databases are prepared; nobody sends them a request before both are seeded.
            for server in stage.servers:
                server.start()
            tell("starting both examples under the embedded mTLS server and as plain app servers")
            tell("migrating and seeding both examples (alice, bob, their certificate bindings)")
            run_side_by_side(stage.preparations)
            for prepared, copy in stage.copies:
                shutil.copyfile(prepared, copy)
            statics = {}
            for name in PROJECTS:
                statics[name] = run_static(StaticRun(examples / name, excerpts=True)).assessment
                tell(f"static scan of {name}: {len(statics[name].result.findings)} finding(s)")
            urls = {server.name: server.wait_ready(deadline) for server in stage.servers}
            for label, url in urls.items():
                tell(f"{label}: {url}")
            plans = [
                (_probe_config(server.url, pki), endpoints_from_routes(statics[name].result.routes))
                for name in PROJECTS
                for server in stage.servers
                if server.name.startswith(f"{name} ")
            ]
            tell(
                "probing: no certificate, alice's certificate alone, alice against bob's "
                "objects, forged proxy headers"
            )
            results = asyncio.run(_probe_all(plans))
        finally:
            for server in stage.servers:
                server.stop()
    sides = []
    for index, name in enumerate(PROJECTS):
        mtls, origin = results[2 * index], results[2 * index + 1]
        for result in (mtls, origin):
            if result.reached == 0:
                raise DemoError(
                    f"the {name} server at {result.base_url} never answered alice's requests"
                    + "".join(f"\n  {e.path}: {e.message}" for e in result.errors[:5])
                )
        sides.append(_side(name, statics[name], mtls, origin))
    return DemoResult(tuple(sides), time.monotonic() - started, urls)
