"""Phase: fill every detail route with IDs seen in the listings, and observe those paths.

A detail route ``/api/accounts/{pk}/`` is filled with the IDs of ``B``'s and then ``A``'s
listing of ``/api/accounts/`` (:meth:`~mtlsguard.probe.ids.HarvestedIds.seen_for`) and their
integer neighbours, up to :data:`IDS_PER_ROUTE` paths per route; a route with no ID to fill it
is not probed, and the run says so.
"""

from __future__ import annotations

from typing import Final

from mtlsguard.probe.discovery import fill, parameters
from mtlsguard.probe.ids import candidate_ids
from mtlsguard.probe.phases import Need, Outcome, RunState, phase

__all__ = ["IDS_PER_ROUTE", "observe_detail_routes", "plan_paths"]

IDS_PER_ROUTE: Final = 6
"""Concrete paths tried per detail route at most."""


def plan_paths(state: RunState) -> tuple[list[tuple[str, str, str]], list[str]]:
    """``(template, object id, path)`` to observe, and a note per route that gets none."""
    plans: list[tuple[str, str, str]] = []
    notes: list[str] = []
    for template in state.detail_templates:
        ids = candidate_ids(state.ids.seen_for(template))[:IDS_PER_ROUTE]
        for object_id in ids:
            path = fill(template, dict.fromkeys(parameters(template), object_id))
            if path is not None:
                plans.append((template, object_id, path))
        if not ids:
            notes.append(f"{template}: no ID seen to fill its parameters; not probed")
    return plans, notes


@phase(
    "detail routes",
    needs=[Need.COLLECTIONS_OBSERVED],
    establishes=[Need.ROUTES_OBSERVED],
)
async def observe_detail_routes(state: RunState) -> Outcome:
    """Observe the planned paths of every detail route."""
    plans, notes = plan_paths(state)
    observations = await state.observe_all([(t, p) for t, _, p in plans])
    for (template, object_id, _), obs in zip(plans, observations, strict=True):
        state.observed.setdefault(template, []).append((object_id, obs))
    return Outcome(notes=tuple(notes))
