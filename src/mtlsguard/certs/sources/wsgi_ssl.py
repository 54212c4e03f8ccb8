"""mod_ssl-style WSGI environ: the dev server's direct TLS, and the base of the Apache source.

mod_ssl (with ``SSLOptions +StdEnvVars +ExportCertData``) and mtlsguard's embedded dev server
put the client certificate into the WSGI environ, not into headers::

    SSL_CLIENT_VERIFY        SUCCESS | FAILED:<reason> | NONE | GENEROUS
    SSL_CLIENT_CERT          PEM leaf
    SSL_CLIENT_CERT_CHAIN_n  PEM intermediates, n = 0, 1, ... (the leaf excluded)
    SSL_CLIENT_S_DN, SSL_CLIENT_I_DN, SSL_CLIENT_M_SERIAL   subject, issuer, hex serial

These keys have no ``HTTP_`` prefix, so a client cannot set them: they are not forwarded
headers (:attr:`~mtlsguard.certs.sources.base.CertificateSource.forwarded` is False) and
this source never reads ``HTTP_*`` keys. Without ``ExportCertData`` only the DN fields
exist, and the result is a field-only identity.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from mtlsguard.certs.errors import CertificateError
from mtlsguard.certs.model import ClientCertificate
from mtlsguard.certs.sources._verdict import (
    ForwardedFields,
    identity_from_pem,
    openssl_verdict,
    present,
    single_value,
)
from mtlsguard.certs.sources.base import CertificateSource, RawValues
from mtlsguard.certs.sources.view import RequestView

__all__ = ["ModSslEnvironSource", "WsgiSslSource"]

#: Upper bound on numbered chain variables read; real client chains are 1-3 deep.
MAX_CHAIN = 16

#: Roles read from the environ, in order; ``chain`` is a key prefix for numbered variables.
ENVIRON_ROLES = ("cert", "verify", "subject", "issuer", "serial")


class ModSslEnvironSource(CertificateSource):
    """Shared reader for mod_ssl's ``SSL_CLIENT_*`` environ variables."""

    name = "mod-ssl-environ"
    forwarded = False
    default_names: ClassVar[Mapping[str, str]] = {
        "cert": "SSL_CLIENT_CERT",
        "verify": "SSL_CLIENT_VERIFY",
        "chain": "SSL_CLIENT_CERT_CHAIN_",
        "subject": "SSL_CLIENT_S_DN",
        "issuer": "SSL_CLIENT_I_DN",
        "serial": "SSL_CLIENT_M_SERIAL",
    }

    @staticmethod
    def environ_text(request: RequestView, key: str) -> str | None:
        """The environ value ``key`` as text, ``None`` when absent.

        :raises CertificateError: ``malformed`` when the server put a non-string there.
        """
        value = request.environ(key)
        if value is None or isinstance(value, str):
            return value
        raise CertificateError("malformed", f"environ {key!r} is not a string")

    def collect_environ(self, request: RequestView, names: Mapping[str, str]) -> RawValues:
        """Read the ``SSL_CLIENT_*`` variables, chain variables as roles ``chain_0``, ..."""
        values: list[tuple[str, str | None]] = [
            (role, self.environ_text(request, names[role])) for role in ENVIRON_ROLES
        ]
        for index in range(MAX_CHAIN):
            element = self.environ_text(request, f"{names['chain']}{index}")
            if element is None:
                break
            values.append((f"chain_{index}", element))
        return tuple(values)

    def collect(self, request: RequestView, names: Mapping[str, str]) -> RawValues:
        """Read the environ only (never ``HTTP_*`` headers)."""
        return self.collect_environ(request, names)

    def parse(self, values: Mapping[str, str | None], *, hops: int = 1) -> ClientCertificate | None:
        """Identity from ``SSL_CLIENT_CERT`` (+ chain) or the DN fields, and the verdict.

        :raises CertificateError: ``malformed``, ``ambiguous`` or ``proxy_verification_failed``.
        """
        chain = tuple(
            text
            for role, value in values.items()
            if role.startswith("chain_") and (text := present(value)) is not None
        )
        what = f"{self.name} SSL_CLIENT_CERT"
        cert = present(values.get("cert"))
        return identity_from_pem(
            # A PEM never contains a comma; one means a forwarded header arrived twice.
            None if cert is None else single_value(cert, what),
            openssl_verdict(values.get("verify"), f"{self.name} SSL_CLIENT_VERIFY"),
            ForwardedFields.from_values(values),
            source=self.name,
            what=what,
            chain_texts=chain,
        )


class WsgiSslSource(ModSslEnvironSource):
    """The embedded dev server's WSGI environ (direct TLS, mod_ssl variable names)."""

    name = "wsgi-ssl"
