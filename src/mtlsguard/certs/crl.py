"""Certificate revocation lists: local files and (opt-in) HTTP distribution points.

Rules, in the order :func:`revocation_status` applies them:

* A CRL counts only if its issuer name equals the certificate's issuer *and* its signature
  verifies with the issuing CA's public key (taken from the verified chain). CRLs signed by any
  other key are ignored as if absent.
* Scope (RFC 5280 §5.2.4, §5.2.5, §5.3, §6.3.3): a CRL with a critical extension (or entry
  extension) this module does not process, an indirect CRL and one that only covers attribute
  certificates are never used. A CRL whose IssuingDistributionPoint excludes the certificate
  (``onlyContainsCACerts`` for a leaf, ``onlyContainsUserCerts`` for a CA, or a distribution
  point the certificate does not name: another partition) does not apply to it. A delta CRL
  (no base is ever combined with it) and an ``onlySomeReasons`` CRL can prove a revocation but
  never vouch that a certificate is good: with nothing else, the status is unknown, which
  strict mode refuses.
* A certificate listed in an authentic CRL is ``revoked``, even if that CRL is stale:
  revocation is permanent, and a stale list that names the serial is still proof.
* A CRL whose ``nextUpdate`` has passed (or whose ``lastUpdate`` is in the future) is *stale*:
  it cannot vouch that a certificate is still good. In strict mode a stale or missing CRL
  makes the status unknown (``revocation_unknown``); in soft mode the certificate passes.
* Distribution points are fetched only after the chain verified (so the URLs come from a
  trusted CA, not from the client), only over ``http``/``https`` (redirects too), with a
  timeout, an overall deadline and a size cap, and cached until the CRL's ``nextUpdate``.
  Failed fetches are remembered for :data:`FETCH_RETRY_AFTER` so a dead CRL server is not
  hammered on every request.
"""

from __future__ import annotations

import datetime as dt
import enum
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Final

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from mtlsguard.certs.crl_scope import CrlScope, removed_from_crl
from mtlsguard.certs.errors import NO_EXTENSION

__all__ = [
    "FETCH_RETRY_AFTER",
    "CrlFetcher",
    "CrlIndex",
    "CrlRecord",
    "CrlScope",
    "RevocationStatus",
    "check_crl",
    "distribution_point_urls",
    "parse_crl",
    "revocation_status",
]

#: How long a failed distribution-point fetch is remembered before it is tried again.
FETCH_RETRY_AFTER: Final = dt.timedelta(seconds=30)

_ALLOWED_SCHEMES: Final = frozenset({"http", "https"})
_MAX_REDIRECTS: Final = 3


def parse_crl(data: bytes) -> x509.CertificateRevocationList:
    """Load a CRL from DER or PEM bytes, and decode every field revocation checks read.

    :raises ValueError: if ``data`` is not a well-formed CRL.
    """
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            crl = x509.load_pem_x509_crl(data)
        else:
            crl = x509.load_der_x509_crl(data)
    except (TypeError, ValueError, x509.InvalidVersion) as exc:  # InvalidVersion: no ValueError
        raise ValueError(f"not a CRL: {exc}") from exc
    check_crl(crl)
    return crl


def check_crl(crl: x509.CertificateRevocationList) -> None:
    """Decode the fields revocation checks use, so a bad CRL fails now and not mid-request.

    ``cryptography`` parses lazily: a CRL can load and then raise ``TypeError`` or
    ``ValueError`` when its issuer name, dates or entries are first read.

    :raises ValueError: naming what could not be decoded.
    """
    try:
        _ = crl.issuer.rfc4514_string(), crl.last_update_utc, crl.next_update_utc
        for entry in crl:
            _ = entry.serial_number
    except (TypeError, ValueError, x509.InvalidVersion) as exc:
        raise ValueError(f"malformed CRL: {exc}") from exc


