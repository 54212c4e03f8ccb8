"""How much of the application a run reached, and whether the run did its work at all.

A grade is only honest when the probe reached what it set out to probe. :func:`measure`
counts the routes known (discovery, a route file), probed (at least one concrete path
observed) and reached (``A``'s certificate got an answer that is the route's own: not a 404,
not the proxy refusing the certificate), and why the others were skipped. :func:`run_failure`
names a run that produced nothing to grade: the target unreachable, the TLS handshake failing,
every answer a 404 (a wrong prefix), redirects going round in circles.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Final

from mtlsguard.probe.exchange import Exchange
from mtlsguard.probe.observation import Observation

__all__ = ["MIN_COVERAGE", "Coverage", "measure", "reached_route", "run_failure"]

MIN_COVERAGE: Final = 0.5
"""Share of the probeable routes a run must reach to earn a grade."""

CERTIFICATE_REFUSED: Final = frozenset({495, 496})
"""nginx's statuses for a bad or missing client certificate (shown to clients as 400)."""

_FAILURES: Final = {
    "tls": "the TLS handshake with A's certificate failed ({}); check --cacert and that the "
    "server trusts A's CA",
    "connection": "the target is unreachable ({})",
    "timeout": "the target did not answer in time ({})",
    "redirects": "the target redirects in circles ({})",
    "protocol": "the target does not speak HTTP as expected ({})",
    "budget": "the request budget ran out before any answer ({})",
    "deadline": "the time budget ran out before any answer ({})",
}


def certificate_refused(exchange: Exchange) -> bool:
    """The proxy answered for the certificate instead of the app (nginx 400/495/496)."""
    if exchange.status in CERTIFICATE_REFUSED:
        return True
    return exchange.status == 400 and b"SSL certificate" in exchange.body[:2048]


def reached_route(exchange: Exchange) -> bool:
    """``exchange`` (``A``'s) got the route's own answer: not a 404, not a certificate refusal."""
    return (
        exchange.status is not None
        and exchange.failure is None
        and exchange.status != 404
        and not certificate_refused(exchange)
    )


@dataclass(frozen=True, slots=True)
class Coverage:
    """Routes known, probed and reached, and why the others were not probed."""

    known: int = 0
    """Route templates the run knew (discovery and route files)."""
    probed: int = 0
    """Templates with at least one concrete path observed."""
    reached: int = 0
    """Templates where A's certificate got the route's own answer."""
    skipped: tuple[tuple[str, str], ...] = ()
    """``(template, why)`` for every known template not probed."""

    @property
    def probeable(self) -> int:
        """Known routes a safe run could probe (those skipped as unsafe are not counted)."""
        unsafe = sum(1 for _, why in self.skipped if why.startswith("not probed (unsafe"))
        return self.known - unsafe

    @property
    def low(self) -> bool:
        """Fewer than :data:`MIN_COVERAGE` of the probeable routes were reached."""
        return self.probeable > 0 and self.reached < self.probeable * MIN_COVERAGE

    @property
    def sentence(self) -> str:
        """``incomplete: 2 of 9 routes reached`` (or ``9 of 9 routes reached``)."""
        text = f"{self.reached} of {self.probeable} routes reached"
        return f"incomplete: {text}" if self.low else text

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly form (the probe section of a report)."""
        return {
            "known": self.known,
            "probed": self.probed,
            "reached": self.reached,
            "skipped": [{"route": t, "reason": why} for t, why in self.skipped],
        }


def measure(
    known: Iterable[str],
    observed: dict[str, list[tuple[str, Observation]]],
    skipped: dict[str, str],
    written: Collection[str] = (),
) -> Coverage:
    """The coverage of a run that knew ``known`` templates and observed ``observed``.

    ``skipped``: template → why it was not probed (no ID to fill it, unsafe method); a
    template whose every request was refused by the run's bounds is "out of budget".
    ``written``: templates only the opt-in write probes reached.
    """
    templates = list(dict.fromkeys(known))
    probed = reached = 0
    reasons: list[tuple[str, str]] = []
    for template in templates:
        pairs = observed.get(template, [])
        sent = [obs.a_cert for _, obs in pairs if obs.a_cert.failure_kind not in _BOUNDS]
        if sent:
            probed += 1
            reached += any(reached_route(e) for e in sent)
        elif template in written:
            probed += 1
            reached += 1
        elif pairs:
            reasons.append((template, "out of budget"))
        else:
            reasons.append((template, skipped.get(template, "not probed")))
    return Coverage(len(templates), probed, reached, tuple(reasons))


_BOUNDS: Final = frozenset({"budget", "deadline"})


def run_failure(answers: Iterable[Exchange]) -> str | None:
    """Why a run whose ``A`` requests got ``answers`` has nothing to grade, or ``None``.

    No answer at all (unreachable, TLS failure, redirect loop), every answer a 404 (a wrong
    prefix), or every answer the proxy refusing A's certificate.
    """
    exchanges = list(answers)
    if not exchanges:
        return None
    statuses = [e.status for e in exchanges if e.status is not None and e.failure is None]
    if not statuses:
        kinds = Counter(e.failure_kind or "protocol" for e in exchanges if e.failure)
        if not kinds:
            return "no response from the target"
        kind = kinds.most_common(1)[0][0]
        example = next(e for e in exchanges if e.failure and (e.failure_kind or "protocol") == kind)
        template = _FAILURES.get(kind, "{}")
        return "no response from the target: " + template.format(example.failure)
    if all(s == 404 for s in statuses):
        return (
            f"every one of the {len(statuses)} requests was answered 404: is the base URL "
            "(its prefix) right?"
        )
    if all(certificate_refused(e) for e in exchanges if e.status is not None and not e.failure):
        return "the proxy refused A's certificate on every request (400/495/496): wrong CA?"
    return None
