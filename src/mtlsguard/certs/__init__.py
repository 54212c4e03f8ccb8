"""Framework-free client-certificate core: extract, believe, verify.

This package never imports Django or DRF.
"""

from mtlsguard.certs.errors import REASONS, CertificateError
from mtlsguard.certs.model import ClientCertificate, VerifiedCertificate
from mtlsguard.certs.policy import VerificationPolicy
from mtlsguard.certs.proxies import ProxyDecision, TrustedProxies
from mtlsguard.certs.sources import SOURCES, extract
from mtlsguard.certs.verifier import CertificateVerifier
from mtlsguard.certs.verify import verify

__all__ = [
    "REASONS",
    "SOURCES",
    "CertificateError",
    "CertificateVerifier",
    "ClientCertificate",
    "ProxyDecision",
    "TrustedProxies",
    "VerificationPolicy",
    "VerifiedCertificate",
    "extract",
    "verify",
]
