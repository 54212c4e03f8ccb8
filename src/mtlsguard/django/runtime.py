"""What the settings compile to, built once per process: the policy, verifier and reader.

Building a :class:`~mtlsguard.certs.VerificationPolicy` reads the CA bundle and CRLs, and its
verifier compiles a path builder, so this happens once (at the first request, or when the
middleware is instantiated) and again only after :func:`reset`, which runs whenever
:func:`~mtlsguard.django.conf.reload_settings` announces new settings (``settings_reloaded``).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any, NamedTuple

from django.core.exceptions import ImproperlyConfigured
from django.dispatch import receiver

from mtlsguard.certs import VerifiedCertificate
from mtlsguard.certs.policy import VerificationPolicy
from mtlsguard.certs.request import CertificateReader
from mtlsguard.certs.verifier import verifier_for
from mtlsguard.django.conf import MtlsGuardSettings, settings_reloaded
from mtlsguard.django.identity_cache import identity_cache

__all__ = [
    "VerifiedCertificate",
    "build_policy",
    "policy",
    "reader",
    "reset",
]


class _Compiled(NamedTuple):
    settings: MtlsGuardSettings
    policy: VerificationPolicy
    reader: CertificateReader


_lock = threading.Lock()
_compiled: _Compiled | None = None


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


def _compile(settings: MtlsGuardSettings) -> _Compiled:
    built = build_policy(settings)
    verifier_for(built)  # the path builder is compiled now, not on the first request
    request_reader = CertificateReader(
        settings.source,
        built,
        trusted_proxies=settings.trusted_proxies,
        names=settings.headers or None,
    )
    return _Compiled(settings, built, request_reader)


def _current(settings: MtlsGuardSettings) -> _Compiled:
    global _compiled
    current = _compiled
    if current is not None and current.settings is settings:
        return current
    with _lock:
        if _compiled is None or _compiled.settings is not settings:
            _compiled = _compile(settings)
        return _compiled


def policy(settings: MtlsGuardSettings) -> VerificationPolicy:
    """The compiled policy for ``settings`` (built on first use, then reused).

    :raises ImproperlyConfigured: as :func:`build_policy`.
    """
    return _current(settings).policy


def reader(settings: MtlsGuardSettings) -> CertificateReader:
    """The request reader for ``settings`` (source, header names, proxies, policy).

    :raises ImproperlyConfigured: as :func:`build_policy`.
    """
    current = _compiled  # the per-request path: no call when the settings are unchanged
    if current is not None and current.settings is settings:
        return current.reader
    return _current(settings).reader


def reset() -> None:
    """Forget what was compiled (the verifier's result cache goes with it)."""
    global _compiled
    with _lock:
        _compiled = None
    identity_cache.clear()


@receiver(settings_reloaded, dispatch_uid="mtlsguard.django.runtime.reset")
def _on_settings_reloaded(**kwargs: Any) -> None:
    reset()
