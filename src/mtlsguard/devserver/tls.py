"""The dev server's TLS configuration: server certificate, client CA, optional CRL."""

from __future__ import annotations

import os
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path

from mtlsguard.devserver.localca import LocalCA

__all__ = ["ServerTLS", "TLSConfigError"]


class TLSConfigError(Exception):
    """The certificate, key, CA or CRL files cannot be used; the message names the file."""


@dataclass(frozen=True)
class ServerTLS:
    """Files the dev server needs; :meth:`context` builds the ``ssl.SSLContext`` from them.

    The context requires a client certificate (``CERT_REQUIRED``) that chains to ``cacert``,
    accepts TLS 1.2 and 1.3 only, and, when ``crl`` is given, refuses a client certificate
    whose issuer's CRL lists it (``VERIFY_CRL_CHECK_LEAF``: the CRL must come from the CA
    that issued the client certificates, and an expired CRL refuses every client).
    """

    cert: Path
    """Server certificate, optionally followed by its intermediates (PEM)."""
    key: Path
    """Server private key (PEM, unencrypted)."""
    cacert: Path
    """CA certificate(s) a client certificate must chain to (PEM)."""
    crl: Path | None = None
    """CRL(s) of the client certificates' issuer (PEM), or ``None`` for no revocation check."""
    _cache: _ContextCache = field(
        default_factory=lambda: _ContextCache(), compare=False, repr=False
    )

    @classmethod
    def from_pki(cls, directory: Path) -> ServerTLS:
        """The files of a directory made by ``mtlsguard pki init`` (CRL included).

        :raises TLSConfigError: if ``directory`` holds no usable PKI.
        """
        from mtlsguard.devserver.localca import PKIError

        try:
            ca = LocalCA.open(directory)
        except PKIError as exc:
            raise TLSConfigError(str(exc)) from exc
        return cls(cert=ca.server_cert, key=ca.server_key, cacert=ca.ca_bundle, crl=ca.crl_path)

    def context(self) -> ssl.SSLContext:
        """The server context, rebuilt whenever one of the files changed since the last call.

        So ``mtlsguard pki revoke`` takes effect on the next handshake, without a restart.

        :raises TLSConfigError: if a file is missing or unusable.
        """
        return self._cache.get(self)

    def build_context(self) -> ssl.SSLContext:
        """Build a new server context from the files.

        :raises TLSConfigError: if a file is missing or unusable.
        """
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.verify_mode = ssl.CERT_REQUIRED
        context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION | ssl.OP_NO_TICKET
        # No TLS 1.3 tickets: every TLS 1.3 connection verifies its certificate in full.
        # TLS 1.2 session-ID resumption cannot be switched off from Python; a resumed
        # session only lives in this context's cache, and a changed CRL or CA file builds a
        # new context (see context()), so a revoked certificate cannot resume either.
        context.num_tickets = 0
        try:
            context.load_cert_chain(self.cert, self.key)
        except (OSError, ssl.SSLError) as exc:
            raise TLSConfigError(
                f"cannot load the server certificate {self.cert} with key {self.key}: {exc}"
            ) from exc
        try:
            context.load_verify_locations(cafile=self.cacert)
        except (OSError, ssl.SSLError) as exc:
            raise TLSConfigError(f"cannot load the client CA {self.cacert}: {exc}") from exc
        if self.crl is not None:
            try:
                crl_text = self.crl.read_text(encoding="ascii")
            except (OSError, UnicodeDecodeError) as exc:
                raise TLSConfigError(f"cannot read the CRL {self.crl}: {exc}") from exc
            if "-----BEGIN X509 CRL-----" not in crl_text:
                raise TLSConfigError(f"{self.crl} holds no PEM CRL (-----BEGIN X509 CRL-----)")
            try:
                # cafile (X509_load_cert_crl_file) loads CRLs too; cadata only certificates.
                context.load_verify_locations(cafile=self.crl)
            except ssl.SSLError as exc:
                raise TLSConfigError(f"cannot load the CRL {self.crl}: {exc}") from exc
            context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
        return context

    def _fingerprint(self) -> tuple[tuple[int, int, int], ...]:
        stamps = []
        for path in (self.cert, self.key, self.cacert, self.crl):
            if path is None:
                continue
            try:
                st = os.stat(path)
            except OSError:
                stamps.append((0, 0, 0))
            else:
                stamps.append((st.st_mtime_ns, st.st_size, st.st_ino))
        return tuple(stamps)


class _ContextCache:
    """One built context per file fingerprint."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple[tuple[int, int, int], ...] | None = None
        self._context: ssl.SSLContext | None = None

    def get(self, tls: ServerTLS) -> ssl.SSLContext:
        stamp = tls._fingerprint()
        with self._lock:
            if self._context is None or stamp != self._stamp:
                # Fail closed: if the new files are unusable, raise rather than keep serving
                # with an older CRL that may not list a certificate revoked since.
                self._context, self._stamp = None, None
                self._context, self._stamp = tls.build_context(), stamp
            return self._context
