"""Phase: observe every collection route (no parameters) and harvest the IDs it lists.

Runs first, so the listings (``/api/accounts/``) provide the objects whose fields fill detail
routes (``/api/accounts/{pk}/``), and the "who am I" answers (``/api/me/``) each identity's
user id. Each route is fetched once per caller (no certificate; ``A``'s
certificate alone; with credentials when given; the same for ``B``).
"""

from __future__ import annotations

from mtlsguard.probe.ownership import learn_user_ids
from mtlsguard.probe.phases import Need, Outcome, RunState, phase

__all__ = ["observe_collection_routes"]


@phase("collection routes", establishes=[Need.COLLECTIONS_OBSERVED])
async def observe_collection_routes(state: RunState) -> Outcome:
    """Observe the collection routes; keep each identity's objects and learn who they are."""
    templates = state.collection_templates
    observations = await state.observe_all([(t, t) for t in templates])
    for template, obs in zip(templates, observations, strict=True):
        state.observed[template] = [("", obs)]
        state.harvest(obs, {})
        if obs.b_full is not None and obs.a_full.has_data and obs.b_full.has_data:
            mine, theirs = learn_user_ids(template, obs.a_full.json(), obs.b_full.json())
            state.ids.user_ids["A"] |= mine
            state.ids.user_ids["B"] |= theirs
            state.ids.learn_from_listing(template)
    return Outcome()
