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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from mtlsguard.certs.proxies import TrustedProxies
from mtlsguard.certs.sources import SOURCES

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
#: Spring Security's default ``subjectPrincipalRegex``: the first CN of the subject.
DEFAULT_SUBJECT_REGEX: Final = r"CN=((?:[^,\\]|\\.)*)"


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


def _fail(key: str, problem: str, fix: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"MTLSGUARD[{key}] {problem}. {fix}")


def _merge(user: Mapping[str, Any], defaults: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    unknown = sorted(set(user) - set(defaults))
    if unknown:
        raise _fail(
            prefix or "...",
            f"has unknown key(s) {unknown}",
            f"Valid keys are {sorted(defaults)}; check the spelling (see docs/django.md).",
        )
    merged: dict[str, Any] = {}
    for key, default in defaults.items():
        value = user.get(key, default)
        name = f"{prefix}{key!r}" if not prefix else f"{prefix}][{key!r}"
        if isinstance(default, dict) and key in user:
            if not isinstance(value, Mapping):
                raise _fail(name, f"must be a dict, not {type(value).__name__}", "Use a dict.")
            if key != "HEADERS":
                value = _merge(value, default, name)
        merged[key] = value
    return merged


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(key, f"must be True or False, not {value!r}", "Use a boolean.")
    return value


def _int(value: Any, key: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(key, f"must be an integer >= {minimum}, not {value!r}", "Fix the number.")
    return value


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str | Path):
        value = [value]
    if not isinstance(value, Sequence | set | frozenset) or not all(
        isinstance(v, str | Path) for v in value
    ):
        raise _fail(key, f"must be a list of strings, not {value!r}", "Use a list of strings.")
    return tuple(str(v) for v in value)


def _header_name(value: Any, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9-]+", value):
        raise _fail(key, f"is {value!r}", "Use a header name like 'X-Request-ID', or None.")
    return value


def _choice(value: Any, key: str, choices: tuple[Any, ...]) -> Any:
    if value not in choices:
        raise _fail(key, f"is {value!r}", f"Use one of {list(choices)}.")
    return value


def _regex(value: Any, key: str) -> re.Pattern[str] | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail(key, f"must be a regular expression string, not {value!r}", "Use a string.")
    try:
        pattern = re.compile(value)
    except re.error as exc:
        raise _fail(key, f"is not a valid regular expression ({exc})", "Fix the pattern.") from exc
    if pattern.groups < 1:
        raise _fail(key, "has no capturing group", "Put the username in group 1, e.g. CN=(.*?),")
    return pattern


def build_settings(user: Mapping[str, Any] | None) -> MtlsGuardSettings:
    """Validate a user ``MTLSGUARD`` dict (``None``: not set) into :class:`MtlsGuardSettings`.

    :raises ImproperlyConfigured: naming the key at fault and how to fix it.
    """
    if user is None:
        user = {}
    if not isinstance(user, Mapping):
        raise ImproperlyConfigured("MTLSGUARD must be a dict (see docs/django.md).")
    raw = _merge(user, DEFAULTS, "")

    source = raw["SOURCE"]
    if not isinstance(source, str) or source not in SOURCES:
        raise _fail(
            "'SOURCE'",
            f"is {source!r}" if source is not None else "is not set",
            f"Set it to the proxy or server that terminates TLS, one of {sorted(SOURCES)}.",
        )
    roles = SOURCES[source].default_names
    headers = raw["HEADERS"]
    if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in headers.items()):
        raise _fail("'HEADERS'", "must map role names to header names", "Use strings.")
    unknown_roles = sorted(set(headers) - set(roles))
    if unknown_roles:
        raise _fail(
            "'HEADERS'",
            f"names role(s) {unknown_roles} that source {source!r} does not have",
            f"Its roles are {sorted(roles)}.",
        )

    try:
        proxies = TrustedProxies(
            _strings(raw["TRUSTED_PROXIES"], "'TRUSTED_PROXIES'"),
            hops=_int(raw["HOPS"], "'HOPS'", 1),
        )
    except (ValueError, TypeError) as exc:
        raise _fail(
            "'TRUSTED_PROXIES'",
            f"is invalid: {exc}",
            "List the proxies' addresses or networks, e.g. ['10.0.0.0/8', '::1'].",
        ) from None

    ca_value = raw["CA_BUNDLE"]
    if ca_value is None:
        raise _fail(
            "'CA_BUNDLE'",
            "is not set",
            "Point it at the PEM file of the CA(s) that issue client certificates.",
        )
    ca_bundle = tuple(Path(p) for p in _strings(ca_value, "'CA_BUNDLE'"))
    crl_files = tuple(Path(p) for p in _strings(raw["CRL_FILES"], "'CRL_FILES'"))

    v = raw["VERIFY"]
    pins = frozenset(
        p.lower().replace(":", "")
        for p in _strings(v["PINNED_SHA256"], "'VERIFY']['PINNED_SHA256'")
    )
    bad_pins = sorted(p for p in pins if not _SHA256_HEX.match(p))
    if bad_pins:
        raise _fail(
            "'VERIFY']['PINNED_SHA256'",
            f"holds {bad_pins}, not SHA-256 hex fingerprints",
            "Use 64 hex digits (colons allowed), e.g. from `mtlscert list`.",
        )
    verify = VerifySettings(
        clock_skew=_int(v["CLOCK_SKEW"], "'VERIFY']['CLOCK_SKEW'", 0),
        min_rsa_bits=_int(v["MIN_RSA_BITS"], "'VERIFY']['MIN_RSA_BITS'", 1024),
        min_ec_bits=_int(v["MIN_EC_BITS"], "'VERIFY']['MIN_EC_BITS'", 160),
        pinned_sha256=pins,
        allow_fields_only=_bool(v["ALLOW_FIELDS_ONLY"], "'VERIFY']['ALLOW_FIELDS_ONLY'"),
        revocation=_choice(
            v["REVOCATION"], "'VERIFY']['REVOCATION'", (None, "off", "soft", "strict")
        ),
        revocation_depth=_choice(
            v["REVOCATION_DEPTH"], "'VERIFY']['REVOCATION_DEPTH'", ("leaf", "chain")
        ),
        fetch_crls=_bool(v["FETCH_CRLS"], "'VERIFY']['FETCH_CRLS'"),
        require_client_auth_eku=_bool(
            v["REQUIRE_CLIENT_AUTH_EKU"], "'VERIFY']['REQUIRE_CLIENT_AUTH_EKU'"
        ),
    )

    i = raw["IDENTITY"]
    if i["MAPPING"] not in _MAPPINGS:
        raise _fail(
            "'IDENTITY']['MAPPING'", f"is {i['MAPPING']!r}", f"Use one of {list(_MAPPINGS)}."
        )
    regex = _regex(i["PRINCIPAL_REGEX"], "'IDENTITY']['PRINCIPAL_REGEX'")
    if regex is None and i["MAPPING"] == "subject":
        regex = re.compile(DEFAULT_SUBJECT_REGEX)
    identity = IdentitySettings(
        mapping=i["MAPPING"],
        principal_regex=regex,
        cache_ttl=_int(i["CACHE_TTL"], "'IDENTITY']['CACHE_TTL'", 0),
    )

    required_value = raw["REQUIRED"]
    required: Literal["off", "all"] | tuple[str, ...]
    if required_value in ("off", "all"):
        required = required_value
    else:
        required = _strings(required_value, "'REQUIRED'")
        if not required or not all(p.startswith("/") for p in required):
            raise _fail(
                "'REQUIRED'",
                f"is {required_value!r}",
                "Use 'off', 'all', or a non-empty list of path prefixes starting with '/'.",
            )
    if raw["UNTRUSTED_HEADERS"] not in ("reject", "ignore"):
        raise _fail(
            "'UNTRUSTED_HEADERS'", f"is {raw['UNTRUSTED_HEADERS']!r}", "Use 'reject' or 'ignore'."
        )

    a = raw["AUDIT"]
    request_id_header = _header_name(a["REQUEST_ID_HEADER"], "'AUDIT']['REQUEST_ID_HEADER'")
    audit = AuditSettings(
        enabled=_bool(a["ENABLED"], "'AUDIT']['ENABLED'"),
        log_allowed=_bool(a["LOG_ALLOWED"], "'AUDIT']['LOG_ALLOWED'"),
        database=_bool(a["DATABASE"], "'AUDIT']['DATABASE'"),
        retention_days=_int(a["RETENTION_DAYS"], "'AUDIT']['RETENTION_DAYS'", 1),
        request_id_header=request_id_header,
    )
    t = raw["THROTTLE"]
    if not isinstance(t["CACHE"], str):
        raise _fail("'THROTTLE']['CACHE'", "must be a CACHES alias", "Use e.g. 'default'.")
    throttle = ThrottleSettings(
        enabled=_bool(t["ENABLED"], "'THROTTLE']['ENABLED'"),
        failures=_int(t["FAILURES"], "'THROTTLE']['FAILURES'", 1),
        window=_int(t["WINDOW"], "'THROTTLE']['WINDOW'", 1),
        cache=t["CACHE"],
    )
    return MtlsGuardSettings(
        source=source,
        headers=dict(headers),
        trusted_proxies=proxies,
        client_ip_header=_header_name(raw["CLIENT_IP_HEADER"], "'CLIENT_IP_HEADER'"),
        ca_bundle=ca_bundle,
        crl_files=crl_files,
        verify=verify,
        identity=identity,
        authenticate=_bool(raw["AUTHENTICATE"], "'AUTHENTICATE'"),
        required=required,
        api_prefixes=_strings(raw["API_PREFIXES"], "'API_PREFIXES'"),
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
