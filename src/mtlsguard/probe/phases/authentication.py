"""Phases: is mTLS enforced at all (MG401), and is it the only thing standing guard (MG402).

(1) MG401: a request without a certificate gets a 2xx with data.
(2) MG402: a request with a valid certificate and no application credentials gets a 2xx with
data (while a certificate-less one does not) and either the run has credentials
(``--auth-header``: this endpoint did not need them) or two certificates got the same data (the
endpoint does not know who calls). With one certificate and no credentials: low confidence.
Over plain ``http://`` no certificate can be presented, so MG402 is not decided.

Both decide from the observations of every route (no request of their own).
"""

from __future__ import annotations

from collections.abc import Sequence

from mtlsguard.findings.model import Confidence, Finding
from mtlsguard.probe.compare import owned_data, same_content
from mtlsguard.probe.observation import Observation
from mtlsguard.probe.phases import Need, Outcome, RunState, phase
from mtlsguard.probe.redact import web_request, web_response
from mtlsguard.probe.rules import probe_finding
from mtlsguard.probe.rules.mg401_mtls_not_enforced import RULE as MG401
from mtlsguard.probe.rules.mg402_certificate_only import RULE as MG402

__all__ = [
    "certificate_only",
    "constant_answer",
    "mtls_not_enforced",
    "probe_certificate_only",
    "probe_mtls_enforcement",
]


def mtls_not_enforced(observations: Sequence[Observation], view: str | None) -> Finding | None:
    """MG401 for a template, from its observations."""
    for obs in observations:
        if obs.anonymous.has_data:
            return probe_finding(
                MG401,
                route=obs.template,
                view=view,
                evidence=f"GET {obs.path} without a client certificate or credentials: "
                f"{obs.anonymous.status} with {len(obs.anonymous.body)} bytes of data",
                remediation="Require a verified client certificate for this endpoint and "
                "authenticate the application user; never expose the app server directly.",
                web_request=web_request(obs.anonymous),
                web_response=web_response(obs.anonymous),
            )
    return None


def constant_answer(obs: Observation, a_markers: frozenset[str], b_markers: frozenset[str]) -> bool:
    """``A`` and ``B`` got the same answer (echoes of the caller masked) holding no one's data.

    A health check, a price list, the OpenAPI document: public information that happens to
    sit behind mTLS, not an endpoint that relies on it.
    """
    if obs.b_cert is None:
        return False
    if not same_content(obs.a_cert, obs.b_cert, a_markers=a_markers, b_markers=b_markers):
        return False
    return not owned_data(obs.a_cert, a_markers | b_markers, caller=a_markers)


def certificate_only(
    observations: Sequence[Observation],
    view: str | None,
    *,
    has_credentials: bool,
    tls: bool,
    markers: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset()),
) -> Finding | None:
    """MG402 for a template, from its observations.

    ``markers``: what names ``A`` and ``B`` (their echoes are masked when comparing).
    """
    if not tls:
        return None
    a_markers, b_markers = markers
    for obs in observations:
        cert = obs.a_cert
        if not cert.has_data or obs.anonymous.has_data:
            continue
        if constant_answer(obs, a_markers, b_markers):
            continue
        if has_credentials:
            confidence, why = (
                Confidence.HIGH,
                "the run has application credentials, and this endpoint did not ask for them",
            )
        elif obs.b_cert is not None:
            if not same_content(cert, obs.b_cert, a_markers=a_markers, b_markers=b_markers):
                continue  # the answer depends on who calls: the app knows the caller
            confidence, why = (
                Confidence.HIGH,
                "two different certificates received the same data: the endpoint does not "
                "know who is calling",
            )
        else:
            confidence, why = (
                Confidence.LOW,
                "one certificate, no credentials given: pass --peer-cert or --auth-header to "
                "confirm",
            )
        anonymous = obs.anonymous
        refused = f"no response ({anonymous.failure})" if anonymous.failure else anonymous.status
        return probe_finding(
            MG402,
            route=obs.template,
            view=view,
            confidence=confidence,
            evidence=f"GET {obs.path} with only a client certificate: {cert.status} with "
            f"{len(cert.body)} bytes of data; without the certificate: {refused}; {why}",
            remediation="Map the certificate to an application user and require "
            "authentication (LoginRequiredMixin, DRF IsAuthenticated); scope data to "
            "request.user.",
            web_request=web_request(cert),
            web_response=web_response(cert),
        )
    return None


@phase("mTLS enforcement", rules=[MG401], needs=[Need.ROUTES_OBSERVED])
async def probe_mtls_enforcement(state: RunState) -> Outcome:
    """MG401 on every observed route."""
    findings = (
        mtls_not_enforced([obs for _, obs in pairs], state.view_of(template))
        for template, pairs in state.observed.items()
    )
    return Outcome(tuple(f for f in findings if f is not None))


@phase(
    "certificate only",
    rules=[MG402],
    needs=[Need.TLS, Need.ROUTES_OBSERVED],
    skipped_note="plain http: no client certificate can be presented; MG402 is not decided",
)
async def probe_certificate_only(state: RunState) -> Outcome:
    """MG402 on every observed route; constant public answers are noted, not reported."""
    has_credentials = bool(state.config.identity.auth_header)
    markers = (state.markers["A"], state.markers["B"])
    findings = []
    public = []
    for template, pairs in state.observed.items():
        observations = [obs for _, obs in pairs]
        finding = certificate_only(
            observations,
            state.view_of(template),
            has_credentials=has_credentials,
            tls=state.tls,
            markers=markers,
        )
        if finding is not None:
            findings.append(finding)
        elif any(constant_answer(obs, *markers) for obs in observations):
            public.append(template)
    notes: tuple[str, ...] = ()
    if public:
        notes = (
            "public or informational (the same answer for every certificate, no one's data): "
            + ", ".join(public[:20]),
        )
    return Outcome(tuple(findings), notes)