@dataclass(eq=False)
class CrlRecord:
    """A CRL plus what we learnt about it: validity window, scope and which keys signed it."""

    crl: x509.CertificateRevocationList
    origin: str
    """Where it came from (a file path, a URL, ``"<bytes>"``), for error messages."""
    last_update: dt.datetime = field(init=False)
    next_update: dt.datetime | None = field(init=False)
    issuer: x509.Name = field(init=False)
    """The CRL's issuer name, decoded once (``crl.issuer`` decodes it on every read)."""
    scope: CrlScope = field(init=False)
    """What the CRL covers (RFC 5280 §5.2.4/§5.2.5), read once."""
    _signed_by: dict[bytes, bool] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        check_crl(self.crl)
        self.last_update = self.crl.last_update_utc
        self.next_update = self.crl.next_update_utc
        self.issuer = self.crl.issuer
        self.scope = CrlScope.of(self.crl)

    def is_current(self, now: dt.datetime) -> bool:
        """True when ``now`` lies within ``[lastUpdate, nextUpdate)`` (no nextUpdate: stale)."""
        return self.next_update is not None and self.last_update <= now < self.next_update

    def is_signed_by(self, issuer: x509.Certificate) -> bool:
        """Whether ``issuer``'s key signed this CRL (memoised: the check costs ~0.1 ms)."""
        key = issuer.public_key()
        spki = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        with self._lock:
            known = self._signed_by.get(spki)
        if known is None:
            try:
                known = self.crl.is_signature_valid(key)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                known = False
            with self._lock:
                self._signed_by[spki] = known
        return known


class RevocationStatus(enum.Enum):
    """Outcome of a revocation check for one certificate."""

    GOOD = "good"
    """A current, authentic CRL from the issuer does not list the certificate."""
    REVOKED = "revoked"
    """An authentic CRL from the issuer lists the certificate."""
    UNKNOWN = "unknown"
    """No authentic CRL, or only stale ones that do not list it."""


def revocation_status(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    candidates: Iterable[CrlRecord],
    now: dt.datetime,
    *,
    issuer_name: x509.Name | None = None,
) -> tuple[RevocationStatus, dt.datetime | None, str]:
    """Check ``cert`` against the ``candidates`` CRLs that ``issuer`` really signed.

    ``issuer_name`` is ``cert.issuer`` when the caller has decoded it already.

    :returns: the status, the earliest ``nextUpdate`` among the current CRLs consulted (when
        the answer must be re-checked), and a human-readable detail.
    """
    serial = cert.serial_number
    if issuer_name is None:
        issuer_name = cert.issuer
    good_until: dt.datetime | None = None
    seen: set[str] = set()
    for record in candidates:
        if record.issuer != issuer_name:
            continue
        if not record.is_signed_by(issuer):
            seen.add("forged")
            continue
        scope = record.scope
        if scope.unusable is not None:
            seen.add(f"unusable: {scope.unusable}")
            continue
        if not scope.applies_to(cert):
            seen.add("out of scope")
            continue
        entry = record.crl.get_revoked_certificate_by_serial_number(serial)
        if entry is not None and not (scope.delta and removed_from_crl(entry)):
            return (
                RevocationStatus.REVOKED,
                None,
                f"serial {serial:#x} is listed in {record.origin}",
            )
        if not scope.complete:
            seen.add("partial")
        elif record.is_current(now):
            assert record.next_update is not None
            good_until = (
                record.next_update if good_until is None else min(good_until, record.next_update)
            )
        else:
            seen.add("stale")
    if good_until is not None:
        return RevocationStatus.GOOD, good_until, "not listed"
    return RevocationStatus.UNKNOWN, None, _unknown_detail(seen)


def _unknown_detail(seen: set[str]) -> str:
    if "stale" in seen:
        return "the issuer's CRL is stale (past nextUpdate)"
    if "partial" in seen:
        return (
            "only a delta or reason-partitioned CRL for the issuing CA: it cannot vouch for "
            "a certificate without the complete CRL"
        )
    if "out of scope" in seen:
        return (
            "the issuing CA's CRL does not cover this certificate "
            "(IssuingDistributionPoint: another kind of certificate or another partition)"
        )
    unusable = sorted(s for s in seen if s.startswith("unusable: "))
    if unusable:
        return f"the issuing CA's CRL cannot be used: {unusable[0].removeprefix('unusable: ')}"
    if "forged" in seen:
        return "no CRL signed by the issuing CA (a CRL with its name has another signature)"
    return "no CRL for the issuing CA"


class CrlIndex:
    """The configured CRL files, indexed by issuer name."""

    def __init__(self, records: Iterable[CrlRecord]) -> None:
        self._by_issuer: dict[x509.Name, list[CrlRecord]] = {}
        for record in records:
            self._by_issuer.setdefault(record.issuer, []).append(record)

    def __bool__(self) -> bool:
        return bool(self._by_issuer)

    def for_issuer(self, issuer: x509.Name) -> list[CrlRecord]:
        """The CRLs whose issuer name is ``issuer`` (signatures not yet checked)."""
        return self._by_issuer.get(issuer, [])


