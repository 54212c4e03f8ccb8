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
from dataclasses import dataclass, field, replace

from mtlsguard.findings.model import Finding, ScanError, ScanResult
from mtlsguard.probe.client import ProbeClient
from mtlsguard.probe.config import ProbeConfig
from mtlsguard.probe.coverage import Coverage, measure, run_failure
from mtlsguard.probe.crawl import discover
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
PROXY_NOTE = (
    "mTLS is enforced by the proxy: every request without a client certificate was answered {} "
    "(forged headers without a certificate cannot get through, and were not sent)"
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
    coverage: Coverage = field(default_factory=Coverage)
    """Routes known, probed, reached, and why the others were skipped."""
    failure: str | None = None
    """Why the run has nothing to grade (unreachable, TLS failure, every answer 404, a
    redirect loop, nothing probed), else ``None``."""
    discovery_requests: int = 0
    """Requests discovery from the bare URL sent (part of :attr:`requests_sent`)."""

    @property
    def graded(self) -> bool:
        """The run earned a grade: it did its work and reached enough of the routes."""
        return self.failure is None and not self.coverage.low

    def scan_result(self) -> ScanResult:
        """The findings and errors as a :class:`ScanResult` for the report formats."""
        return ScanResult(root=self.base_url, findings=self.findings, errors=self.errors)

    def summary(self) -> dict[str, object]:
        """JSON-friendly run summary (score, counts, notes)."""
        score = self.score.as_dict() if self.graded else {"score": None, "grade": None}
        extra: dict[str, object] = {}
        if self.failure is not None:
            extra["error"] = self.failure
        if self.coverage.known:
            extra["coverage"] = {"summary": self.coverage.sentence, **self.coverage.as_dict()}
        if self.discovery_requests:
            extra["discovery_requests"] = self.discovery_requests
        return {
            "base_url": self.base_url,
            **score,
            **extra,
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

    ``endpoints`` are the routes to probe; without any (or with ``config.discover``) the
    routes discovery finds from the base URL are added.

    :raises ProbeSetupError: when a certificate, key or CA file is unusable.
    """
    started = time.monotonic()
    certificates = Certificates.read(config)
    chosen = plan(PHASES, config.selection)
    async with ProbeClient(config) as client:
        discovery_requests = 0
        observes = any(Need.COLLECTIONS_OBSERVED in step.establishes for step in chosen)
        if observes and (not endpoints or config.discover):
            found = await discover(client, config.identity.without_credentials())
            given = {e.template for e in endpoints}
            endpoints = [*endpoints, *(e for e in found.endpoints if e.template not in given)]
            discovery_requests = found.requests
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
        if state.refused_by_proxy is not None:
            notes.append(PROXY_NOTE.format(state.refused_by_proxy))
        elif state.refuses_anonymous:
            notes.append(HANDSHAKE_NOTE)
        notes.extend(skipped)
        located = [_located(f, state) for f in findings]
        ordered = sorted(located, key=lambda f: (f.rule_id, f.route or ""))
        observed_routes = Need.COLLECTIONS_OBSERVED in established
        coverage = measure(
            [e.template for e in endpoints] or [r.template for r in state.routes],
            state.observed,
            state.skipped,
            state.written,
        )
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
            observed_routes=observed_routes,
            coverage=coverage,
            failure=_failure(state) if observed_routes else None,
            discovery_requests=discovery_requests,
        )


def _located(finding: Finding, state: RunState) -> Finding:
    """``finding`` with its view's file and line, when the route file gave them."""
    location = state.location_of(finding.route or "")
    return finding if location is None or finding.location else replace(finding, location=location)


def _failure(state: RunState) -> str | None:
    answers = [obs.a_cert for pairs in state.observed.values() for _, obs in pairs]
    if not answers:
        return "nothing was probed (no route answers GET, or no ID could fill a route's parameters)"
    return run_failure(answers)


def run_probe(
    config: ProbeConfig, endpoints: Sequence[Endpoint], *, progress: Progress | None = None
) -> ProbeResult:
    """:func:`probe` on a fresh event loop (for the CLI and synchronous callers)."""
    return asyncio.run(probe(config, endpoints, progress=progress))
