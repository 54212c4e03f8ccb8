"""One probe run: a loop over the probe's phases, then the score.

The phases, in order (:data:`PHASES`; :mod:`mtlsguard.probe.phases` describes the API):
collection routes are observed first, so their listings provide the IDs that fill detail
routes; then the detail routes; then the decisions that need no request of their own (MG401,
MG402, MG404); then forged headers on one path per route (MG403); then the opt-in credential
probes (MG408, MG405-MG407). Each concrete path is fetched once per caller (no certificate;
``A``'s certificate alone; with credentials when given; the same for ``B``). The rule
selection of the configuration decides, before any request, which phases run. Every
transport failure, 5xx answer and refused redirect becomes a
:class:`~mtlsguard.findings.model.ScanError` of the result; nothing a server does ends the run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from mtlsguard.findings.model import Finding, ScanError, ScanResult
from mtlsguard.probe.client import ProbeClient
from mtlsguard.probe.config import ProbeConfig
from mtlsguard.probe.discovery import Endpoint
from mtlsguard.probe.phases import Need, Phase, plan
from mtlsguard.probe.phases.authentication import probe_certificate_only, probe_mtls_enforcement
from mtlsguard.probe.phases.bola import probe_bola
from mtlsguard.probe.phases.collection_routes import observe_collection_routes
from mtlsguard.probe.phases.detail_routes import IDS_PER_ROUTE, observe_detail_routes
from mtlsguard.probe.phases.signin import probe_sign_in
from mtlsguard.probe.phases.spoofing import probe_forged_headers
from mtlsguard.probe.phases.tokens import probe_jwt_tampering
from mtlsguard.probe.rules import Category
from mtlsguard.probe.scoring import Score, score_findings
from mtlsguard.probe.state import Certificates, Progress, RunState

__all__ = ["IDS_PER_ROUTE", "PHASES", "ProbeResult", "Progress", "probe", "run_probe"]

PHASES: tuple[Phase, ...] = (
    observe_collection_routes,
    observe_detail_routes,
    probe_mtls_enforcement,
    probe_certificate_only,
    probe_bola,
    probe_forged_headers,
    probe_jwt_tampering,
    probe_sign_in,
)
"""Every phase of a run, in the order they run."""

HANDSHAKE_NOTE = (
    "mTLS is enforced at the TLS handshake: every request without a client certificate was refused"
)


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """Everything one probe run produced."""

    base_url: str
    """The probed base URL."""
    findings: tuple[Finding, ...]
    """MG4xx findings, one per rule and route at most."""
    errors: tuple[ScanError, ...]
    """Failures (``path`` is the URL): TLS, timeouts, resets, 5xx, refused redirects, bounds."""
    score: Score
    """Overall and per-category score."""
    notes: tuple[str, ...] = ()
    """What the run observed that is not a finding (mTLS enforced at the handshake ...)."""
    requests_sent: int = 0
    """Requests sent, retries and redirects included."""
    elapsed: float = 0.0
    """Seconds the run took."""
    routes: int = 0
    """Route templates probed."""
    paths: int = 0
    """Concrete paths observed."""
    reached: int = 0
    """Concrete paths where identity A's request got any HTTP response."""
    phases: tuple[str, ...] = ()
    """Names of the phases that ran, in order (the rule selection and prerequisites decide)."""
    observed_routes: bool = False
    """Whether the run set out to observe the routes (some chosen phase needed them); such a
    run that observed or reached nothing did not do its work."""

    def scan_result(self) -> ScanResult:
        """The findings and errors as a :class:`ScanResult` for the report formats."""
        return ScanResult(root=self.base_url, findings=self.findings, errors=self.errors)

    def summary(self) -> dict[str, object]:
        """JSON-friendly run summary (score, counts, notes)."""
        return {
            "base_url": self.base_url,
            **self.score.as_dict(),
            "requests_sent": self.requests_sent,
            "elapsed_seconds": round(self.elapsed, 3),
            "routes": self.routes,
            "paths": self.paths,
            "reached": self.reached,
            "notes": list(self.notes),
        }


async def probe(
    config: ProbeConfig, endpoints: Sequence[Endpoint], *, progress: Progress | None = None
) -> ProbeResult:
    """Run the phases of :data:`PHASES` the configuration's rule selection allows.

    ``endpoints`` are the routes to probe (the base URL alone when empty).

    :raises ProbeSetupError: when a certificate, key or CA file is unusable.
    """
    started = time.monotonic()
    certificates = Certificates.read(config)
    chosen = plan(PHASES, config.selection)
    async with ProbeClient(config) as client:
        state = RunState(config, client, endpoints, certificates, progress)
        findings: list[Finding] = []
        notes: list[str] = []
        skipped: list[str] = []
        tested: set[Category] = set()
        established: set[Need] = set()
        ran: list[str] = []
        for step in chosen:
            if step.missing(state, established):
                if step.skipped_note is not None:
                    skipped.append(step.skipped_note)
                continue
            outcome = await step.run(state)
            ran.append(step.name)
            established |= step.establishes
            findings.extend(f for f in outcome.findings if config.selection.allows(f.rule_id))
            notes.extend(outcome.notes)
            tested |= step.categories if outcome.tested is None else outcome.tested
        # What the run concluded, then what it could not test.
        if state.refuses_anonymous:
            notes.append(HANDSHAKE_NOTE)
        notes.extend(skipped)
        ordered = sorted(findings, key=lambda f: (f.rule_id, f.route or ""))
        return ProbeResult(
            base_url=client.base_url,
            findings=tuple(ordered),
            errors=tuple(state.errors.values()),
            score=score_findings(ordered, tested),
            notes=tuple(notes),
            requests_sent=client.requests_sent,
            elapsed=time.monotonic() - started,
            routes=len(state.observed),
            paths=state.done,
            reached=state.reached,
            phases=tuple(ran),
            observed_routes=Need.COLLECTIONS_OBSERVED in established,
        )


def run_probe(
    config: ProbeConfig, endpoints: Sequence[Endpoint], *, progress: Progress | None = None
) -> ProbeResult:
    """:func:`probe` on a fresh event loop (for the CLI and synchronous callers)."""
    return asyncio.run(probe(config, endpoints, progress=progress))
