"""Phase MG404: identity ``A`` reads objects that identity ``B`` owns.

The detail routes were filled with ``B``'s objects first (:mod:`.detail_routes`). An object is
``B``'s (:func:`~mtlsguard.probe.ownership.owned_by_b`) when an owner-like field of B's answer
names B (its certificate identity, or the user id B's "who am I" answer gave), when the answer
names B and not A, or when the run chose the path as B's object. BOLA is confirmed by the
bodies, not the status: ``A``'s answer for B's object is B's own answer (fields that only echo
the caller masked), or names B's identity and not A's. It needs a second identity the app can
tell apart from ``A``: over plain http, credentials for both. With unsafe methods allowed, the
write probes (:mod:`.writes`) add MG404 for A changing or deleting an object B created.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mtlsguard.findings.model import Finding
from mtlsguard.probe.compare import same_content
from mtlsguard.probe.observation import Observation
from mtlsguard.probe.ownership import names_identity, owned_by_b
from mtlsguard.probe.phases import Need, Outcome, RunState, phase
from mtlsguard.probe.phases.writes import write_findings
from mtlsguard.probe.redact import web_request, web_response
from mtlsguard.probe.rules import probe_finding
from mtlsguard.probe.rules.mg404_bola import RULE as MG404

__all__ = ["confirm_bola", "probe_bola", "read_across_identities"]


def confirm_bola(
    obs: Observation,
    *,
    planned: str | None,
    a_names: frozenset[str],
    b_names: frozenset[str],
    echo: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset()),
) -> str | None:
    """Why ``A``'s answer at ``obs`` is B's object (evidence), or ``None`` if it is not.

    ``a_names``/``b_names``: certificate markers and learned user ids; ``echo``: the
    certificate markers alone, whose echoes of the caller are set aside when comparing.
    """
    reference, mine = obs.b_full, obs.a_full
    if reference is None or not reference.has_data or not mine.has_data:
        return None
    why = owned_by_b(reference.json(), planned=planned, b_names=b_names, a_names=a_names)
    if why is None:
        return None
    if same_content(mine, reference, a_markers=echo[0], b_markers=echo[1]):
        return f"{why}; A gets {mine.status} with the same body B gets"
    data = mine.json()
    if data is None:  # HTML: B's names in A's page, A's own not
        text = mine.body.decode("utf-8", "replace").lower()
        shows_b = any(len(n) >= 3 and n in text for n in b_names)
        shows_a = any(len(n) >= 3 and n in text for n in a_names)
        if shows_b and not shows_a:
            return f"{why}; A's page ({mine.status}) shows B's identity and not A's"
        return None
    if names_identity(data, b_names) and not names_identity(data, a_names):
        return f"{why}; A's answer ({mine.status}) names B's identity and not A's"
    return None


def read_across_identities(
    observations: Sequence[tuple[str, Observation]],
    view: str | None,
    *,
    planned: Mapping[str, str | None],
    a_names: frozenset[str],
    b_names: frozenset[str],
    echo: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset()),
) -> Finding | None:
    """MG404 for a template from its ``(path, observation)`` pairs."""
    for _, obs in observations:
        why = confirm_bola(
            obs, planned=planned.get(obs.path), a_names=a_names, b_names=b_names, echo=echo
        )
        if why is None:
            continue
        return probe_finding(
            MG404,
            route=obs.template,
            view=view,
            evidence=f"GET {obs.path}: B's object ({why})",
            remediation="Scope the queryset to request.user (OwnerScopedQuerysetMixin or "
            "get_queryset) so another user's object is a 404, and add an object permission.",
            web_request=web_request(obs.a_full),
            web_response=web_response(obs.a_full),
        )
    return None


@phase(
    "BOLA",
    rules=[MG404],
    needs=[Need.SECOND_IDENTITY, Need.ROUTES_OBSERVED],
    skipped_note="BOLA (MG404) not tested: it needs a second identity (--peer-cert), and over "
    "plain http credentials for both (--auth-header, --peer-auth-header)",
)
async def probe_bola(state: RunState) -> Outcome:
    """MG404 on every observed detail route."""
    a_names, b_names = state.names("A"), state.names("B")
    details = set(state.detail_templates)
    findings = []
    for template, pairs in state.observed.items():
        if template not in details:
            continue
        finding = read_across_identities(
            pairs,
            state.view_of(template),
            planned=state.planned_owner,
            a_names=a_names,
            b_names=b_names,
            echo=(state.markers["A"], state.markers["B"]),
        )
        if finding is not None:
            findings.append(finding)
    reported = {f.route for f in findings}
    findings += [f for f in await write_findings(state) if f.route not in reported]
    return Outcome(tuple(findings))
