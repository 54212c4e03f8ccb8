"""A Django request -> the core reader's outcome: presented, believed (or not), verified.

The trusted-proxy rule itself lives in :class:`mtlsguard.certs.request.CertificateReader`;
this module only adapts a Django request to it: the peer is ``REMOTE_ADDR``, headers and the
environ sources' variables come from ``request.META``, and under ASGI the connection scope
(TLS extension, raw header list) from ``request.scope``. The reader is compiled once per
settings (:func:`mtlsguard.django.runtime.reader`) and caches below, so this runs inline in
both the sync and the async middleware.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from mtlsguard.certs.request import NOTHING_PRESENTED, CertificateOutcome
from mtlsguard.django import runtime
from mtlsguard.django.conf import MtlsGuardSettings
from mtlsguard.django.peers import client_address, forwarded_for, meta_key, peer_address
from mtlsguard.django.throttling import verification_gate

__all__ = [
    "NOTHING_PRESENTED",
    "CertificateOutcome",
    "client_address",
    "forwarded_for",
    "inspect_request",
    "meta_key",
    "peer_address",
]


def inspect_request(request: HttpRequest, settings: MtlsGuardSettings) -> CertificateOutcome:
    """Extract, believe (or not) and verify the request's client certificate.

    Never raises for anything a client can send: every failure becomes ``error``. A
    certificate not verified before is verified only if its client is not throttled
    (:func:`~mtlsguard.django.throttling.verification_gate`): path building, with as many
    intermediates as an attacker forwards, is the expensive part and comes after that check.

    :raises ImproperlyConfigured: only when the settings cannot be compiled (CA bundle).
    """
    meta = request.META
    reader = runtime.reader(settings)
    scope: Any = getattr(request, "scope", None)
    if scope is None:
        # WSGI: a certificate verified before for these exact values needs no gate either.
        remembered = reader.recall(meta)
        if remembered is not None:
            return remembered
    elif not isinstance(scope, Mapping):
        scope = None  # checked only under ASGI: an ABC isinstance() is not free
    return reader.read(
        peer=meta.get("REMOTE_ADDR"),
        environ=meta,
        scope=scope,
        gate=verification_gate(request, settings),
    )
