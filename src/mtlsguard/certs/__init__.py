"""Framework-free client-certificate core: extract, believe, verify.

This package never imports Django or DRF.
"""

from mtlsguard.certs.model import REASONS, CertificateError, ClientCertificate
from mtlsguard.certs.policy import VerificationPolicy
from mtlsguard.certs.proxies import ProxyDecision, TrustedProxies
from mtlsguard.certs.sources import SOURCES, extract
from mtlsguard.certs.verify import VerifiedCertificate, verify

__all__ = [
    "REASONS",
    "SOURCES",
    "CertificateError",
    "ClientCertificate",
    "ProxyDecision",
    "TrustedProxies",
    "VerificationPolicy",
    "VerifiedCertificate",
    "extract",
    "verify",
]
