"""The nested sections of ``MTLSGUARD`` (``VERIFY``, ``IDENTITY``, ``AUDIT``, ``THROTTLE``).

Each section is a frozen dataclass with a ``from_raw`` that validates exactly that section of
the merged dict (defaults already applied) and raises ``ImproperlyConfigured`` naming the key
at fault and how to fix it. :func:`mtlsguard.django.conf.build_settings` composes them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from mtlsguard.django.validators import boolean, choice, fail, header_name, integer, regex, strings

__all__ = [
    "DEFAULT_SUBJECT_REGEX",
    "AuditSettings",
    "IdentitySettings",
    "Mapping_",
    "ThrottleSettings",
    "VerifySettings",
]

Mapping_ = Literal["binding", "email", "spiffe", "subject"]
_MAPPINGS: Final = ("binding", "email", "spiffe", "subject")
_SHA256_HEX = re.compile(r"\A[0-9a-f]{64}\Z")
_TRUST_DOMAIN = re.compile(r"[a-z0-9._-]{1,255}")
#: Spring Security's default ``subjectPrincipalRegex`` (the first CN of the subject), anchored
#: to attribute boundaries: whole RFC 4514 attributes are skipped (escapes included) until one
#: is ``CN=``, so "CN=" text inside another attribute's value (``OU=CN=admin``) never matches.
DEFAULT_SUBJECT_REGEX: Final = r"\A(?:(?:[^,+\\]|\\.)*+[,+])*?CN=((?:[^,+\\]|\\.)*)(?:[,+].*)?"


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

    @classmethod
    def from_raw(cls, v: Mapping[str, Any]) -> VerifySettings:
        """Validate the merged ``VERIFY`` dict.

        :raises ImproperlyConfigured: naming the key at fault.
        """
        pins = frozenset(
            p.lower().replace(":", "")
            for p in strings(v["PINNED_SHA256"], "'VERIFY']['PINNED_SHA256'")
        )
        bad_pins = sorted(p for p in pins if not _SHA256_HEX.match(p))
        if bad_pins:
            raise fail(
                "'VERIFY']['PINNED_SHA256'",
                f"holds {bad_pins}, not SHA-256 hex fingerprints",
                "Use 64 hex digits (colons allowed), e.g. from `mtlscert list`.",
            )
        return cls(
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


@dataclass(frozen=True, slots=True)
class IdentitySettings:
    """``MTLSGUARD["IDENTITY"]``: how a verified certificate becomes a user."""

    mapping: Mapping_
    """``binding`` (a :class:`CertificateBinding` row), ``email`` (first e-mail SAN matched
    against the user model's e-mail field), ``spiffe`` (SPIFFE ID) or ``subject`` (subject DN)
    -- the last two give a username, optionally through :attr:`principal_regex`."""
    principal_regex: re.Pattern[str] | None
    """Applied with ``fullmatch`` to the SPIFFE ID or subject (the whole value must match, so
    a SPIFFE ID or DN that merely *contains* the expected text never does); group 1 is the
    username."""
    cache_ttl: int
    """Seconds a certificate -> user answer is reused without the database (0: never). A
    change to a binding or a user in this process clears the cache at once; other processes
    see it within this many seconds."""
    spiffe_trust_domains: Mapping[str, tuple[str, ...]]
    """``spiffe`` mapping: trust domain -> the CA(s) allowed to issue its IDs (fingerprint,
    subject DN or CN of a CA in the verified chain). Empty: any trusted CA may issue any
    trust domain (``mtlsguard.W008`` with ``--deploy``)."""

    @classmethod
    def from_raw(cls, i: Mapping[str, Any]) -> IdentitySettings:
        """Validate the merged ``IDENTITY`` dict.

        :raises ImproperlyConfigured: naming the key at fault.
        """
        if i["MAPPING"] not in _MAPPINGS:
            raise fail(
                "'IDENTITY']['MAPPING'", f"is {i['MAPPING']!r}", f"Use one of {list(_MAPPINGS)}."
            )
        principal = regex(i["PRINCIPAL_REGEX"], "'IDENTITY']['PRINCIPAL_REGEX'")
        if principal is None and i["MAPPING"] == "subject":
            principal = re.compile(DEFAULT_SUBJECT_REGEX)
        return cls(
            mapping=i["MAPPING"],
            principal_regex=principal,
            cache_ttl=integer(i["CACHE_TTL"], "'IDENTITY']['CACHE_TTL'", 0),
            spiffe_trust_domains=_trust_domains(i["SPIFFE_TRUST_DOMAINS"]),
        )


def _trust_domains(value: Any) -> dict[str, tuple[str, ...]]:
    key = "'IDENTITY']['SPIFFE_TRUST_DOMAINS'"
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise fail(key, f"is {value!r}", 'Use a dict, e.g. {"example.org": "Example Issuing CA"}.')
    domains: dict[str, tuple[str, ...]] = {}
    for domain, cas in value.items():
        if not isinstance(domain, str) or not _TRUST_DOMAIN.fullmatch(domain):
            raise fail(
                key,
                f"has the key {domain!r}, which is not a SPIFFE trust domain",
                "Use lower-case trust domain names such as 'example.org'.",
            )
        references = strings(cas, f"{key}[{domain!r}]")
        if not references:
            raise fail(key, f"names no CA for {domain!r}", "Give a CA name or fingerprint.")
        domains[domain] = references
    return domains


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

    @classmethod
    def from_raw(cls, a: Mapping[str, Any]) -> AuditSettings:
        """Validate the merged ``AUDIT`` dict.

        :raises ImproperlyConfigured: naming the key at fault.
        """
        request_id_header = header_name(a["REQUEST_ID_HEADER"], "'AUDIT']['REQUEST_ID_HEADER'")
        return cls(
            enabled=boolean(a["ENABLED"], "'AUDIT']['ENABLED'"),
            log_allowed=boolean(a["LOG_ALLOWED"], "'AUDIT']['LOG_ALLOWED'"),
            database=boolean(a["DATABASE"], "'AUDIT']['DATABASE'"),
            retention_days=integer(a["RETENTION_DAYS"], "'AUDIT']['RETENTION_DAYS'", 1),
            request_id_header=request_id_header,
        )


@dataclass(frozen=True, slots=True)
class ThrottleSettings:
    """``MTLSGUARD["THROTTLE"]``: limits on failed certificate authentications (CWE-307)."""

    enabled: bool
    """Count failures and answer 429 once a client or fingerprint exceeds :attr:`failures`."""
    failures: int
    """Failures allowed per window, per client address and per certificate fingerprint."""
    window: int
    """Window length in seconds (fixed window, starting with the first failure)."""
    cache: str
    """Alias in ``CACHES``; use a shared cache (Redis, Memcached) with several nodes."""

    @classmethod
    def from_raw(cls, t: Mapping[str, Any], cache_aliases: list[str]) -> ThrottleSettings:
        """Validate the merged ``THROTTLE`` dict against the ``CACHES`` aliases.

        :raises ImproperlyConfigured: naming the key at fault.
        """
        if not isinstance(t["CACHE"], str):
            raise fail("'THROTTLE']['CACHE'", "must be a CACHES alias", "Use e.g. 'default'.")
        if t["CACHE"] not in cache_aliases:
            # Caught here, not on the first failed login (where it would be a 500).
            raise fail(
                "'THROTTLE']['CACHE'",
                f"names {t['CACHE']!r}, which is not in CACHES",
                f"Use one of {cache_aliases}; with several nodes, a shared cache (Redis, "
                "Memcached).",
            )
        return cls(
            enabled=boolean(t["ENABLED"], "'THROTTLE']['ENABLED'"),
            failures=integer(t["FAILURES"], "'THROTTLE']['FAILURES'", 1),
            window=integer(t["WINDOW"], "'THROTTLE']['WINDOW'", 1),
            cache=t["CACHE"],
        )