def distribution_point_urls(cert: x509.Certificate) -> list[str]:
    """The ``http``/``https`` URLs of ``cert``'s direct CRL distribution points.

    Distribution points naming a separate ``cRLIssuer`` (indirect CRLs) are skipped.
    """
    try:
        ext = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    except NO_EXTENSION:
        return []  # none, or duplicate/undecodable extensions: nothing to fetch
    urls: list[str] = []
    for point in ext.value:
        if point.crl_issuer or not point.full_name:
            continue
        for name in point.full_name:
            if isinstance(name, x509.UniformResourceIdentifier):
                scheme = urllib.parse.urlsplit(name.value).scheme.lower()
                if scheme in _ALLOWED_SCHEMES:
                    urls.append(name.value)
    return urls


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow at most a few redirects, and only to http/https (never file:, ftp:...)."""

    max_redirections = _MAX_REDIRECTS

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: object,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).scheme.lower() not in _ALLOWED_SCHEMES:
            raise urllib.error.HTTPError(newurl, code, "redirect to a non-HTTP URL", None, fp)  # type: ignore[arg-type]
        return super().redirect_request(req, fp, code, msg, headers, newurl)  # type: ignore[arg-type]


@dataclass
class _Fetched:
    record: CrlRecord | None
    retry_at: dt.datetime


class CrlFetcher:
    """Fetch CRLs from distribution points over HTTP, bounded, cached until ``nextUpdate``.

    Thread-safe; concurrent requests for the same URL wait for one download.
    """

    def __init__(self, *, timeout: float, max_bytes: int) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._cache: dict[str, _Fetched] = {}
        self._lock = threading.Lock()
        self._url_locks: dict[str, threading.Lock] = {}
        self._opener = urllib.request.build_opener(_HttpOnlyRedirects())

    def get(self, url: str, now: dt.datetime) -> tuple[CrlRecord | None, str]:
        """Return the CRL at ``url`` (cached while current) or ``None`` and why not."""
        with self._lock:
            entry = self._cache.get(url)
            if entry is not None and now < entry.retry_at:
                return entry.record, "cached"
            url_lock = self._url_locks.setdefault(url, threading.Lock())
        with url_lock:
            with self._lock:  # someone else may have fetched it while we waited
                entry = self._cache.get(url)
                if entry is not None and now < entry.retry_at:
                    return entry.record, "cached"
            record, detail = self._download(url)
            if record is not None and record.is_current(now):
                assert record.next_update is not None
                retry_at = record.next_update
            else:  # failed, or stale on arrival: try again soon
                retry_at = now + FETCH_RETRY_AFTER
            with self._lock:
                self._cache[url] = _Fetched(record, retry_at)
            return record, detail

    def clear(self) -> None:
        """Forget every fetched CRL."""
        with self._lock:
            self._cache.clear()

    def _download(self, url: str) -> tuple[CrlRecord | None, str]:
        if urllib.parse.urlsplit(url).scheme.lower() not in _ALLOWED_SCHEMES:
            return None, f"refusing to fetch non-HTTP CRL URL {url!r}"
        deadline = time.monotonic() + self.timeout
        request = urllib.request.Request(url, headers={"Accept": "application/pkix-crl"})  # noqa: S310
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                length = response.headers.get("Content-Length")
                if length is not None and length.isdigit() and int(length) > self.max_bytes:
                    return None, f"CRL at {url} is larger than {self.max_bytes} bytes"
                chunks: list[bytes] = []
                size = 0
                while True:
                    if time.monotonic() > deadline:
                        return None, f"CRL download from {url} took longer than {self.timeout}s"
                    chunk = response.read(min(65536, self.max_bytes + 1 - size))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > self.max_bytes:
                        return None, f"CRL at {url} is larger than {self.max_bytes} bytes"
        except (OSError, ValueError, urllib.error.URLError) as exc:
            return None, f"could not fetch CRL from {url}: {exc}"
        try:
            return CrlRecord(parse_crl(b"".join(chunks)), url), "fetched"
        except ValueError as exc:
            return None, f"{url} did not return a CRL: {exc}"
