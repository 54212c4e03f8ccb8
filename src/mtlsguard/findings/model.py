"""The scanner's data model: findings, routes and scan results (frozen, JSON-friendly).

These are the contract shared by the rule engine (``mtlsguard.scan``), the probe and the
report formats (``mtlsguard.report``). Changes go through ``dataclasses.replace``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = [
    "Confidence",
    "Finding",
    "Location",
    "Protection",
    "Route",
    "ScanError",
    "ScanResult",
    "Severity",
    "Unresolved",
]


class Severity(enum.IntEnum):
    """Finding severity; integer order lets ``--fail-on`` compare with ``>=``."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        """Lower-case name as used on the command line and in JSON (``"high"``)."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse ``"high"``/``"HIGH"``.

        :raises ValueError: for an unknown severity name.
        """
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r}; choose one of {names}") from None


class Confidence(enum.IntEnum):
    """How sure a rule is (static analysis of dynamic code is sometimes a guess)."""

    LOW = 0
    MEDIUM = 1
    HIGH = 2

    @property
    def label(self) -> str:
        """Lower-case name (``"medium"``)."""
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding points: a file relative to the scanned root and a 1-based line."""

    path: str
    """POSIX path relative to the scanned root (``billing/views.py``)."""
    line: int
    """1-based line of the view's ``def``/``class`` or of the setting."""
    column: int = 1
    """1-based column."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem a rule found (static) or a probe confirmed (dynamic)."""

    rule_id: str
    """Rule id, e.g. ``MG101`` (1xx endpoints, 2xx settings, 3xx cert handling, 4xx probes)."""
    title: str
    """One-line summary of the problem."""
    cwe: str
    """Primary CWE id, e.g. ``CWE-306``."""
    severity: Severity
    """How bad it is; decided by the rule, never by a report format."""
    confidence: Confidence
    """How sure the rule is."""
    location: Location | None
    """Source location; ``None`` for purely dynamic findings."""
    route: str | None = None
    """URL pattern (``api/accounts/<int:pk>/``) when the finding is about an endpoint."""
    view: str | None = None
    """Dotted path of the view function or class (``billing.views.BillingView``)."""
    view_kind: str | None = None
    """``"function"`` or ``"type"`` (SARIF logicalLocation kind)."""
    evidence: str = ""
    """What the rule saw (code excerpt, decorator list, response summary); no secrets."""
    remediation: str = ""
    """A concrete fix."""
    methods: tuple[str, ...] = ()
    """HTTP methods affected, upper-case; empty means all or not applicable."""
    cwes: tuple[str, ...] = ()
    """Further related CWE ids beyond :attr:`cwe`."""
    web_request: dict[str, object] | None = field(default=None, compare=False, hash=False)
    """Dynamic findings: SARIF ``webRequest`` (secrets redacted)."""
    web_response: dict[str, object] | None = field(default=None, compare=False, hash=False)
    """Dynamic findings: SARIF ``webResponse`` (body truncated, secrets redacted)."""

    @property
    def fingerprint(self) -> str:
        """Stable identity for baselines: rule, view (or file) and route, not line numbers."""
        anchor = self.view or (self.location.path if self.location else "")
        return f"{self.rule_id}:{anchor}:{self.route or ''}"


@dataclass(frozen=True, slots=True)
class Protection:
    """The effective protection of one route for one HTTP method, and what decided it."""

    method: str
    """Upper-case HTTP method (``GET``) or ``*`` for all."""
    authenticated: bool | None
    """True if an unauthenticated request is refused; None when it cannot be decided."""
    decided_by: str
    """``decorator``, ``class``, ``default``, ``middleware``, ``inline`` (a ``request.user``
    check in the view's body) or ``none``."""
    detail: str = ""
    """Human description (``@login_required``, ``IsAuthenticated (REST_FRAMEWORK default)``)."""


@dataclass(frozen=True, slots=True)
class Route:
    """One URL pattern, its view and its effective protection per method."""

    pattern: str
    """Full URL pattern after ``include()`` prefixes (``api/accounts/<int:pk>/``)."""
    view: str | None
    """Dotted path of the view function or class, if resolved."""
    location: Location | None
    """Where the view is defined."""
    name: str | None = None
    """URL name, if any."""
    methods: tuple[str, ...] = ()
    """Methods the view answers (upper-case)."""
    protections: tuple[Protection, ...] = ()
    """Effective protection per method."""


@dataclass(frozen=True, slots=True)
class ScanError:
    """A file or input that could not be scanned; the scan goes on without it."""

    path: str
    """File relative to the scanned root."""
    message: str
    """Why it was skipped (syntax error, bad encoding, too large, symlink loop...)."""


@dataclass(frozen=True, slots=True)
class Unresolved:
    """Something on the way to a route or a setting that the scan could not resolve.

    A scan with unresolved items is incomplete: the run fails (exit 2) unless the user
    accepts a partial result, and every report lists them with their reason.
    """

    kind: str
    """``settings``, ``urlconf``, ``include``, ``urlpatterns``, ``file`` or ``routes``."""
    item: str
    """What could not be resolved (``include("payments.urls")``, a module, a file)."""
    reason: str
    """Why, and where it can, how to resolve it."""
    location: Location | None = None
    """Where it was met (the ``include()`` line), if anywhere."""

    def describe(self) -> str:
        """One line: ``payments/urls.py:4: include payments.urls: not found ...``."""
        where = f"{self.location.path}:{self.location.line}: " if self.location else ""
        return f"{where}{self.kind} {self.item}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Everything one scan produced."""

    root: str
    """The scanned root directory (absolute)."""
    findings: tuple[Finding, ...] = ()
    routes: tuple[Route, ...] = ()
    errors: tuple[ScanError, ...] = ()
    files_scanned: int = 0
    lines_scanned: int = 0
    settings_module: str | None = None
    """The settings module the scan used (``proj.settings``), if any."""
    urlconf: str | None = None
    """The root URLconf the scan used (``proj.urls``), if any."""
    unresolved: tuple[Unresolved, ...] = ()
    """What the scan could not resolve, with the reason (the result is partial)."""
    assumptions: tuple[str, ...] = ()
    """What the scan assumed where the project did not say (a reusable app's defaults)."""
