"""Framework-free client-certificate core: read a request (collect, believe, extract, verify).

:class:`CertificateReader` does all four for a WSGI environ, an ASGI scope or plain
mappings; :func:`extract` and :func:`verify` are the steps on their own. This package never
imports Django or DRF.
"""

from mtlsguard.certs.errors import REASONS, CertificateError
from mtlsguard.certs.model import ClientCertificate, VerifiedCertificate
from mtlsguard.certs.policy import VerificationPolicy
from mtlsguard.certs.proxies import ProxyDecision, TrustedProxies
from mtlsguard.certs.request import CertificateOutcome, CertificateReader
from mtlsguard.certs.sources import SOURCES, extract
from mtlsguard.certs.verifier import CertificateVerifier
from mtlsguard.certs.verify import verify

__all__ = [
    "REASONS",
    "SOURCES",
    "CertificateError",
    "CertificateOutcome",
    "CertificateReader",
    "CertificateVerifier",
    "ClientCertificate",
    "ProxyDecision",
    "TrustedProxies",
    "VerificationPolicy",
    "VerifiedCertificate",
    "extract",
    "verify",
]
