"""Caddy: base64 DER of the client certificate from a ``reverse_proxy`` placeholder.

The recipe (``docs/deploy/``) uses ``client_auth { mode require_and_verify }`` and::

    reverse_proxy 127.0.0.1:8000 {
        header_up X-SSL-Client-Cert {http.request.tls.client.certificate_der_base64}
    }

The placeholder is empty when the client presented no certificate. Caddy has no placeholder
for its verification verdict: whether a forwarded certificate was verified depends on the
``client_auth`` mode, which the request does not reveal. So ``proxy_verified`` is ``None``
("the proxy said nothing") and the application's own :func:`~mtlsguard.certs.verify` decides;
with ``require_and_verify`` Caddy refuses the handshake for a certificate it cannot verify,
so none reaches the app.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from mtlsguard.certs.model import ClientCertificate
from mtlsguard.certs.sources._decoding import b64_der
from mtlsguard.certs.sources._verdict import present, single_value
from mtlsguard.certs.sources.base import CertificateSource

__all__ = ["CaddySource"]


class CaddySource(CertificateSource):
    """Caddy ``{http.request.tls.client.certificate_der_base64}``."""

    name = "caddy"
    default_names: ClassVar[Mapping[str, str]] = {"cert": "X-SSL-Client-Cert"}

    def parse(self, values: Mapping[str, str | None], *, hops: int = 1) -> ClientCertificate | None:
        """Identity from the base64 DER header; ``None`` when it is absent or empty.

        :raises CertificateError: ``malformed`` or ``ambiguous`` (repeated header).
        """
        what = "caddy certificate header"
        raw = present(values.get("cert"))
        if raw is None:
            return None
        der = b64_der(single_value(raw, what), what)
        return ClientCertificate.from_der(der, proxy_verified=None, source=self.name)
