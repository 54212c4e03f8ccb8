"""nginx and ingress-nginx: URL-encoded PEM, an OpenSSL verdict and optional DN fields.

The recipe (``docs/deploy/``) sets, with ``ssl_verify_client on|optional``::

    proxy_set_header X-SSL-Client-Cert   $ssl_client_escaped_cert;  # URL-encoded PEM leaf
    proxy_set_header X-SSL-Client-Verify $ssl_client_verify;        # SUCCESS|FAILED:reason|NONE
    proxy_set_header X-SSL-Client-S-DN   $ssl_client_s_dn;          # optional, RFC 2253
    proxy_set_header X-SSL-Client-I-DN   $ssl_client_i_dn;          # optional
    proxy_set_header X-SSL-Client-Serial $ssl_client_serial;        # optional, hex

nginx drops a header whose value is empty, so "no certificate" arrives as an absent
``X-SSL-Client-Cert`` and ``X-SSL-Client-Verify: NONE``. The deprecated ``$ssl_client_cert``
(PEM with tab-indented continuation lines) is accepted too. When only DN fields arrive, the
result is a field-only identity (``der is None``).

ingress-nginx (``auth-tls-pass-certificate-to-upstream: "true"``) sends the same values under
its own names: ``ssl-client-cert``, ``ssl-client-verify``, ``ssl-client-subject-dn`` and
``ssl-client-issuer-dn``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from mtlsguard.certs.model import ClientCertificate
from mtlsguard.certs.sources._decoding import url_decoded
from mtlsguard.certs.sources._verdict import (
    ForwardedFields,
    identity_from_pem,
    openssl_verdict,
    present,
    single_value,
)
from mtlsguard.certs.sources.base import CertificateSource

__all__ = ["IngressNginxSource", "NginxSource"]


class NginxSource(CertificateSource):
    """nginx ``ngx_http_ssl_module`` variables forwarded with ``proxy_set_header``."""

    name = "nginx"
    default_names: ClassVar[Mapping[str, str]] = {
        "cert": "X-SSL-Client-Cert",
        "verify": "X-SSL-Client-Verify",
        "subject": "X-SSL-Client-S-DN",
        "issuer": "X-SSL-Client-I-DN",
        "serial": "X-SSL-Client-Serial",
        "fingerprint": "X-SSL-Client-Fingerprint",
    }

    def parse(self, values: Mapping[str, str | None], *, hops: int = 1) -> ClientCertificate | None:
        """Identity from ``$ssl_client_escaped_cert`` (or DN fields) and ``$ssl_client_verify``.

        :raises CertificateError: ``malformed``, ``ambiguous`` or ``proxy_verification_failed``.
        """
        what = f"{self.name} certificate header"
        raw = present(values.get("cert"))
        cert_text = None if raw is None else url_decoded(single_value(raw, what), what)
        return identity_from_pem(
            cert_text,
            openssl_verdict(values.get("verify"), f"{self.name} verify header"),
            ForwardedFields.from_values(values),
            source=self.name,
            what=what,
        )


class IngressNginxSource(NginxSource):
    """Kubernetes ingress-nginx with ``auth-tls-pass-certificate-to-upstream``."""

    name = "ingress-nginx"
    default_names: ClassVar[Mapping[str, str]] = {
        "cert": "ssl-client-cert",
        "verify": "ssl-client-verify",
        "subject": "ssl-client-subject-dn",
        "issuer": "ssl-client-issuer-dn",
    }
