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
            "PRINCIPAL_REGEX": None,          # fullmatch on the subject/SPIFFE ID; group 1 = name
            "CACHE_TTL": 10,                  # seconds a certificate -> user answer is reused
            "SPIFFE_TRUST_DOMAINS": None,     # {"example.org": "CA name or fingerprint"}
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
dropped when Django's ``setting_changed`` signal reports a change of ``MTLSGUARD``, after
which :data:`settings_reloaded` is sent so that whatever was compiled from the old settings
(:mod:`mtlsguard.django.runtime` connects to it) is dropped too.

The nested sections (``VERIFY``, ``IDENTITY``, ``AUDIT``, ``THROTTLE``) are validated by their
own dataclasses in :mod:`mtlsguard.django.settings_sections`; this module validates the
top-level keys and composes the result.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import Signal, receiver

from mtlsguard.certs.proxies import TrustedProxies
from mtlsguard.certs.sources import SOURCES
from mtlsguard.django.settings_sections import (
    DEFAULT_SUBJECT_REGEX,
    AuditSettings,
    IdentitySettings,
    Mapping_,
    ThrottleSettings,
    VerifySettings,
)
from mtlsguard.django.validators import boolean, fail, header_name, integer, merge, strings

__all__ = [
    "DEFAULTS",
    "DEFAULT_SUBJECT_REGEX",
    "AuditSettings",
    "IdentitySettings",
    "Mapping_",
    "MtlsGuardSettings",
    "ThrottleSettings",
    "VerifySettings",
    "build_settings",
    "get_settings",
    "reload_settings",
    "settings_reloaded",
]

settings_reloaded: Final = Signal()
"""Sent (no arguments) by :func:`reload_settings` after the cached settings were dropped."""

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
    "IDENTITY": {
        "MAPPING": "binding",
        "PRINCIPAL_REGEX": None,
        "CACHE_TTL": 10,
        # None, not {}: a dict default would make merge() treat the trust domains as keys.
        "SPIFFE_TRUST_DOMAINS": None,
    },
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


def _source(raw: Mapping[str, Any]) -> str:
    source = raw["SOURCE"]
    if not isinstance(source, str) or source not in SOURCES:
        raise fail(
            "'SOURCE'",
            f"is {source!r}" if source is not None else "is not set",
            f"Set it to the proxy or server that terminates TLS, one of {sorted(SOURCES)}.",
        )
    return source


def _headers(raw: Mapping[str, Any], source: str) -> dict[str, str]:
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
    return dict(headers)


def _trusted_proxies(raw: Mapping[str, Any]) -> TrustedProxies:
    try:
        return TrustedProxies(
            strings(raw["TRUSTED_PROXIES"], "'TRUSTED_PROXIES'"),
            hops=integer(raw["HOPS"], "'HOPS'", 1),
        )
    except (ValueError, TypeError) as exc:
        raise fail(
            "'TRUSTED_PROXIES'",
            f"is invalid: {exc}",
            "List the proxies' addresses or networks, e.g. ['10.0.0.0/8', '::1'].",
        ) from None


def _ca_bundle(raw: Mapping[str, Any]) -> tuple[Path, ...]:
    ca_value = raw["CA_BUNDLE"]
    if ca_value is None:
        raise fail(
            "'CA_BUNDLE'",
            "is not set",
            "Point it at the PEM file of the CA(s) that issue client certificates.",
        )
    return tuple(Path(p) for p in strings(ca_value, "'CA_BUNDLE'"))


def _required(raw: Mapping[str, Any]) -> Literal["off", "all"] | tuple[str, ...]:
    required_value = raw["REQUIRED"]
    if required_value in ("off", "all"):
        return required_value  # type: ignore[no-any-return]
    required = strings(required_value, "'REQUIRED'")
    if not required or not all(p.startswith("/") for p in required):
        raise fail(
            "'REQUIRED'",
            f"is {required_value!r}",
            "Use 'off', 'all', or a non-empty list of path prefixes starting with '/'.",
        )
    return required


def _untrusted_headers(raw: Mapping[str, Any]) -> Literal["reject", "ignore"]:
    if raw["UNTRUSTED_HEADERS"] not in ("reject", "ignore"):
        raise fail(
            "'UNTRUSTED_HEADERS'", f"is {raw['UNTRUSTED_HEADERS']!r}", "Use 'reject' or 'ignore'."
        )
    return raw["UNTRUSTED_HEADERS"]  # type: ignore[no-any-return]


def _cache_aliases() -> list[str]:
    from django.conf import settings as django_settings

    return sorted(getattr(django_settings, "CACHES", {}) or {"default": None})


def build_settings(user: Mapping[str, Any] | None) -> MtlsGuardSettings:
    """Validate a user ``MTLSGUARD`` dict (``None``: not set) into :class:`MtlsGuardSettings`.

    :raises ImproperlyConfigured: naming the key at fault and how to fix it.
    """
    if user is None:
        user = {}
    if not isinstance(user, Mapping):
        raise ImproperlyConfigured("MTLSGUARD must be a dict (see docs/django.md).")
    raw = merge(user, DEFAULTS, "")
    source = _source(raw)
    headers = _headers(raw, source)
    proxies = _trusted_proxies(raw)
    ca_bundle = _ca_bundle(raw)
    crl_files = tuple(Path(p) for p in strings(raw["CRL_FILES"], "'CRL_FILES'"))
    verify = VerifySettings.from_raw(raw["VERIFY"])
    identity = IdentitySettings.from_raw(raw["IDENTITY"])
    required = _required(raw)
    untrusted_headers = _untrusted_headers(raw)
    audit = AuditSettings.from_raw(raw["AUDIT"])
    throttle = ThrottleSettings.from_raw(raw["THROTTLE"], _cache_aliases())
    return MtlsGuardSettings(
        source=source,
        headers=headers,
        trusted_proxies=proxies,
        client_ip_header=header_name(raw["CLIENT_IP_HEADER"], "'CLIENT_IP_HEADER'"),
        ca_bundle=ca_bundle,
        crl_files=crl_files,
        verify=verify,
        identity=identity,
        authenticate=boolean(raw["AUTHENTICATE"], "'AUTHENTICATE'"),
        required=required,
        api_prefixes=strings(raw["API_PREFIXES"], "'API_PREFIXES'"),
        untrusted_headers=untrusted_headers,
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
    """Forget the cached settings (and what was built from them) so they are re-read.

    Sends :data:`settings_reloaded` afterwards; modules that compile something from the
    settings connect to it, so this module needs to know none of them.
    """
    global _cached
    with _lock:
        _cached = None
    settings_reloaded.send(sender=MtlsGuardSettings)


@receiver(setting_changed)
def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("MTLSGUARD", "CACHES", "AUTH_USER_MODEL"):
        reload_settings()
