"""Phase: fill every detail route with values seen in answers, and observe those paths.

A detail route ``/api/accounts/{pk}/`` is filled from the objects of every answer so far
(:meth:`~mtlsguard.probe.ids.HarvestedIds.candidates`: ``B``'s objects first, matched to the
parameter by field name, then objects nobody is known to own, ``A``'s, and the integer
neighbours of ``B``'s values), up to :data:`IDS_PER_ROUTE` paths per route. Routes are
observed in rounds by their number of parameters, and each round's answers are harvested too,
so a nested listing (``/accounts/5/invoices/``) fills the nested detail after it. A route
with nothing to fill it is not probed, and the run says so.
"""

from __future__ import annotations

from typing import Final

from mtlsguard.probe.discovery import fill, parameters
from mtlsguard.probe.phases import Need, Outcome, RunState, phase

__all__ = ["IDS_PER_ROUTE", "ROUNDS", "observe_detail_routes", "plan_paths"]

IDS_PER_ROUTE: Final = 6
"""Concrete paths tried per detail route at most."""
ROUNDS: Final = 3
"""Nesting depths filled one after the other (the deepest round takes the rest)."""
NO_ID: Final = "no ID to fill its parameters"


def plan_paths(
    state: RunState, templates: list[str]
) -> list[tuple[str, dict[str, str], str, str | None]]:
    """``(template, values, path, owner)`` to observe for ``templates``."""
    plans: list[tuple[str, dict[str, str], str, str | None]] = []
    for template in templates:
        for values, owner in state.ids.candidates(template, state.markers, IDS_PER_ROUTE):
            path = fill(template, values)
            if path is not None:
                plans.append((template, values, path, owner))
    return plans


def _depth(template: str) -> int:
    return min(ROUNDS, len(set(parameters(template))))


@phase(
    "detail routes",
    needs=[Need.COLLECTIONS_OBSERVED],
    establishes=[Need.ROUTES_OBSERVED],
)
async def observe_detail_routes(state: RunState) -> Outcome:
    """Observe the planned paths of every detail route, shallowest first."""
    notes: list[str] = []
    for depth in range(1, ROUNDS + 1):
        templates = [t for t in state.detail_templates if _depth(t) == depth]
        plans = plan_paths(state, templates)
        observations = await state.observe_all([(t, p) for t, _, p, _ in plans])
        for (template, values, path, owner), obs in zip(plans, observations, strict=True):
            state.observed.setdefault(template, []).append((path, obs))
            state.planned_owner[path] = owner
            state.harvest(obs, values)
        for template in templates:
            if template not in state.observed:
                state.skipped[template] = f"not probed ({NO_ID})"
                notes.append(f"{template}: {NO_ID}; not probed")
    return Outcome(notes=tuple(notes))
