"""The mod_ssl-style WSGI environ variables for a verified TLS connection.

The dev server hands the client certificate to the application exactly as Apache mod_ssl
does with ``SSLOptions +StdEnvVars +ExportCertData`` (and as the ``"wsgi-ssl"`` certificate
source reads it): environ keys without an ``HTTP_`` prefix, which no request header can set.
"""

from __future__ import annotations

import datetime as dt
import ssl
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

__all__ = ["TLS_ENVIRON_KEYS", "tls_environ"]

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

_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def _openssl_time(when: dt.datetime) -> str:
    """``ASN1_TIME_print`` format, as mod_ssl exports it: ``Nov  3 09:05:00 2026 GMT``."""
    return f"{_MONTHS[when.month - 1]} {when.day:2d} {when:%H:%M:%S} {when.year} GMT"


def _intermediates(sock: ssl.SSLSocket, leaf_der: bytes) -> list[bytes]:
    """DER of the verified chain between the leaf and the trust anchor.

    mod_ssl exports what the client sent; the dev server exports only what it verified, so
    nothing the client added without it being part of the path reaches the application.
    ``get_verified_chain`` is public from Python 3.13 and present on the C object before.
    """
    sslobj = getattr(sock, "_sslobj", None)
    get_chain = getattr(sock, "get_verified_chain", None) or getattr(
        sslobj, "get_verified_chain", None
    )
    if get_chain is None:  # pragma: no cover - every supported CPython has it
        return []
    chain = get_chain() or []
    out = []
    for element in chain:
        der = element if isinstance(element, bytes) else element.public_bytes(ssl._ssl.ENCODING_DER)  # type: ignore[attr-defined]
        cert = x509.load_der_x509_certificate(der)
        if der == leaf_der or cert.issuer == cert.subject:
            continue  # the leaf is SSL_CLIENT_CERT; a self-signed root is the trust anchor
        out.append(der)
    return out


def tls_environ(sock: ssl.SSLSocket) -> dict[str, str]:
    """The mod_ssl variables for ``sock``, a server-side socket after a verified handshake.

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
    for index, der in enumerate(_intermediates(sock, leaf_der)):
        pem = x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM)
        environ[f"SSL_CLIENT_CERT_CHAIN_{index}"] = pem.decode("ascii")
    return environ
