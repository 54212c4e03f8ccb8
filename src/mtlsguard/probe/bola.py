"""Probe (4), MG404: identity ``A`` reads objects that identity ``B`` owns.

IDs come from ``B``'s own responses. An object is ``B``'s when it was in ``B``'s listing and
not in ``A``'s, or when its body names ``B``'s certificate identity and not ``A``'s. BOLA is
confirmed when ``A``'s answer for that object carries the same content as ``B``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mtlsguard.findings.model import Finding
from mtlsguard.probe.compare import names_identity, same_content
from mtlsguard.probe.observation import Observation
from mtlsguard.probe.redact import web_request, web_response
from mtlsguard.probe.rules.mg404_bola import RULE as MG404

__all__ = ["owned_by_b", "read_across_identities"]


def owned_by_b(
    object_id: str,
    body: object,
    *,
    b_ids: Iterable[str],
    a_ids: Iterable[str],
    b_markers: Iterable[str],
    a_markers: Iterable[str],
) -> str | None:
    """Why the object is ``B``'s (a sentence for the evidence), or ``None`` if it may not be."""
    b_set, a_set = set(b_ids), set(a_ids)
    if object_id in b_set and object_id not in a_set:
        return f"id {object_id} is in B's listing and not in A's"
    if names_identity(body, b_markers) and not names_identity(body, a_markers):
        return f"object {object_id} names B's certificate identity and not A's"
    return None


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
        return MG404.finding(
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
