"""What one probe run is told: the target, the identities it may use and its safety bounds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SAFE_METHODS", "Identity", "ProbeConfig"]

SAFE_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods the probe sends without ``--allow-unsafe-methods``."""


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

    @property
    def has_certificate(self) -> bool:
        """Whether this identity presents a client certificate."""
        return self.cert is not None


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
    """Opt-in probes that use A's credentials (JWT tampering)."""
