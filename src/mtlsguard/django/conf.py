"""The ``MTLSGUARD`` settings dict: safe defaults, validated once, cached, reloaded in tests.

Every key is optional except ``SOURCE`` and ``CA_BUNDLE`` (without them no certificate can
be read or verified, so the middleware refuses to start instead of guessing)::

    MTLSGUARD = {
        "SOURCE": "nginx",                    # one of mtlsguard.certs.SOURCES
        "HEADERS": {},                        # per-role header overrides {"cert": "X-Client-Cert"}
        "TRUSTED_PROXIES": [],                # CIDRs of the proxies; [] trusts nobody
        "HOPS": 1,                            # trusted proxies appending to multi-hop headers
        "CLIENT_IP_HEADER": "X-Forwarded-For",  # client address from a trusted proxy, or None
        "CA_BUNDLE": None,                    # path (or list of paths) of the client CA PEMs
        "CRL_FILES": [],                      # PEM/DER CRL files checked on every verification
        "VERIFY": {
            "CLOCK_SKEW": 0,                  # seconds of validity-window tolerance
            "MIN_RSA_BITS": 2048,
            "MIN_EC_BITS": 256,
            "PINNED_SHA256": [],              # if set, only these fingerprints are accepted
            "ALLOW_FIELDS_ONLY": False,       # accept proxies that forward only DN/serial
            "REVOCATION": None,               # None (strict if CRLs), "off", "soft", "strict"
            "REVOCATION_DEPTH": "leaf",       # "leaf" or "chain"
            "FETCH_CRLS": False,              # fetch CRL distribution points over HTTP
            "REQUIRE_CLIENT_AUTH_EKU": True,
        },
        "IDENTITY": {
            "MAPPING": "binding",             # binding | email | spiffe | subject
            "PRINCIPAL_REGEX": None,          # applied to the subject/SPIFFE ID; group 1 = name
            "CACHE_TTL": 10,                  # seconds a certificate -> user answer is reused
        },
        "AUTHENTICATE": True,                 # map the certificate to request.user
        "REQUIRED": "all",                    # "off", "all", or a list of path prefixes
        "API_PREFIXES": ["/api/"],            # answered with application/problem+json
        "UNTRUSTED_HEADERS": "reject",        # "reject" (400) or "ignore" (log, no identity)
        "AUDIT": {"ENABLED": True, "LOG_ALLOWED": True, "DATABASE": False,
                  "RETENTION_DAYS": 90, "REQUEST_ID_HEADER": "X-Request-ID"},
        "THROTTLE": {"ENABLED": True, "FAILURES": 20, "WINDOW": 300, "CACHE": "default"},
    }

:func:`get_settings` validates the dict the first time it is needed and raises
``ImproperlyConfigured`` with the exact key and how to fix it; the result is cached and
dropped when Django's ``setting_changed`` signal reports a change of ``MTLSGUARD``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from mtlsguard.certs.proxies import TrustedProxies
from mtlsguard.certs.sources import SOURCES
from mtlsguard.django.validators import (
    boolean,
    choice,
    fail,
    header_name,
    integer,
    merge,
    regex,
    strings,
)

__all__ = [
    "DEFAULTS",
    "AuditSettings",
    "IdentitySettings",
    "MtlsGuardSettings",
    "ThrottleSettings",
    "VerifySettings",
    "get_settings",
    "reload_settings",
]

#: The documented defaults; user values are merged over them key by key (nested dicts too).
DEFAULTS: Final[Mapping[str, Any]] = {
    "SOURCE": None,
    "HEADERS": {},
    "TRUSTED_PROXIES": [],
    "HOPS": 1,
    "CLIENT_IP_HEADER": "X-Forwarded-For",
    "CA_BUNDLE": None,
    "CRL_FILES": [],
    "VERIFY": {
        "CLOCK_SKEW": 0,
        "MIN_RSA_BITS": 2048,
        "MIN_EC_BITS": 256,
        "PINNED_SHA256": [],
        "ALLOW_FIELDS_ONLY": False,
        "REVOCATION": None,
        "REVOCATION_DEPTH": "leaf",
        "FETCH_CRLS": False,
        "REQUIRE_CLIENT_AUTH_EKU": True,
    },
    "IDENTITY": {"MAPPING": "binding", "PRINCIPAL_REGEX": None, "CACHE_TTL": 10},
    "AUTHENTICATE": True,
    "REQUIRED": "all",
    "API_PREFIXES": ["/api/"],
    "UNTRUSTED_HEADERS": "reject",
    "AUDIT": {
        "ENABLED": True,
        "LOG_ALLOWED": True,
        "DATABASE": False,
        "RETENTION_DAYS": 90,
        "REQUEST_ID_HEADER": "X-Request-ID",
    },
    "THROTTLE": {"ENABLED": True, "FAILURES": 20, "WINDOW": 300, "CACHE": "default"},
}

Mapping_ = Literal["binding", "email", "spiffe", "subject"]
_MAPPINGS: Final = ("binding", "email", "spiffe", "subject")
_SHA256_HEX = re.compile(r"\A[0-9a-f]{64}\Z")
#: Spring Security's default ``subjectPrincipalRegex`` (the first CN of the subject), anchored
#: to attribute boundaries: whole RFC 4514 attributes are skipped (escapes included) until one
#: is ``CN=``, so "CN=" text inside another attribute's value (``OU=CN=admin``) never matches.
DEFAULT_SUBJECT_REGEX: Final = r"\A(?:(?:[^,+\\]|\\.)*+[,+])*?CN=((?:[^,+\\]|\\.)*)"


@dataclass(frozen=True, slots=True)
class VerifySettings:
    """``MTLSGUARD["VERIFY"]``: options of the verification policy."""

    clock_skew: int
    """Seconds of tolerance on both ends of the validity window."""
    min_rsa_bits: int
    """Smallest accepted RSA modulus."""
    min_ec_bits: int
    """Smallest accepted EC curve size."""
    pinned_sha256: frozenset[str]
    """If non-empty, only these (lower-case hex) fingerprints are accepted."""
    allow_fields_only: bool
    """Accept identities for which the proxy forwarded fields but not the certificate."""
    revocation: Literal["off", "soft", "strict"] | None
    """Revocation mode of :class:`~mtlsguard.certs.VerificationPolicy` (``None``: strict when
    CRLs are configured or fetched, off otherwise)."""
    revocation_depth: Literal["leaf", "chain"]
    """Check the leaf only, or every intermediate too."""
    fetch_crls: bool
    """Fetch CRLs from the certificates' HTTP distribution points."""
    require_client_auth_eku: bool
    """Require an extendedKeyUsage with clientAuth."""


