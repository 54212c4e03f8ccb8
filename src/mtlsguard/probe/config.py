"""What one probe run is told: the target, the identities it may use and its safety bounds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from mtlsguard.findings.registry import EVERY_RULE, RuleSelection

__all__ = [
    "BRUTEFORCE_ATTEMPTS_CAP",
    "SAFE_METHODS",
    "Identity",
    "LoginFormat",
    "LoginSettings",
    "ProbeConfig",
]

SAFE_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods the probe sends without ``--allow-unsafe-methods``."""

BRUTEFORCE_ATTEMPTS_CAP: Final = 50
"""Wrong-password sign-ins MG405 sends at most, whatever it is told."""

LoginFormat = Literal["auto", "form", "json"]
"""How the sign-in is posted: a Django form, a JSON API, or decided from the sign-in page."""


@dataclass(frozen=True, slots=True)
class Identity:
    """A caller the probe can impersonate: a client certificate and optional app credentials."""

    label: str
    """Short name used in evidence (``A``, ``B``, ``anonymous``)."""
    cert: Path | None = None
    """Client certificate (PEM, leaf first) presented in the TLS handshake."""
    key: Path | None = None
    """Its private key (PEM, unencrypted)."""
    auth_header: str | None = None
    """Application credentials as one ``Name: value`` header (``Authorization: Token x``)."""
    key_password: bytes | None = field(default=None, repr=False)
    """The password of an encrypted :attr:`key`; without one, an encrypted key is an error
    (never a terminal prompt)."""

    @property
    def has_certificate(self) -> bool:
        """Whether this identity presents a client certificate."""
        return self.cert is not None

    def without_credentials(self) -> Identity:
        """The same caller presenting only its certificate (no :attr:`auth_header`)."""
        return Identity(self.label, self.cert, self.key, key_password=self.key_password)


@dataclass(frozen=True, slots=True)
class LoginSettings:
    """The sign-in of the opt-in credential probes (MG405-MG407); the password never leaves it."""

    login_url: str
    """Sign-in URL, relative to the base URL or absolute on the same origin."""
    username: str
    """The account the probes sign in as (and send wrong passwords for)."""
    password: str = field(repr=False)
    """Its real password (never shown: not in ``repr``, evidence or reports)."""
    login_format: LoginFormat = "auto"
    """``form`` (``application/x-www-form-urlencoded`` with Django's CSRF token), ``json``, or
    ``auto``: a form when the sign-in page is HTML, else JSON."""
    username_field: str = "username"
    """Name of the username field."""
    password_field: str = "password"  # noqa: S105 - a form field's name
    """Name of the password field."""
    logout_url: str | None = None
    """Sign-out URL (POSTed with the session): MG407 checks the session ends on the server."""
    session_url: str | None = None
    """A page that needs the session (``/accounts/profile/``): tells a live session from a
    dead one; without it the sign-out check is not made."""
    session_cookie: str | None = None
    """Name of the session cookie; ``None``: the cookie the sign-in sets named like a session."""
    bruteforce_attempts: int = 12
    """Wrong-password sign-ins MG405 sends (capped at :data:`BRUTEFORCE_ATTEMPTS_CAP`)."""
    max_session_age: float = 12 * 3600.0
    """Longest acceptable session cookie lifetime in seconds (``Max-Age``/``Expires``)."""

    @property
    def attempts(self) -> int:
        """:attr:`bruteforce_attempts` within 1 and the cap."""
        return max(1, min(self.bruteforce_attempts, BRUTEFORCE_ATTEMPTS_CAP))


@dataclass(frozen=True, slots=True)
class ProbeConfig:
    """Everything ``mtlsguard probe`` needs; every bound has a safe default."""

    base_url: str
    """Where the application lives (``https://127.0.0.1:8443/``)."""
    identity: Identity
    """The attacker's own identity ``A`` (certificate required for the mTLS probes)."""
    peer: Identity | None = None
    """A second identity ``B`` whose objects ``A`` must not see (BOLA, forged headers)."""
    cacert: Path | None = None
    """CA bundle that verifies the server; ``None`` uses the system trust store."""
    paths: tuple[str, ...] = ()
    """Route templates to probe (``/api/accounts/{pk}/``); empty probes the base URL only."""
    views: dict[str, str] = field(default_factory=dict)
    """Template → dotted view path, when discovery knows it (``mtlsguard routes`` output)."""
    methods: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Template → methods it answers, when discovery knows them."""
    allow_unsafe_methods: bool = False
    """Allow methods other than GET, HEAD and OPTIONS."""
    concurrency: int = 8
    """Requests in flight at once."""
    rate: float | None = None
    """Requests per second at most (``None``: as fast as ``concurrency`` allows)."""
    max_requests: int = 2000
    """Hard cap on requests sent in the whole run, retries included."""
    max_time: float = 300.0
    """Hard cap on the whole run in seconds."""
    timeout: float = 10.0
    """Per-request connect/read timeout in seconds."""
    max_body: int = 1 << 20
    """Bytes of a response body read at most; the rest is left unread."""
    max_retry_after: float = 10.0
    """Longest ``Retry-After`` honoured; a longer one ends retries for that request."""
    max_redirects: int = 5
    """Same-host redirects followed at most; a redirect off the target host is never followed."""
    credential_probes: bool = False
    """Opt-in probes that use A's credentials (JWT tampering; with :attr:`login`, sign-in)."""
    login: LoginSettings | None = None
    """The sign-in for MG405-MG407 (run only with :attr:`credential_probes`)."""
    selection: RuleSelection = EVERY_RULE
    """Which MG4xx rules may run (``select``/``ignore``), decided before any request: a phase
    none of whose rules is allowed sends nothing, and a finding of a rule that is not allowed
    never appears."""

    def unsafe_urls(self) -> tuple[str, ...]:
        """URLs that may be POSTed to without ``allow_unsafe_methods``.

        The credential probes' sign-in and sign-out, and only when those probes were asked for.
        """
        if not self.credential_probes or self.login is None:
            return ()
        return tuple(u for u in (self.login.login_url, self.login.logout_url) if u)
