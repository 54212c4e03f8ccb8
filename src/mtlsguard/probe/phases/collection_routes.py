"""Phase: observe every collection route (no parameters) and harvest the IDs it lists.

Runs first, so the listings (``/api/accounts/``) provide the IDs that fill detail routes
(``/api/accounts/{pk}/``). Each route is fetched once per caller (no certificate; ``A``'s
certificate alone; with credentials when given; the same for ``B``).
"""

from __future__ import annotations

from mtlsguard.probe.phases import Need, Outcome, RunState, phase

__all__ = ["observe_collection_routes"]


@phase("collection routes", establishes=[Need.COLLECTIONS_OBSERVED])
async def observe_collection_routes(state: RunState) -> Outcome:
    """Observe the collection routes; keep each identity's IDs per listing."""
    templates = state.collection_templates
    observations = await state.observe_all([(t, t) for t in templates])
    for template, obs in zip(templates, observations, strict=True):
        state.observed[template] = [("", obs)]
        state.ids.add_listing(template, obs.a_full, obs.b_full)
    return Outcome()
