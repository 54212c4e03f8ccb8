"""One probe run: discover paths, observe them as every caller, decide findings, score.

Order: collection routes (no parameters) first, so their listings provide the IDs that fill
detail routes; then detail routes with IDs from ``B``'s and ``A``'s listings and their integer
neighbours; then forged headers on one path per route. Each concrete path is fetched once per
caller (no certificate; ``A``'s certificate alone; with credentials when given; the same for
``B``). Every transport failure, 5xx answer and refused redirect becomes a
:class:`~mtlsguard.findings.model.ScanError` of the result; nothing a server does ends the run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509

from mtlsguard.findings.model import Finding, ScanError, ScanResult
from mtlsguard.probe.authentication import certificate_only, mtls_not_enforced
from mtlsguard.probe.bola import read_across_identities
from mtlsguard.probe.client import Exchange, ProbeClient, ProbeSetupError
from mtlsguard.probe.compare import identity_markers
from mtlsguard.probe.config import Identity, ProbeConfig
from mtlsguard.probe.discovery import (
    Endpoint,
    candidate_ids,
    collection_of,
    fill,
    harvest_ids,
    match_template,
    parameters,
)
from mtlsguard.probe.forged import ForgedHeaders, forged_header_sets, load_certificate_pem
from mtlsguard.probe.observation import Observation
from mtlsguard.probe.rules import Category
from mtlsguard.probe.scoring import Score, score_findings
from mtlsguard.probe.signin.probes import signin_probes
from mtlsguard.probe.spoofing import spoof
from mtlsguard.probe.tokens import jwt_tampering

__all__ = ["IDS_PER_ROUTE", "ProbeResult", "Progress", "probe", "run_probe"]

IDS_PER_ROUTE = 6
"""Concrete paths tried per detail route at most."""

Progress = Callable[[int, int], None]
"""``progress(done, total)`` over concrete paths."""


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


def _chain(identity: Identity | None) -> list[x509.Certificate]:
    if identity is None or identity.cert is None:
        return []
    try:
        return load_certificate_pem(Path(identity.cert).read_bytes())
    except (OSError, ValueError) as exc:
        raise ProbeSetupError(f"cannot read the certificate {identity.cert}: {exc}") from exc


@dataclass
class _Run:
    config: ProbeConfig
    client: ProbeClient
    progress: Progress | None
    a_cert: Identity = field(init=False)
    b_cert: Identity | None = field(init=False)
    findings: list[Finding] = field(default_factory=list)
    errors: dict[tuple[str, str], ScanError] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    done: int = 0
    total: int = 0
    anonymous_refused_by_tls: int = 0
    anonymous_reached: int = 0
    reached: int = 0

    def __post_init__(self) -> None:
        a = self.config.identity
        self.a_cert = Identity(a.label, a.cert, a.key)
        b = self.config.peer
        self.b_cert = Identity(b.label, b.cert, b.key) if b else None

    @property
    def tls(self) -> bool:
        return self.client.base_url.startswith("https:")

    def _plan(self, paths: int) -> None:
        self.total += paths
        self._report()

    def _step(self) -> None:
        self.done += 1
        self._report()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.done, max(self.total, self.done))

    def record(self, exchange: Exchange, *, expected_tls_refusal: bool = False) -> None:
        """Turn failures, 5xx answers and refused redirects into errors."""
        if expected_tls_refusal and exchange.failure_kind in {"tls", "connection", "protocol"}:
            return
        message = None
        if exchange.failure is not None:
            message = f"{exchange.identity} {exchange.method}: {exchange.failure}"
        elif exchange.status is not None and exchange.status >= 500:
            message = f"{exchange.identity} {exchange.method}: server error {exchange.status}"
        elif "not followed" in exchange.note:
            message = f"{exchange.identity} {exchange.method}: {exchange.note}"
        if exchange.truncated:
            extra = f"body larger than {self.config.max_body} bytes; the rest was not read"
            message = f"{message}; {extra}" if message else f"{exchange.identity}: {extra}"
        if message is None:
            return
        key = (exchange.url, message)
        if exchange.failure_kind in {"budget", "deadline"}:
            key = ("", exchange.failure_kind)
            message = (exchange.failure or "") + "; the remaining probes were skipped"
        self.errors.setdefault(key, ScanError(exchange.url if key[0] else "", message))

    async def observe(self, template: str, path: str) -> Observation:
        config = self.config
        send = self.client.send
        full_a = config.identity
        anonymous, a_cert = await asyncio.gather(
            send(None, "GET", path), send(self.a_cert, "GET", path)
        )
        a_full = await send(full_a, "GET", path) if full_a.auth_header else a_cert
        b_cert = b_full = None
        if config.peer is not None and self.b_cert is not None:
            b_cert = await send(self.b_cert, "GET", path)
            b_full = await send(config.peer, "GET", path) if config.peer.auth_header else b_cert
        obs = Observation(template, path, anonymous, a_cert, a_full, b_cert, b_full)
        # Under TLS 1.3 the refusal of a certificate-less client arrives after the handshake,
        # as an alert or, racing it, as a closed connection: either counts when A got through.
        refused = (
            self.tls
            and anonymous.failure_kind in {"tls", "connection", "protocol"}
            and a_cert.status is not None
        )
        if refused:
            self.anonymous_refused_by_tls += 1
        elif anonymous.status is not None:
            self.anonymous_reached += 1
        if a_cert.status is not None:
            self.reached += 1
        for exchange in obs.exchanges():
            self.record(exchange, expected_tls_refusal=exchange is anonymous and refused)
        self._step()
        return obs


async def probe(
    config: ProbeConfig, endpoints: Sequence[Endpoint], *, progress: Progress | None = None
) -> ProbeResult:
    """Run every default probe against ``endpoints`` (the base URL alone when empty).

    :raises ProbeSetupError: when a certificate, key or CA file is unusable.
    """
    started = time.monotonic()
    a_chain = _chain(config.identity)
    b_chain = _chain(config.peer)
    forged_sets: list[ForgedHeaders] = forged_header_sets(b_chain or a_chain) if a_chain else []
    a_markers = identity_markers(a_chain[0]) if a_chain else frozenset()
    b_markers = identity_markers(b_chain[0]) if b_chain else frozenset()
    routes = [e for e in endpoints if "GET" in e.methods] or (
        [Endpoint("/")] if not endpoints else []
    )
    views = {e.template: e.view for e in routes}
    async with ProbeClient(config) as client:
        run = _Run(config, client, progress)
        observed: dict[str, list[tuple[str, Observation]]] = {}
        a_ids: dict[str, list[str]] = {}
        b_ids: dict[str, list[str]] = {}
        collections = [e.template for e in routes if not parameters(e.template)]
        details = [e.template for e in routes if parameters(e.template)]
        run._plan(len(collections))
        for template, obs in zip(
            collections,
            await asyncio.gather(*(run.observe(t, t) for t in collections)),
            strict=True,
        ):
            observed[template] = [("", obs)]
            a_ids[template] = harvest_ids(obs.a_full.json())
            if obs.b_full is not None:
                b_ids[template] = harvest_ids(obs.b_full.json())
        all_a = [i for ids in a_ids.values() for i in ids]
        all_b = [i for ids in b_ids.values() for i in ids]
        plans: list[tuple[str, str, str]] = []
        for template in details:
            parent = collection_of(template)
            mine = a_ids.get(parent or "", []) or all_a
            theirs = b_ids.get(parent or "", []) or all_b
            ids = candidate_ids([*theirs, *mine])[:IDS_PER_ROUTE]
            for object_id in ids:
                path = fill(template, dict.fromkeys(parameters(template), object_id))
                if path is not None:
                    plans.append((template, object_id, path))
            if not ids:
                run.notes.append(f"{template}: no ID seen to fill its parameters; not probed")
        run._plan(len(plans))
        results = await asyncio.gather(*(run.observe(t, p) for t, _, p in plans))
        for (template, object_id, _), obs in zip(plans, results, strict=True):
            observed.setdefault(template, []).append((object_id, obs))

        findings: list[Finding] = []
        has_credentials = bool(config.identity.auth_header)
        # Over plain http, A and B differ only by their credentials, if any.
        distinguishable = config.peer is not None and (
            run.tls or bool(config.identity.auth_header and config.peer.auth_header)
        )
        for template, pairs in observed.items():
            view = views.get(template) or config.views.get(template)
            observations = [obs for _, obs in pairs]
            for finding in (
                mtls_not_enforced(observations, view),
                certificate_only(observations, view, has_credentials=has_credentials, tls=run.tls),
            ):
                if finding is not None:
                    findings.append(finding)
            if distinguishable and template in details:
                parent = collection_of(template) or ""
                bola = read_across_identities(
                    pairs,
                    view,
                    b_ids=b_ids.get(parent, all_b),
                    a_ids=a_ids.get(parent, all_a),
                    b_markers=b_markers,
                    a_markers=a_markers,
                )
                if bola is not None:
                    findings.append(bola)

        refuses = run.anonymous_refused_by_tls > 0 and run.anonymous_reached == 0
        if forged_sets:
            spoof_targets = [_spoof_target(pairs) for pairs in observed.values()]
            outcomes = await asyncio.gather(
                *(
                    spoof(
                        client,
                        obs,
                        forged_sets,
                        identity=config.identity if run.tls else None,
                        tls_refuses_anonymous=refuses,
                        view=views.get(obs.template) or config.views.get(obs.template),
                    )
                    for obs in spoof_targets
                    if obs is not None
                )
            )
            for finding, exchanges in outcomes:
                for exchange in exchanges:
                    anonymous = exchange.identity == "anonymous"
                    run.record(exchange, expected_tls_refusal=refuses and anonymous)
                if finding is not None:
                    findings.append(finding)
        tested = {Category.AUTHENTICATION}
        if config.credential_probes:
            view_of = {t: views.get(t) or config.views.get(t) for t in observed}
            jwt_findings, exchanges = await jwt_tampering(
                client, _one_per_route(observed), config.identity, view_of
            )
            for exchange in exchanges:
                run.record(exchange)
            findings.extend(jwt_findings)
            if exchanges:
                tested.add(Category.SESSION)
            else:
                run.notes.append(
                    "JWT tampering (MG408) not tested: no JWT in --auth-header, or no route "
                    "where the token decides access"
                )
        if config.credential_probes and config.login is not None:
            login_path = urlsplit(client.url(config.login.login_url)).path
            known: dict[str, str] = {**config.views}
            for endpoint in endpoints:
                if endpoint.view:
                    known[endpoint.template] = endpoint.view
            login_route = match_template(login_path, known)
            signin = await signin_probes(
                client, config.login, config.identity, known.get(login_route or "")
            )
            for exchange in signin.exchanges:
                # A sign-in answers its POST with a redirect: that is its answer, not an error.
                run.record(replace(exchange, note="") if exchange.method == "POST" else exchange)
            findings.extend(signin.findings)
            tested |= signin.tested
            run.notes.extend(signin.notes)
        if refuses:
            run.notes.append(
                "mTLS is enforced at the TLS handshake: every request without a client "
                "certificate was refused"
            )
        if not run.tls:
            run.notes.append(
                "plain http: no client certificate can be presented; MG402 is not decided"
            )
        if not distinguishable:
            run.notes.append(
                "BOLA (MG404) not tested: it needs a second identity (--peer-cert), and over "
                "plain http credentials for both (--auth-header, --peer-auth-header)"
            )
        if distinguishable:
            tested.add(Category.BOLA)
        ordered = sorted(findings, key=lambda f: (f.rule_id, f.route or ""))
        return ProbeResult(
            base_url=client.base_url,
            findings=tuple(ordered),
            errors=tuple(run.errors.values()),
            score=score_findings(ordered, tested),
            notes=tuple(run.notes),
            requests_sent=client.requests_sent,
            elapsed=time.monotonic() - started,
            routes=len(observed),
            paths=run.done,
            reached=run.reached,
        )


def _one_per_route(observed: dict[str, list[tuple[str, Observation]]]) -> list[Observation]:
    """Per route, the first path where A's credentials got data (else its first path)."""
    chosen = []
    for pairs in observed.values():
        with_data = [obs for _, obs in pairs if obs.a_full.has_data]
        if with_data or pairs:
            chosen.append(with_data[0] if with_data else pairs[0][1])
    return chosen


def _spoof_target(pairs: list[tuple[str, Observation]]) -> Observation | None:
    """The path of a route to spoof: one where B (else A) got data, else any A got an answer.

    A route that never answered A (timeouts, resets, TLS failures) is not spoofed: its
    failures are already reported, and 16 more requests would only repeat them.
    """
    for _, obs in pairs:
        if obs.b_full is not None and obs.b_full.has_data:
            return obs
    for _, obs in pairs:
        if obs.a_full.status is not None:
            return obs
    return None


def run_probe(
    config: ProbeConfig, endpoints: Sequence[Endpoint], *, progress: Progress | None = None
) -> ProbeResult:
    """:func:`probe` on a fresh event loop (for the CLI and synchronous callers)."""
    return asyncio.run(probe(config, endpoints, progress=progress))
