"""One demo run: stage both examples, scan and probe them, and write the reports.

Each example runs twice on loopback, from copies in a temporary directory, each with its own
throwaway SQLite database (migrated and seeded with alice, bob and their certificate
bindings): under the embedded mTLS dev server (every client must present a certificate of
the demo's CA), and as the plain-http app server that sits behind a TLS-terminating proxy,
reached directly -- where forged forwarded-certificate headers show whether the app believes
them (the hardened one believes them only from its proxy's address). The static scanner reads
each example's source tree; its route inventory tells the probe what to request. Every server
process is stopped on every path out (errors, Ctrl-C, SIGTERM); a server whose parent dies
anyway stops when its standard input closes.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from mtlsguard.demo.stage import (
    PROJECTS,
    PROXY_ADDRESS,
    DemoError,
    Identities,
    ServerProcess,
    build_pki,
    copy_project,
    examples_dir,
    prepare_database,
    run_side_by_side,
)
from mtlsguard.findings.model import Finding, ScanError, ScanResult
from mtlsguard.probe.config import Identity, ProbeConfig
from mtlsguard.probe.discovery import (
    Endpoint,
    django_pattern_to_template,
    endpoints_from_routes,
)
from mtlsguard.probe.rules import Category
from mtlsguard.probe.runner import ProbeResult, probe
from mtlsguard.probe.scoring import Score, score_findings

__all__ = ["STARTUP_TIMEOUT", "DemoResult", "SideResult", "run_demo"]

STARTUP_TIMEOUT: Final = 40.0
"""Seconds to migrate and seed both examples and for their four servers to listen."""
PROBE_MAX_TIME: Final = 30.0
"""Seconds each probe run may take at most."""

#: Sources a finding can come from, as the summary names them.
STATIC: Final = "static scan"
PROBE_MTLS: Final = "probe over mTLS"
PROBE_ORIGIN: Final = "probe of the app port"

Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class SideResult:
    """What the demo found on one example project."""

    name: str
    """``vulnerable`` or ``hardened``."""
    source: Path
    """The source tree the static scan read."""
    static: ScanResult
    """The static scan (after the project's config and inline suppressions)."""
    mtls: ProbeResult
    """The probe against the embedded mTLS server (alice as A, bob as B)."""
    origin: ProbeResult
    """The probe against the plain-http app server reached directly (forged headers)."""
    score: Score
    """Score and grade of both probe runs together."""
    findings: tuple[tuple[str, Finding], ...]
    """Every finding with where it came from (:data:`STATIC`, :data:`PROBE_MTLS`, ...)."""

    def merged(self) -> ScanResult:
        """Static and dynamic findings, routes and errors as one result for the reports."""
        errors: tuple[ScanError, ...] = (
            *self.static.errors,
            *(ScanError(e.path, f"{PROBE_MTLS}: {e.message}") for e in self.mtls.errors),
            *(ScanError(e.path, f"{PROBE_ORIGIN}: {e.message}") for e in self.origin.errors),
        )
        # Probe findings name routes as templates (/api/accounts/{pk}/); the report groups
        # them with the static findings under the Django pattern they came from.
        patterns = {django_pattern_to_template(r.pattern): r.pattern for r in self.static.routes}
        findings = tuple(
            replace(f, route=patterns.get(f.route, f.route)) if source != STATIC else f
            for source, f in self.findings
        )
        return ScanResult(
            root=self.static.root,
            findings=findings,
            routes=self.static.routes,
            errors=errors,
            files_scanned=self.static.files_scanned,
            lines_scanned=self.static.lines_scanned,
        )


@dataclass(frozen=True, slots=True)
class DemoResult:
    """Both sides and how long the demo took."""

    sides: tuple[SideResult, ...]
    """In :data:`~mtlsguard.demo.stage.PROJECTS` order."""
    elapsed: float
    """Seconds from start to the last probe answer."""
    urls: dict[str, str]
    """Server name → base URL (they are stopped by the time this is returned)."""


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM ends the demo like Ctrl-C does, through every ``finally`` (servers stop)."""

    def _raise(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, _raise)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stage(
    workdir: Path, examples: Path, pki: Identities, deadline: float
) -> tuple[list[ServerProcess], list[Iterator[Any]], list[tuple[Path, Path]]]:
    """Per project: a copy, its database preparation, and two servers.

    Over mTLS and as the plain app server behind a proxy; each server gets its own copy of the
    prepared database (the second one is copied once the first is seeded).
    """
    servers: list[ServerProcess] = []
    preparations: list[Iterator[Any]] = []
    copies: list[tuple[Path, Path]] = []
    for name in PROJECTS:
        project = copy_project(examples, name, workdir)
        env = {
            "MTLSGUARD_DEMO_PKI": str(pki.directory),
            "MTLSGUARD_DEMO_ALICE_CERT": str(pki.alice[0]),
            "MTLSGUARD_DEMO_BOB_CERT": str(pki.bob[0]),
            "MTLSGUARD_CA_BUNDLE": str(pki.directory / "ca-bundle.pem"),
            "MTLSGUARD_CRL_FILES": str(pki.directory / "crl.pem"),
            "DJANGO_DEBUG": "",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        databases = {mode: workdir / f"{name}-{mode}.sqlite3" for mode in ("mtls", "origin")}
        log = workdir / f"{name}-manage.log"
        prepared = {**env, "DJANGO_DB_PATH": str(databases["mtls"])}
        preparations.append(prepare_database(project, prepared, log, deadline, name=name))
        copies.append((databases["mtls"], databases["origin"]))
        settings = ["--django-settings", f"{name}_site.settings"]
        modes = (
            ("mtls", f"{name} over mTLS", ["--pki", str(pki.directory)], "wsgi-ssl", ""),
            ("origin", f"{name} app port", ["--plain"], "nginx", PROXY_ADDRESS),
        )
        for mode, label, serve_args, source, proxies in modes:
            servers.append(
                ServerProcess(
                    name=label,
                    project=project,
                    args=[*settings, *serve_args],
                    env={
                        **env,
                        "DJANGO_DB_PATH": str(databases[mode]),
                        "MTLSGUARD_SOURCE": source,
                        "MTLSGUARD_TRUSTED_PROXIES": proxies,
                    },
                    log=workdir / f"{name}-{mode}.log",
                )
            )
    return servers, preparations, copies


def _endpoints(result: ScanResult) -> list[Endpoint]:
    """The static route inventory as the probe's discovery (what ``--routes`` reads)."""
    return endpoints_from_routes(result.routes)


def _static_scan(source: Path) -> ScanResult:
    """``mtlsguard scan`` of one example tree: engine, then config and inline suppressions."""
    from mtlsguard.app.config import load_config
    from mtlsguard.app.triage import triage_scan
    from mtlsguard.scan.engine import scan_project

    raw = scan_project(source)
    return triage_scan(raw, source, load_config(source)).result


def _probe_config(url: str, pki: Identities) -> ProbeConfig:
    return ProbeConfig(
        base_url=url,
        identity=Identity("A", *pki.alice),
        peer=Identity("B", *pki.bob),
        cacert=pki.ca_cert,
        max_time=PROBE_MAX_TIME,
        timeout=10.0,
    )


async def _probe_all(
    plans: list[tuple[ProbeConfig, list[Endpoint]]],
) -> list[ProbeResult]:
    return list(await asyncio.gather(*(probe(config, found) for config, found in plans)))


def _tested(*results: ProbeResult) -> set[Category]:
    return {c.category for r in results for c in r.score.categories if c.score is not None}


def _side(
    name: str, source: Path, static: ScanResult, mtls: ProbeResult, origin: ProbeResult
) -> SideResult:
    findings: list[tuple[str, Finding]] = [(STATIC, f) for f in static.findings]
    seen: set[tuple[str, str | None]] = set()
    dynamic: list[Finding] = []
    for label, result in ((PROBE_MTLS, mtls), (PROBE_ORIGIN, origin)):
        for finding in result.findings:
            key = (finding.rule_id, finding.route)
            if key not in seen:  # one finding per rule and route, as within one probe run
                seen.add(key)
                dynamic.append(finding)
                findings.append((label, finding))
    score = score_findings(dynamic, _tested(mtls, origin))
    return SideResult(name, source, static, mtls, origin, score, tuple(findings))


def run_demo(workdir: Path | None = None, *, say: Say | None = None) -> DemoResult:
    """Stage, scan and probe both examples; every server is stopped before this returns.

    ``workdir`` holds the PKI, the project copies, their databases and server logs (a
    temporary directory, removed afterwards, when ``None``).

    :raises DemoError: when the examples are missing or a server does not start or answer.
    :raises PKIError: when the throwaway PKI cannot be written.
    :raises ProbeSetupError: when a certificate or key of the PKI is unusable.
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
    servers, preparations, copies = _stage(workdir, examples, pki, deadline)
    with _sigterm_as_interrupt():
        try:
            # Django opens the database at the first request, so the servers start while the
            # databases are prepared; nobody sends them a request before both are seeded.
            for server in servers:
                server.start()
            tell("starting both examples under the embedded mTLS server and as plain app servers")
            tell("migrating and seeding both examples (alice, bob, their certificate bindings)")
            run_side_by_side(preparations)
            for prepared, copy in copies:
                shutil.copyfile(prepared, copy)
            statics = {}
            for name in PROJECTS:
                statics[name] = _static_scan(examples / name)
                tell(f"static scan of {name}: {len(statics[name].findings)} finding(s)")
            urls = {server.name: server.wait_ready(deadline) for server in servers}
            for label, url in urls.items():
                tell(f"{label}: {url}")
            plans = [
                (_probe_config(server.url, pki), _endpoints(statics[name]))
                for name in PROJECTS
                for server in servers
                if server.name.startswith(f"{name} ")
            ]
            tell(
                "probing: no certificate, alice's certificate alone, alice against bob's "
                "objects, forged proxy headers"
            )
            results = asyncio.run(_probe_all(plans))
        finally:
            for server in servers:
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
        sides.append(_side(name, examples / name, statics[name], mtls, origin))
    return DemoResult(tuple(sides), time.monotonic() - started, urls)
