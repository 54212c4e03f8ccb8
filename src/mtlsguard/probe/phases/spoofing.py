"""Phase MG403: whether the app believes forwarded-certificate headers a client sends.

For one path per route (:func:`spoof_target`), every proxy's header set
(:mod:`mtlsguard.probe.forged`) is sent

* without a certificate, naming ``B`` (or ``A`` without a second identity): the headers are
  believed when a request that got no data without them now gets data ("new access");
* over ``A``'s TLS connection, naming ``B``: the headers are believed when the answer becomes
  ``B``'s answer while ``A``'s own differs from it ("changed identity"), or when ``A`` gets
  data it did not get before.

When certificate-less handshakes are refused, the first variant cannot reach the app and is
skipped. The headers are built from a real certificate, so the phase needs ``A``'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from mtlsguard.findings.model import Finding
from mtlsguard.probe.client import Exchange, ProbeClient
from mtlsguard.probe.compare import same_content
from mtlsguard.probe.config import Identity
from mtlsguard.probe.forged import ForgedHeaders, forged_header_sets
from mtlsguard.probe.observation import Observation
from mtlsguard.probe.phases import Need, Outcome, RunState, phase
from mtlsguard.probe.redact import web_request, web_response
from mtlsguard.probe.rules import probe_finding
from mtlsguard.probe.rules.mg403_forged_certificate_header import RULE as MG403

__all__ = [
    "SpoofAttempt",
    "believed_headers",
    "probe_forged_headers",
    "spoof",
    "spoof_target",
]


@dataclass(frozen=True, slots=True)
class SpoofAttempt:
    """One forged header set sent one way, and what came back."""

    forged: ForgedHeaders
    """The header set."""
    with_certificate: bool
    """Sent over ``A``'s TLS connection (else without a certificate)."""
    exchange: Exchange
    """The response."""


def _believed(attempt: SpoofAttempt, obs: Observation) -> str | None:
    got = attempt.exchange
    if not attempt.with_certificate:
        if got.has_data and not obs.anonymous.has_data:
            before = obs.anonymous.status or obs.anonymous.failure
            return f"without a certificate: {before} → {got.status} with data (new access)"
        return None
    if got.has_data and not obs.a_full.has_data:
        return f"with A's certificate: {obs.a_full.status} → {got.status} with data (new access)"
    reference = obs.b_full
    if (
        reference is not None
        and same_content(got, reference)
        and not same_content(obs.a_full, reference)
    ):
        return "with A's certificate: the answer became B's (changed identity)"
    return None


def believed_headers(attempts: Sequence[SpoofAttempt], obs: Observation) -> list[str]:
    """Per believed attempt: ``"proxy: what changed"``."""
    found = []
    for attempt in attempts:
        why = _believed(attempt, obs)
        if why is not None:
            found.append(f"{attempt.forged.proxy} headers {why}")
    return found


async def spoof(
    client: ProbeClient,
    obs: Observation,
    forged_sets: Sequence[ForgedHeaders],
    *,
    identity: Identity | None,
    tls_refuses_anonymous: bool,
    view: str | None,
) -> tuple[Finding | None, list[Exchange]]:
    """Send every forged set for ``obs.path``; return MG403 (or ``None``) and the exchanges.

    ``identity`` is A (whose TLS connection carries the second variant), or ``None`` when no
    certificate can be presented (plain http).
    """
    # Send only what could confirm something: without a certificate when the app answered
    # such a request without data; over A's connection when A lacks data or B's answer
    # differs from A's (else "the answer became B's" cannot be told apart).
    without = not tls_refuses_anonymous and (
        obs.anonymous.status is not None and not obs.anonymous.has_data
    )
    over_a = (
        identity is not None
        and identity.has_certificate
        and obs.b_full is not None
        and (not obs.a_full.has_data or not same_content(obs.a_full, obs.b_full))
    )
    attempts: list[SpoofAttempt] = []
    for forged in forged_sets:
        headers = dict(forged.headers)
        if without:
            sent = await client.send(None, "GET", obs.path, headers)
            attempts.append(SpoofAttempt(forged, False, sent))
        if over_a and identity is not None:
            sent = await client.send(identity, "GET", obs.path, headers)
            attempts.append(SpoofAttempt(forged, True, sent))
    exchanges = [a.exchange for a in attempts]
    believed = believed_headers(attempts, obs)
    if not believed:
        return None, exchanges
    first = next(a for a in attempts if _believed(a, obs) is not None)
    finding = probe_finding(
        MG403,
        route=obs.template,
        view=view,
        evidence=f"GET {obs.path} with forged headers built from the certificate "
        f"sha256={first.forged.sha256[:16]}…: " + "; ".join(believed),
        remediation="Believe certificate headers only from the proxy's address "
        "(MTLSGUARD TRUSTED_PROXIES, UNTRUSTED_HEADERS 'reject'); make the proxy overwrite "
        "them; never expose the app server directly.",
        web_request=web_request(first.exchange),
        web_response=web_response(first.exchange),
    )
    return finding, exchanges


def spoof_target(pairs: Sequence[tuple[str, Observation]]) -> Observation | None:
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


@phase(
    "forged headers",
    rules=[MG403],
    needs=[Need.CLIENT_CERTIFICATE, Need.ROUTES_OBSERVED],
)
async def probe_forged_headers(state: RunState) -> Outcome:
    """MG403 on one path per observed route, every route at once."""
    chains = state.certificates
    forged_sets = forged_header_sets(chains.b or chains.a)
    refuses = state.refuses_anonymous
    targets = [spoof_target(pairs) for pairs in state.observed.values()]
    outcomes = await asyncio.gather(
        *(
            spoof(
                state.client,
                obs,
                forged_sets,
                identity=state.config.identity if state.tls else None,
                tls_refuses_anonymous=refuses,
                view=state.view_of(obs.template),
            )
            for obs in targets
            if obs is not None
        )
    )
    findings = []
    for finding, exchanges in outcomes:
        for exchange in exchanges:
            anonymous = exchange.identity == "anonymous"
            state.record(exchange, expected_tls_refusal=refuses and anonymous)
        if finding is not None:
            findings.append(finding)
    return Outcome(tuple(findings))
