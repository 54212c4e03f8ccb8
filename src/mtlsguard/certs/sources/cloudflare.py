"""PLACEHOLDER: to be implemented (source cloudflare)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from mtlsguard.certs.model import ClientCertificate
from mtlsguard.certs.sources.base import CertificateSource


class CloudflareSource(CertificateSource):
    """PLACEHOLDER."""

    name = "cloudflare"
    default_names: ClassVar[Mapping[str, str]] = {}

    def parse(self, values: Mapping[str, str | None], *, hops: int = 1) -> ClientCertificate | None:
        """PLACEHOLDER."""
        raise NotImplementedError