@dataclass(frozen=True, slots=True)
class IdentitySettings:
    """``MTLSGUARD["IDENTITY"]``: how a verified certificate becomes a user."""

    mapping: Mapping_
    """``binding`` (a :class:`CertificateBinding` row), ``email`` (first e-mail SAN matched
    against the user model's e-mail field), ``spiffe`` (SPIFFE ID) or ``subject`` (subject DN)
    -- the last two give a username, optionally through :attr:`principal_regex`."""
    principal_regex: re.Pattern[str] | None
    """Applied with ``search`` to the SPIFFE ID or subject; group 1 is the username."""
    cache_ttl: int
    """Seconds a certificate -> user answer is reused without the database (0: never). A
    change to a binding or a user in this process clears the cache at once; other processes
    see it within this many seconds."""


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """``MTLSGUARD["AUDIT"]``: the audit trail."""

    enabled: bool
    """Emit events on the ``mtlsguard.audit`` logger."""
    log_allowed: bool
    """Also log allowed requests (denied ones are always logged when enabled)."""
    database: bool
    """Also store events as :class:`~mtlsguard.django.models.AuditEvent` rows."""
    retention_days: int
    """Age after which ``mtlscert prune-audit`` deletes rows."""
    request_id_header: str | None
    """Header carrying the request id set by the proxy; a UUID is generated otherwise."""


@dataclass(frozen=True, slots=True)
class ThrottleSettings:
    """``MTLSGUARD["THROTTLE"]``: limits on failed certificate authentications (CWE-307)."""

    enabled: bool
    """Count failures and answer 429 once a peer or fingerprint exceeds :attr:`failures`."""
    failures: int
    """Failures allowed per window, per peer address and per certificate fingerprint."""
    window: int
    """Window length in seconds (fixed window, starting with the first failure)."""
    cache: str
    """Alias in ``CACHES``; use a shared cache (Redis, Memcached) with several nodes."""


@dataclass(frozen=True, slots=True)
class MtlsGuardSettings:
    """The validated ``MTLSGUARD`` dict; build with :func:`get_settings`."""

    source: str
    """Certificate source name (``mtlsguard.certs.SOURCES``)."""
    headers: Mapping[str, str]
    """Per-role header-name overrides passed to ``extract(names=...)``."""
    trusted_proxies: TrustedProxies
    """Peers whose forwarded-certificate headers are believed, and their hop count."""
    client_ip_header: str | None
    """Header in which a trusted proxy reports the client's address (``hops``-th entry from
    the right), used for throttling and audit; ``None``: use the TCP peer."""
    ca_bundle: tuple[Path, ...]
    """PEM files holding the CAs client certificates must chain to."""
    crl_files: tuple[Path, ...]
    """CRL files (PEM or DER)."""
    verify: VerifySettings
    """Verification-policy options."""
    identity: IdentitySettings
    """Certificate-to-user mapping."""
    authenticate: bool
    """Whether the middleware maps certificates to ``request.user``."""
    required: Literal["off", "all"] | tuple[str, ...]
    """Where a verified certificate is required."""
    api_prefixes: tuple[str, ...]
    """Path prefixes answered with ``application/problem+json``."""
    untrusted_headers: Literal["reject", "ignore"]
    """What to do with forwarded-certificate headers from an untrusted peer."""
    audit: AuditSettings
    """Audit options."""
    throttle: ThrottleSettings
    """Throttle options."""
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)
    """The merged dict the settings were built from."""

    def is_required(self, path: str) -> bool:
        """Whether ``path`` needs a verified certificate."""
        if self.required == "off":
            return False
        if self.required == "all":
            return True
        return path.startswith(self.required)

    def is_api(self, path: str) -> bool:
        """Whether ``path`` gets RFC 9457 problem responses."""
        return path.startswith(self.api_prefixes)


