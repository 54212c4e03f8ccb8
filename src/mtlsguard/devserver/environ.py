"""The mod_ssl-style WSGI environ variables for a verified TLS connection.

The dev server hands the client certificate to the application exactly as Apache mod_ssl
does with ``SSLOptions +StdEnvVars +ExportCertData`` (and as the ``"wsgi-ssl"`` certificate
source reads it): environ keys without an ``HTTP_`` prefix, which no request header can set.
"""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections import OrderedDict
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

__all__ = ["TLS_ENVIRON_KEYS", "ChainMemory", "tls_environ"]

_ENCODING_DER: Final = 2  # _ssl.ENCODING_DER, for _ssl.Certificate.public_bytes before 3.13

#: Every key :func:`tls_environ` may set besides ``SSL_CLIENT_CERT_CHAIN_n``.
TLS_ENVIRON_KEYS: Final = frozenset(
    {
        "HTTPS",
        "SSL_PROTOCOL",
        "SSL_CIPHER",
        "SSL_CLIENT_VERIFY",
        "SSL_CLIENT_CERT",
        "SSL_CLIENT_S_DN",
        "SSL_CLIENT_I_DN",
        "SSL_CLIENT_M_SERIAL",
        "SSL_CLIENT_M_VERSION",
        "SSL_CLIENT_V_START",
        "SSL_CLIENT_V_END",
    }
)

_MONTHS: Final = "JanFebMarAprMayJunJulAugSepOctNovDec"  # C-locale %b, whatever the locale


def _openssl_time(when: dt.datetime) -> str:
    """``ASN1_TIME_print`` format, as mod_ssl exports it: ``Nov  3 09:05:00 2026 GMT``."""
    month = _MONTHS[3 * (when.month - 1) : 3 * when.month]
    return f"{month} {when.day:2d} {when:%H:%M:%S} {when.year} GMT"


class ChainMemory:
    """The verified intermediates of recently seen leaves, for resumed TLS 1.2 sessions.

    A resumed session skips verification, and OpenSSL then has no verified chain to give;
    the chain found at the full handshake that created the session is reused instead.
    Bounded (least recently used entries are dropped) and thread-safe.
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._chains: OrderedDict[bytes, tuple[bytes, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, leaf_der: bytes, chain: tuple[bytes, ...]) -> None:
        """Record the chain verified for ``leaf_der``."""
        with self._lock:
            self._chains[leaf_der] = chain
            self._chains.move_to_end(leaf_der)
            while len(self._chains) > self._size:
                self._chains.popitem(last=False)

    def recall(self, leaf_der: bytes) -> tuple[bytes, ...]:
        """The chain last verified for ``leaf_der``, or ``()``."""
        with self._lock:
            return self._chains.get(leaf_der, ())


def _verified_intermediates(sock: ssl.SSLSocket, leaf_der: bytes) -> tuple[bytes, ...]:
    """DER of the verified chain between the leaf and the trust anchor.

    mod_ssl exports what the client sent; the dev server exports only what it verified, so
    nothing the client added without it being part of the path reaches the application.
    ``get_verified_chain`` is public from Python 3.13 and present on the C object before.
    """
    get_chain = getattr(sock, "get_verified_chain", None) or getattr(
        getattr(sock, "_sslobj", None), "get_verified_chain", None
    )
    if get_chain is None:  # pragma: no cover - every supported CPython has it
        return ()
    out = []
    for element in get_chain() or ():
        der = element if isinstance(element, bytes) else element.public_bytes(_ENCODING_DER)
        cert = x509.load_der_x509_certificate(der)
        if der == leaf_der or cert.issuer == cert.subject:
            continue  # the leaf is SSL_CLIENT_CERT; a self-signed root is the trust anchor
        out.append(der)
    return tuple(out)


def tls_environ(sock: ssl.SSLSocket, chains: ChainMemory | None = None) -> dict[str, str]:
    """The mod_ssl variables for ``sock``, a server-side socket after a verified handshake.

    ``chains`` supplies ``SSL_CLIENT_CERT_CHAIN_n`` for resumed sessions (see
    :class:`ChainMemory`); without it a resumed session exports no chain, like mod_ssl.

    :raises ValueError: if the peer presented no certificate (the server context requires one,
        so this means the socket was not set up by the dev server).
    """
    leaf_der = sock.getpeercert(binary_form=True)
    if not leaf_der:
        raise ValueError("the TLS peer presented no certificate")
    leaf = x509.load_der_x509_certificate(leaf_der)
    cipher = sock.cipher()
    environ = {
        "HTTPS": "on",
        "SSL_PROTOCOL": sock.version() or "",
        "SSL_CIPHER": cipher[0] if cipher else "",
        # The handshake only completes when the certificate verified (CERT_REQUIRED).
        "SSL_CLIENT_VERIFY": "SUCCESS",
        "SSL_CLIENT_CERT": leaf.public_bytes(Encoding.PEM).decode("ascii"),
        "SSL_CLIENT_S_DN": leaf.subject.rfc4514_string(),
        "SSL_CLIENT_I_DN": leaf.issuer.rfc4514_string(),
        "SSL_CLIENT_M_SERIAL": format(leaf.serial_number, "X"),
        "SSL_CLIENT_M_VERSION": str(leaf.version.value + 1),
        "SSL_CLIENT_V_START": _openssl_time(leaf.not_valid_before_utc),
        "SSL_CLIENT_V_END": _openssl_time(leaf.not_valid_after_utc),
    }
    if sock.session_reused:
        chain = chains.recall(leaf_der) if chains is not None else ()
    else:
        chain = _verified_intermediates(sock, leaf_der)
        if chains is not None:
            chains.remember(leaf_der, chain)
    for index, der in enumerate(chain):
        pem = x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM)
        environ[f"SSL_CLIENT_CERT_CHAIN_{index}"] = pem.decode("ascii")
    return environ
