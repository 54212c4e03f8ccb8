"""What "verified" means for a deployment: :class:`VerificationPolicy`.

A policy is an immutable value, validated when it is built; change one with
:meth:`VerificationPolicy.replace`. It does no verification itself: the trust store, the
``cryptography`` path builder, the CRL index and the result cache belong to the
:class:`~mtlsguard.certs.verifier.CertificateVerifier` built from it (as ``cryptography``
keeps ``PolicyBuilder`` apart from the verifier it builds), so :func:`mtlsguard.certs.verify`
does no set-up work per call.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeAlias

from cryptography import x509

from mtlsguard.certs.crl import check_crl, parse_crl

__all__ = [
    "PemSource",
    "RevocationDepth",
    "RevocationMode",
    "VerificationPolicy",
    "load_certificates",
    "load_crls",
    "system_time",
]

RevocationMode: TypeAlias = Literal["off", "soft", "strict"]
"""``off``: no revocation checks. ``soft``: a CRL that lists the certificate rejects it; no
CRL or a stale one lets it pass. ``strict``: every checked certificate needs a current,
authentic CRL from its issuer, otherwise ``revocation_unknown`` (what nginx does with
``ssl_crl``)."""

RevocationDepth: TypeAlias = Literal["leaf", "chain"]
"""``leaf``: check only the client certificate. ``chain``: also every intermediate."""

PemSource: TypeAlias = "bytes | str | os.PathLike[str]"
"""PEM (or DER) bytes, PEM text, or a path to a file holding them."""

_HEX64 = re.compile(r"[0-9a-f]{64}")


def _read(source: bytes | str | os.PathLike[str]) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, "<bytes>"
    if isinstance(source, str) and "-----BEGIN" in source:
        return source.encode("ascii", "replace"), "<text>"
    path = Path(source)
    try:
        return path.read_bytes(), str(path)
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _sources(
    value: PemSource | x509.Certificate | Iterable[PemSource | x509.Certificate],
) -> list[PemSource | x509.Certificate]:
    if isinstance(value, bytes | str | os.PathLike | x509.Certificate):
        return [value]
    return list(value)


def load_certificates(
    value: PemSource | x509.Certificate | Iterable[PemSource | x509.Certificate],
) -> tuple[x509.Certificate, ...]:
    """Load CA certificates from PEM bundles, DER files, paths or certificate objects.

    :raises ValueError: naming the file that is unreadable or holds no certificate.
    """
    certs: list[x509.Certificate] = []
    for item in _sources(value):
        if isinstance(item, x509.Certificate):
            certs.append(item)
            continue
        data, origin = _read(item)
        try:
            if b"-----BEGIN" in data:
                loaded = x509.load_pem_x509_certificates(data)
            else:
                loaded = [x509.load_der_x509_certificate(data)]
        except (ValueError, x509.InvalidVersion) as exc:
            raise ValueError(f"{origin} does not hold valid certificates: {exc}") from exc
        certs.extend(loaded)
    return tuple(certs)


def load_crls(
    value: PemSource | x509.CertificateRevocationList | Iterable[PemSource],
) -> tuple[x509.CertificateRevocationList, ...]:
    """Load CRLs (one per PEM block or DER file) from bytes, text, paths or CRL objects.

    :raises ValueError: naming the file that is unreadable or is not a CRL.
    """
    if isinstance(value, x509.CertificateRevocationList):
        return (value,)
    items: list[PemSource | x509.CertificateRevocationList] = (
        [value] if isinstance(value, bytes | str | os.PathLike) else list(value)
    )
    crls: list[x509.CertificateRevocationList] = []
    for item in items:
        if isinstance(item, x509.CertificateRevocationList):
            crls.append(item)
            continue
        data, origin = _read(item)
        blocks = re.findall(
            rb"-----BEGIN X509 CRL-----.+?-----END X509 CRL-----", data, flags=re.DOTALL
        )
        try:
            crls.extend(parse_crl(block) for block in (blocks or [data]))
        except ValueError as exc:
            raise ValueError(f"{origin} is not a valid CRL: {exc}") from exc
    return tuple(crls)


def system_time() -> dt.datetime:
    """The current time in UTC: the default :attr:`VerificationPolicy.clock`."""
    return dt.datetime.now(dt.UTC)


_utcnow = system_time


def _normalise_pin(pin: str) -> str:
    cleaned = pin.replace(":", "").strip().lower()
    if not _HEX64.fullmatch(cleaned):
        raise ValueError(f"pinned fingerprint {pin!r} is not a hex SHA-256 (64 hex digits)")
    return cleaned


@dataclass(frozen=True, eq=False)
class VerificationPolicy:
    """How :func:`~mtlsguard.certs.verify` decides that a client certificate is good.

    Prefer :meth:`load`, which reads the CA bundle and CRLs from files or PEM bytes::

        policy = VerificationPolicy.load("/etc/ssl/client-ca.pem", crls=["/etc/ssl/ca.crl"],
                                         clock_skew=dt.timedelta(seconds=30))
        stricter = policy.replace(revocation="strict", revocation_depth="chain")

    Equality is identity: :func:`~mtlsguard.certs.verify` keeps one shared verifier (and its
    result cache) per policy object.

    :raises ValueError: on any inconsistent or unusable setting, with a message saying which.
    """

    trust_anchors: tuple[x509.Certificate, ...]
    """The CA certificates client certificates must chain to (the bundle)."""
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    """Local CRLs (usually one per issuing CA). Their signatures are checked at use."""
    revocation: RevocationMode | None = None
    """See :data:`RevocationMode`. ``None`` (default): ``strict`` when CRLs are configured or
    fetched, ``off`` otherwise."""
    revocation_depth: RevocationDepth = "leaf"
    """See :data:`RevocationDepth`."""
    fetch_crls: bool = False
    """Fetch CRLs from the certificates' HTTP distribution points (only after the chain
    verified), cached until their ``nextUpdate``."""
    crl_fetch_timeout: float = 5.0
    """Seconds allowed for one CRL download, connection included."""
    crl_fetch_max_bytes: int = 4 * 1024 * 1024
    """Largest CRL accepted from a distribution point."""
    clock_skew: dt.timedelta = dt.timedelta(0)
    """Tolerance applied to both ends of the validity window (at most one day)."""
    require_client_auth_eku: bool = True
    """Require an extendedKeyUsage extension containing clientAuth. With ``False`` a
    certificate without the extension passes; one whose EKU lacks clientAuth never does."""
    min_rsa_bits: int = 2048
    """Smallest RSA modulus accepted for the client key."""
    min_ec_bits: int = 256
    """Smallest elliptic-curve size accepted for the client key (Ed25519/Ed448 always pass)."""
    pinned_sha256: frozenset[str] = frozenset()
    """If non-empty, only these leaf fingerprints (hex SHA-256, colons allowed) are accepted,
    in addition to every other check."""
    allow_fields_only: bool = False
    """Accept identities a proxy forwarded as fields only (DN, serial), trusting the proxy's
    own verification completely. Off by default: such identities get ``fields_only``."""
    max_chain_depth: int = 8
    """Longest chain (intermediates) accepted."""
    cache_size: int = 4096
    """Verified results kept (LRU); 0 disables the cache."""
    max_cache_ttl: dt.timedelta | None = None
    """Upper bound on how long a result is reused. ``None``: until the certificate (or chain)
    expires or a CRL consulted reaches its ``nextUpdate``, whichever is first."""
    clock: Callable[[], dt.datetime] = _utcnow
    """Returns the current time as an aware datetime (injectable for tests)."""
    _shared_verifier: list[Any] = field(init=False, repr=False, compare=False, default_factory=list)
    """Holds (never builds) the verifier :func:`~mtlsguard.certs.verifier.verifier_for` made
    for this policy: one attribute read per :func:`~mtlsguard.certs.verify` call, no global
    registry, and :meth:`clear_cache` can reach it without this module importing the
    verifier. ``replace()`` starts with an empty slot."""

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        anchors = tuple(self.trust_anchors)
        if not anchors:
            raise ValueError("VerificationPolicy needs at least one trust anchor (the CA bundle)")
        for anchor in anchors:
            if not isinstance(anchor, x509.Certificate):
                raise TypeError("trust_anchors must be cryptography x509.Certificate objects")
        set_(self, "trust_anchors", anchors)
        set_(self, "crls", tuple(self.crls))
        for i, crl in enumerate(self.crls):
            if not isinstance(crl, x509.CertificateRevocationList):
                raise TypeError("crls must be cryptography CertificateRevocationList objects")
            try:
                check_crl(crl)  # fail here, not at the first verification that reads it
            except ValueError as exc:
                raise ValueError(f"CRL #{i} of the policy cannot be used: {exc}") from exc
        if self.revocation not in (None, "off", "soft", "strict"):
            raise ValueError(
                f"revocation must be 'off', 'soft' or 'strict', not {self.revocation!r}"
            )
        if self.revocation_depth not in ("leaf", "chain"):
            raise ValueError(
                f"revocation_depth must be 'leaf' or 'chain', not {self.revocation_depth!r}"
            )
        if self.revocation_mode != "off" and not (self.crls or self.fetch_crls):
            raise ValueError(
                f"revocation={self.revocation!r} needs CRLs: pass crls=... or fetch_crls=True"
            )
        if not dt.timedelta(0) <= self.clock_skew <= dt.timedelta(days=1):
            raise ValueError("clock_skew must be between 0 and one day")
        if not 0 < self.crl_fetch_timeout <= 60:
            raise ValueError("crl_fetch_timeout must be in (0, 60] seconds")
        if self.crl_fetch_max_bytes < 1024:
            raise ValueError("crl_fetch_max_bytes must be at least 1024")
        if self.min_rsa_bits < 1024 or self.min_ec_bits < 160:
            raise ValueError("min_rsa_bits must be >= 1024 and min_ec_bits >= 160")
        if not 1 <= self.max_chain_depth <= 32:
            raise ValueError("max_chain_depth must be between 1 and 32")
        if self.cache_size < 0:
            raise ValueError("cache_size must be >= 0")
        if self.max_cache_ttl is not None and self.max_cache_ttl < dt.timedelta(0):
            raise ValueError("max_cache_ttl must not be negative")
        if isinstance(self.pinned_sha256, str):
            raise TypeError("pinned_sha256 must be a collection of fingerprints, not one string")
        set_(self, "pinned_sha256", frozenset(_normalise_pin(p) for p in self.pinned_sha256))
        now = self.clock()
        if not isinstance(now, dt.datetime) or now.tzinfo is None:
            raise ValueError("clock() must return a timezone-aware datetime")

    @property
    def revocation_mode(self) -> RevocationMode:
        """The effective :data:`RevocationMode` (``revocation`` with ``None`` resolved).

        Resolved on every read, so ``replace(crls=...)`` on a default policy turns revocation
        checking on rather than keeping an "off" decided when there were no CRLs.
        """
        if self.revocation is not None:
            return self.revocation
        return "strict" if self.crls or self.fetch_crls else "off"

    @classmethod
    def load(
        cls,
        ca: PemSource | x509.Certificate | Iterable[PemSource | x509.Certificate],
        *,
        crls: PemSource | Iterable[PemSource] = (),
        pinned_sha256: Iterable[str] = (),
        **options: object,
    ) -> VerificationPolicy:
        """Build a policy from a CA bundle and CRLs given as paths, PEM text or bytes.

        ``options`` are the other fields (``clock_skew=``, ``revocation=``, ...).

        :raises ValueError: if a file is unreadable, holds no certificate/CRL, or an option is
            invalid.
        """
        anchors = load_certificates(ca)
        if not anchors:
            raise ValueError("the CA bundle holds no certificate")
        return cls(
            trust_anchors=anchors,
            crls=load_crls(crls),
            pinned_sha256=frozenset(pinned_sha256),
            **options,  # type: ignore[arg-type]
        )

    def replace(self, **changes: object) -> VerificationPolicy:
        """A copy with ``changes`` applied (validated and compiled afresh, empty cache)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def clear_cache(self) -> None:
        """Forget every cached verification result and fetched CRL of this policy.

        That is, of the shared verifier :func:`~mtlsguard.certs.verify` uses; a
        :class:`~mtlsguard.certs.verifier.CertificateVerifier` built by hand has its own
        ``clear_cache()``.
        """
        for verifier in self._shared_verifier:
            verifier.clear_cache()
