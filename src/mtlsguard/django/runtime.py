"""What the settings compile to, built once per process: the verification policy.

Building a :class:`~mtlsguard.certs.VerificationPolicy` reads the CA bundle and CRLs and
compiles a verifier, so it happens once (at the first request, or when the middleware is
instantiated) and again only after :func:`reset` (``setting_changed`` calls it).
"""

from __future__ import annotations

import datetime as dt
import threading

from django.core.exceptions import ImproperlyConfigured

from mtlsguard.certs import ClientCertificate
from mtlsguard.certs.policy import VerificationPolicy
from mtlsguard.certs.verify import VerifiedCertificate
from mtlsguard.django.conf import MtlsGuardSettings

__all__ = ["VerifiedCertificate", "build_policy", "client_certificate_of", "policy", "reset"]

_lock = threading.Lock()
_policy: tuple[MtlsGuardSettings, VerificationPolicy] | None = None


def client_certificate_of(verified: VerifiedCertificate) -> ClientCertificate:
    """The :class:`ClientCertificate` a verification result is about."""
    return verified.certificate


def build_policy(settings: MtlsGuardSettings) -> VerificationPolicy:
    """Compile the verification policy described by ``settings``.

    :raises ImproperlyConfigured: if the CA bundle or a CRL is unreadable or invalid, or an
        option is inconsistent; the message names the setting.
    """
    v = settings.verify
    try:
        return VerificationPolicy.load(
            list(settings.ca_bundle),
            crls=list(settings.crl_files),
            pinned_sha256=sorted(v.pinned_sha256),
            revocation=v.revocation,
            revocation_depth=v.revocation_depth,
            fetch_crls=v.fetch_crls,
            clock_skew=dt.timedelta(seconds=v.clock_skew),
            require_client_auth_eku=v.require_client_auth_eku,
            min_rsa_bits=v.min_rsa_bits,
            min_ec_bits=v.min_ec_bits,
            allow_fields_only=v.allow_fields_only,
        )
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            f"MTLSGUARD['CA_BUNDLE'] / ['CRL_FILES'] / ['VERIFY'] cannot be used: {exc}. "
            "Point CA_BUNDLE at a readable PEM file of the client CA(s), CRL_FILES at "
            "readable CRLs, and keep VERIFY options consistent (see docs/django.md)."
        ) from exc


def policy(settings: MtlsGuardSettings) -> VerificationPolicy:
    """The compiled policy for ``settings`` (built on first use, then reused)."""
    global _policy
    current = _policy
    if current is not None and current[0] is settings:
        return current[1]
    with _lock:
        if _policy is None or _policy[0] is not settings:
            _policy = (settings, build_policy(settings))
        return _policy[1]


def reset() -> None:
    """Forget the compiled policy (its result cache goes with it)."""
    global _policy
    with _lock:
        _policy = None
    from mtlsguard.django.identity_cache import identity_cache

    identity_cache.clear()
