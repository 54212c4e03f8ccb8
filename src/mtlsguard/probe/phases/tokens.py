"""Opt-in phase MG408: tampered JWTs (``alg: none``, stripped or ignored signatures).

Runs only with ``credential_probes`` and a JWT in A's auth header, on one path per route
(:func:`one_per_route`) where the token matters (A's certificate alone gets no data, the
token does). Tokens are built with base64 and JSON only; no key is ever needed to forge them.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from mtlsguard.findings.model import Finding
from mtlsguard.probe.client import Exchange, ProbeClient, parse_auth_header
from mtlsguard.probe.compare import same_content
from mtlsguard.probe.config import Identity
from mtlsguard.probe.observation import Observation
from mtlsguard.probe.phases import Need, Outcome, RunState, phase
from mtlsguard.probe.redact import web_request, web_response
from mtlsguard.probe.rules import Category, probe_finding
from mtlsguard.probe.rules.mg408_jwt_tampering import RULE as MG408

__all__ = [
    "TamperedToken",
    "find_jwt",
    "jwt_tampering",
    "one_per_route",
    "probe_jwt_tampering",
    "tampered_tokens",
]

_JWT: Final = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


@dataclass(frozen=True, slots=True)
class TamperedToken:
    """One altered token and how it was altered."""

    how: str
    """``alg none``, ``signature stripped`` ..."""
    token: str
    """The token."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def find_jwt(value: str) -> str | None:
    """The JWT inside a header value (``Bearer eyJ...``), or ``None``."""
    match = _JWT.search(value)
    return match.group(0) if match else None


def tampered_tokens(token: str) -> list[TamperedToken]:
    """The altered variants of ``token`` (empty when it is not a decodable JWT)."""
    try:
        head_text, body_text, signature = token.split(".")
        header = json.loads(_unb64(head_text))
        payload = json.loads(_unb64(body_text))
    except (ValueError, UnicodeDecodeError):
        return []
    if not isinstance(header, dict) or not isinstance(payload, dict):
        return []
    variants = []
    for alg in ("none", "None"):
        forged = _b64(json.dumps({**header, "alg": alg}, separators=(",", ":")).encode())
        variants.append(TamperedToken(f"alg {alg}", f"{forged}.{body_text}."))
    variants.append(TamperedToken("signature stripped", f"{head_text}.{body_text}."))
    changed = {**payload, "mtlsguard_probe": "tampered"}
    changed_text = _b64(json.dumps(changed, separators=(",", ":")).encode())
    variants.append(
        TamperedToken("claim changed, signature kept", f"{head_text}.{changed_text}.{signature}")
    )
    return variants


async def jwt_tampering(
    client: ProbeClient,
    observations: Sequence[Observation],
    identity: Identity,
    view_of: Callable[[str], str | None],
) -> tuple[list[Finding], list[Exchange]]:
    """MG408 per route where the token decides access; return findings and exchanges."""
    if not identity.auth_header:
        return [], []
    name, value = parse_auth_header(identity.auth_header)
    token = find_jwt(value)
    variants = tampered_tokens(token) if token else []
    findings: list[Finding] = []
    sent: list[Exchange] = []
    cert_only = identity.without_credentials()
    for obs in observations:
        if not obs.a_full.has_data or obs.a_cert.has_data or obs.a_full is obs.a_cert:
            continue
        accepted: list[tuple[TamperedToken, Exchange]] = []
        for variant in variants:
            assert token is not None
            headers = {name: value.replace(token, variant.token)}
            got = await client.send(cert_only, "GET", obs.path, headers)
            sent.append(got)
            if same_content(got, obs.a_full):
                accepted.append((variant, got))
        if accepted:
            how = ", ".join(v.how for v, _ in accepted)
            first = accepted[0][1]
            findings.append(
                probe_finding(
                    MG408,
                    route=obs.template,
                    view=view_of(obs.template),
                    evidence=f"GET {obs.path}: without the token {obs.a_cert.status}, with it "
                    f"{obs.a_full.status}; tampered tokens answered with the same data: {how}",
                    remediation="Verify JWT signatures with a fixed algorithm list "
                    "(jwt.decode(token, key, algorithms=[...])); never accept alg none.",
                    web_request=web_request(first),
                    web_response=web_response(first),
                )
            )
    return findings, sent


def one_per_route(observed: Mapping[str, Sequence[tuple[str, Observation]]]) -> list[Observation]:
    """Per route, the first path where A's credentials got data (else its first path)."""
    chosen = []
    for pairs in observed.values():
        with_data = [obs for _, obs in pairs if obs.a_full.has_data]
        if with_data or pairs:
            chosen.append(with_data[0] if with_data else pairs[0][1])
    return chosen


@phase(
    "JWT tampering",
    rules=[MG408],
    needs=[Need.CREDENTIAL_PROBES, Need.ROUTES_OBSERVED],
)
async def probe_jwt_tampering(state: RunState) -> Outcome:
    """MG408 on one path per observed route; Session is tested only if a token was tampered."""
    findings, exchanges = await jwt_tampering(
        state.client, one_per_route(state.observed), state.config.identity, state.view_of
    )
    for exchange in exchanges:
        state.record(exchange)
    if exchanges:
        return Outcome(tuple(findings), tested=frozenset({Category.SESSION}))
    note = (
        "JWT tampering (MG408) not tested: no JWT in --auth-header, or no route where the "
        "token decides access"
    )
    return Outcome(tuple(findings), (note,), tested=frozenset())
