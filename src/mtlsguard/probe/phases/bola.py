"""Phase MG404: identity ``A`` reads objects that identity ``B`` owns.

IDs come from ``B``'s own responses (the detail routes were filled with them). An object is
``B``'s (:func:`~mtlsguard.probe.ownership.owned_by_b`) when it was in ``B``'s listing and not
in ``A``'s, or when its body names ``B``'s certificate identity and not ``A``'s. BOLA is
confirmed when ``A``'s answer for that object carries the same content as ``B``'s. It needs a
second identity the app can tell apart from ``A``: over plain http, credentials for both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mtlsguard.findings.model import Finding
from mtlsguard.probe.compare import same_content
from mtlsguard.probe.observation import Observation
from mtlsguard.probe.ownership import identity_markers, owned_by_b
from mtlsguard.probe.phases import Need, Outcome, RunState, phase
from mtlsguard.probe.redact import web_request, web_response
from mtlsguard.probe.rules import probe_finding
from mtlsguard.probe.rules.mg404_bola import RULE as MG404

__all__ = ["probe_bola", "read_across_identities"]


def read_across_identities(
    observations: Sequence[tuple[str, Observation]],
    view: str | None,
    *,
    b_ids: Iterable[str],
    a_ids: Iterable[str],
    b_markers: Iterable[str],
    a_markers: Iterable[str],
) -> Finding | None:
    """MG404 for a template from ``(object id, observation)`` pairs."""
    b_list, a_list = list(b_ids), list(a_ids)
    for object_id, obs in observations:
        reference = obs.b_full
        if reference is None or not reference.has_data:
            continue
        why = owned_by_b(
            object_id,
            reference.json(),
            b_ids=b_list,
            a_ids=a_list,
            b_markers=b_markers,
            a_markers=a_markers,
        )
        if why is None or not same_content(obs.a_full, reference):
            continue
        return probe_finding(
            MG404,
            route=obs.template,
            view=view,
            evidence=f"GET {obs.path}: {why}; B gets {reference.status}, and A (another valid "
            f"identity) gets {obs.a_full.status} with the same body",
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
    chains = state.certificates
    a_markers = identity_markers(chains.a[0]) if chains.a else frozenset()
    b_markers = identity_markers(chains.b[0]) if chains.b else frozenset()
    details = set(state.detail_templates)
    findings = []
    for template, pairs in state.observed.items():
        if template not in details:
            continue
        b_ids, a_ids = state.ids.listings(template)
        finding = read_across_identities(
            pairs,
            state.view_of(template),
            b_ids=b_ids,
            a_ids=a_ids,
            b_markers=b_markers,
            a_markers=a_markers,
        )
        if finding is not None:
            findings.append(finding)
    return Outcome(tuple(findings))
