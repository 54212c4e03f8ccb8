"""The phases of a probe run, Schemathesis-style: each declares what it needs and reports.

A :class:`Phase` is an async function over the run's :class:`~mtlsguard.probe.state.RunState`,
declared with :func:`phase`: its name, the rules it can report (and through them the score
categories it tests), its prerequisites (:class:`Need`), what it establishes for later phases,
and the note a run prints when a prerequisite is missing. The runner
(:mod:`mtlsguard.probe.runner`) is a loop over its ordered tuple of phases:

1. :func:`plan` picks, before any request, the phases the rule selection allows: a phase
   with rules runs when one of them is allowed; a phase without rules (an observation) runs
   when a phase chosen after it needs what it establishes;
2. each chosen phase whose prerequisites hold (:meth:`Phase.missing`) runs and returns an
   :class:`Outcome`; one whose prerequisites do not hold adds its :attr:`Phase.skipped_note`.

A phase returns its findings, notes and the categories it decided; it reports transport
failures through :meth:`RunState.record` and leaves observations and IDs in the state.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import assert_never

from mtlsguard.findings.model import Finding
from mtlsguard.findings.registry import Rule, RuleSelection
from mtlsguard.probe.rules import Category
from mtlsguard.probe.state import RunState

__all__ = ["Need", "Outcome", "Phase", "PhaseRun", "RunState", "phase", "plan"]


class Need(enum.Enum):
    """A prerequisite of a phase: something about the run, or a fact a phase establishes."""

    TLS = "an https:// target (a client certificate can be presented)"
    CLIENT_CERTIFICATE = "a client certificate for A (--cert)"
    SECOND_IDENTITY = "a second identity the app can tell apart from A"
    CREDENTIAL_PROBES = "the opt-in credential probes (--credential-probes)"
    SIGN_IN = "a sign-in to test (--login-url)"
    COLLECTIONS_OBSERVED = "observations of the collection routes (and the IDs they list)"
    ROUTES_OBSERVED = "observations of every route (listings, and detail paths filled from them)"

    def holds(self, state: RunState, established: Collection[Need]) -> bool:
        """Whether this prerequisite holds for the run in ``state``.

        ``established``: the facts the phases run so far have established.
        """
        config = state.config
        match self:
            case Need.TLS:
                return state.tls
            case Need.CLIENT_CERTIFICATE:
                return bool(state.certificates.a)
            case Need.SECOND_IDENTITY:
                return state.distinguishable
            case Need.CREDENTIAL_PROBES:
                return config.credential_probes
            case Need.SIGN_IN:
                return config.login is not None
            case Need.COLLECTIONS_OBSERVED | Need.ROUTES_OBSERVED:
                return self in established
            case _:  # pragma: no cover - every member is handled above
                assert_never(self)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one phase found and noticed."""

    findings: tuple[Finding, ...] = ()
    """Findings of the phase's rules."""
    notes: tuple[str, ...] = ()
    """What the phase observed or could not decide (not findings)."""
    tested: frozenset[Category] | None = None
    """The score categories the phase decided; ``None``: those of its rules."""


PhaseRun = Callable[[RunState], Awaitable[Outcome]]
"""The body of a phase."""


@dataclass(frozen=True, slots=True)
class Phase:
    """One step of a probe run and what it declares about itself."""

    name: str
    """Short name (``forged headers``)."""
    run: PhaseRun
    """The body: probes, and returns what it found."""
    rules: tuple[Rule, ...] = ()
    """The rules it can report; empty for a phase that only observes."""
    needs: frozenset[Need] = frozenset()
    """Its prerequisites."""
    establishes: frozenset[Need] = frozenset()
    """Facts it establishes for the phases after it."""
    skipped_note: str | None = None
    """The run's note when a prerequisite is missing (``None``: skipped silently)."""

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Ids of :attr:`rules`."""
        return tuple(r.rule_id for r in self.rules)

    @property
    def categories(self) -> frozenset[Category]:
        """The score categories its rules count against."""
        return frozenset(Category(r.category) for r in self.rules if r.category)

    def missing(self, state: RunState, established: Collection[Need]) -> list[Need]:
        """The prerequisites that do not hold, in declaration order of :class:`Need`."""
        return [n for n in Need if n in self.needs and not n.holds(state, established)]


def phase(
    name: str,
    *,
    rules: Iterable[Rule] = (),
    needs: Iterable[Need] = (),
    establishes: Iterable[Need] = (),
    skipped_note: str | None = None,
) -> Callable[[PhaseRun], Phase]:
    """Declare the decorated coroutine function as a :class:`Phase`."""

    def declare(run: PhaseRun) -> Phase:
        return Phase(
            name,
            run,
            tuple(rules),
            frozenset(needs),
            frozenset(establishes),
            skipped_note,
        )

    return declare


def plan(phases: Sequence[Phase], selection: RuleSelection) -> tuple[Phase, ...]:
    """The phases a run with ``selection`` executes, in order; decided before any request.

    A phase with rules is chosen when one of its rules is allowed; a phase without rules when a
    phase chosen after it needs a fact it establishes.
    """
    chosen: list[Phase] = []
    needed: set[Need] = set()
    for candidate in reversed(phases):
        if candidate.rules:
            wanted = any(selection.allows(rule_id) for rule_id in candidate.rule_ids)
        else:
            wanted = not candidate.establishes.isdisjoint(needed)
        if wanted:
            chosen.append(candidate)
            needed |= candidate.needs
    return tuple(reversed(chosen))