def build_settings(user: Mapping[str, Any] | None) -> MtlsGuardSettings:
    """Validate a user ``MTLSGUARD`` dict (``None``: not set) into :class:`MtlsGuardSettings`.

    :raises ImproperlyConfigured: naming the key at fault and how to fix it.
    """
    if user is None:
        user = {}
    if not isinstance(user, Mapping):
        raise ImproperlyConfigured("MTLSGUARD must be a dict (see docs/django.md).")
    raw = merge(user, DEFAULTS, "")

    source = raw["SOURCE"]
    if not isinstance(source, str) or source not in SOURCES:
        raise fail(
            "'SOURCE'",
            f"is {source!r}" if source is not None else "is not set",
            f"Set it to the proxy or server that terminates TLS, one of {sorted(SOURCES)}.",
        )
    roles = SOURCES[source].default_names
    headers = raw["HEADERS"]
    if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in headers.items()):
        raise fail("'HEADERS'", "must map role names to header names", "Use strings.")
    unknown_roles = sorted(set(headers) - set(roles))
    if unknown_roles:
        raise fail(
            "'HEADERS'",
            f"names role(s) {unknown_roles} that source {source!r} does not have",
            f"Its roles are {sorted(roles)}.",
        )

    try:
        proxies = TrustedProxies(
            strings(raw["TRUSTED_PROXIES"], "'TRUSTED_PROXIES'"),
            hops=integer(raw["HOPS"], "'HOPS'", 1),
        )
    except (ValueError, TypeError) as exc:
        raise fail(
            "'TRUSTED_PROXIES'",
            f"is invalid: {exc}",
            "List the proxies' addresses or networks, e.g. ['10.0.0.0/8', '::1'].",
        ) from None

    ca_value = raw["CA_BUNDLE"]
    if ca_value is None:
        raise fail(
            "'CA_BUNDLE'",
            "is not set",
            "Point it at the PEM file of the CA(s) that issue client certificates.",
        )
    ca_bundle = tuple(Path(p) for p in strings(ca_value, "'CA_BUNDLE'"))
    crl_files = tuple(Path(p) for p in strings(raw["CRL_FILES"], "'CRL_FILES'"))

    v = raw["VERIFY"]
    pins = frozenset(
        p.lower().replace(":", "") for p in strings(v["PINNED_SHA256"], "'VERIFY']['PINNED_SHA256'")
    )
    bad_pins = sorted(p for p in pins if not _SHA256_HEX.match(p))
    if bad_pins:
        raise fail(
            "'VERIFY']['PINNED_SHA256'",
            f"holds {bad_pins}, not SHA-256 hex fingerprints",
            "Use 64 hex digits (colons allowed), e.g. from `mtlscert list`.",
        )
    verify = VerifySettings(
        clock_skew=integer(v["CLOCK_SKEW"], "'VERIFY']['CLOCK_SKEW'", 0),
        min_rsa_bits=integer(v["MIN_RSA_BITS"], "'VERIFY']['MIN_RSA_BITS'", 1024),
        min_ec_bits=integer(v["MIN_EC_BITS"], "'VERIFY']['MIN_EC_BITS'", 160),
        pinned_sha256=pins,
        allow_fields_only=boolean(v["ALLOW_FIELDS_ONLY"], "'VERIFY']['ALLOW_FIELDS_ONLY'"),
        revocation=choice(
            v["REVOCATION"], "'VERIFY']['REVOCATION'", (None, "off", "soft", "strict")
        ),
        revocation_depth=choice(
            v["REVOCATION_DEPTH"], "'VERIFY']['REVOCATION_DEPTH'", ("leaf", "chain")
        ),
        fetch_crls=boolean(v["FETCH_CRLS"], "'VERIFY']['FETCH_CRLS'"),
        require_client_auth_eku=boolean(
            v["REQUIRE_CLIENT_AUTH_EKU"], "'VERIFY']['REQUIRE_CLIENT_AUTH_EKU'"
        ),
    )

    i = raw["IDENTITY"]
    if i["MAPPING"] not in _MAPPINGS:
        raise fail(
            "'IDENTITY']['MAPPING'", f"is {i['MAPPING']!r}", f"Use one of {list(_MAPPINGS)}."
        )
    principal = regex(i["PRINCIPAL_REGEX"], "'IDENTITY']['PRINCIPAL_REGEX'")
    if principal is None and i["MAPPING"] == "subject":
        principal = re.compile(DEFAULT_SUBJECT_REGEX)
    identity = IdentitySettings(
        mapping=i["MAPPING"],
        principal_regex=principal,
        cache_ttl=integer(i["CACHE_TTL"], "'IDENTITY']['CACHE_TTL'", 0),
    )

    required_value = raw["REQUIRED"]
    required: Literal["off", "all"] | tuple[str, ...]
    if required_value in ("off", "all"):
        required = required_value
    else:
        required = strings(required_value, "'REQUIRED'")
        if not required or not all(p.startswith("/") for p in required):
            raise fail(
                "'REQUIRED'",
                f"is {required_value!r}",
                "Use 'off', 'all', or a non-empty list of path prefixes starting with '/'.",
            )
    if raw["UNTRUSTED_HEADERS"] not in ("reject", "ignore"):
        raise fail(
            "'UNTRUSTED_HEADERS'", f"is {raw['UNTRUSTED_HEADERS']!r}", "Use 'reject' or 'ignore'."
        )

    a = raw["AUDIT"]
    request_id_header = header_name(a["REQUEST_ID_HEADER"], "'AUDIT']['REQUEST_ID_HEADER'")
    audit = AuditSettings(
        enabled=boolean(a["ENABLED"], "'AUDIT']['ENABLED'"),
        log_allowed=boolean(a["LOG_ALLOWED"], "'AUDIT']['LOG_ALLOWED'"),
        database=boolean(a["DATABASE"], "'AUDIT']['DATABASE'"),
        retention_days=integer(a["RETENTION_DAYS"], "'AUDIT']['RETENTION_DAYS'", 1),
        request_id_header=request_id_header,
    )
    t = raw["THROTTLE"]
    if not isinstance(t["CACHE"], str):
        raise fail("'THROTTLE']['CACHE'", "must be a CACHES alias", "Use e.g. 'default'.")
    from django.conf import settings as django_settings

    aliases = sorted(getattr(django_settings, "CACHES", {}) or {"default": None})
    if t["CACHE"] not in aliases:
        # Caught here, not on the first failed login (where it would be a 500).
        raise fail(
            "'THROTTLE']['CACHE'",
            f"names {t['CACHE']!r}, which is not in CACHES",
            f"Use one of {aliases}; with several nodes, a shared cache (Redis, Memcached).",
        )
    throttle = ThrottleSettings(
        enabled=boolean(t["ENABLED"], "'THROTTLE']['ENABLED'"),
        failures=integer(t["FAILURES"], "'THROTTLE']['FAILURES'", 1),
        window=integer(t["WINDOW"], "'THROTTLE']['WINDOW'", 1),
        cache=t["CACHE"],
    )
    return MtlsGuardSettings(
        source=source,
        headers=dict(headers),
        trusted_proxies=proxies,
        client_ip_header=header_name(raw["CLIENT_IP_HEADER"], "'CLIENT_IP_HEADER'"),
        ca_bundle=ca_bundle,
        crl_files=crl_files,
        verify=verify,
        identity=identity,
        authenticate=boolean(raw["AUTHENTICATE"], "'AUTHENTICATE'"),
        required=required,
        api_prefixes=strings(raw["API_PREFIXES"], "'API_PREFIXES'"),
        untrusted_headers=raw["UNTRUSTED_HEADERS"],
        audit=audit,
        throttle=throttle,
        raw=raw,
    )


_lock = threading.Lock()
_cached: MtlsGuardSettings | None = None


def get_settings() -> MtlsGuardSettings:
    """The validated ``settings.MTLSGUARD``, built once per process (and per change).

    :raises ImproperlyConfigured: if the dict is invalid.
    """
    global _cached
    current = _cached
    if current is not None:
        return current
    from django.conf import settings

    with _lock:
        if _cached is None:
            _cached = build_settings(getattr(settings, "MTLSGUARD", None))
        return _cached


def reload_settings() -> None:
    """Forget the cached settings (and what was built from them) so they are re-read."""
    global _cached
    with _lock:
        _cached = None
    from mtlsguard.django import runtime

    runtime.reset()


@receiver(setting_changed)
def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("MTLSGUARD", "CACHES", "AUTH_USER_MODEL"):
        reload_settings()
