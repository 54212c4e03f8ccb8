"""Framework-free client-certificate core: extract, believe, verify.

This package never imports Django or DRF.
"""

from mtlsguard.certs.model import REASONS, CertificateError, ClientCertificate
from mtlsguard.certs.sources import SOURCES, extract

__all__ = [
    "REASONS",
    "SOURCES",
    "CertificateError",
    "ClientCertificate",
    "extract",
]
