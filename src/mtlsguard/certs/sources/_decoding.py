"""Decoders for forwarded certificates: size limit, URL-decoding, PEM bundles and base64 DER.

Every function is total: it returns a value or raises
:class:`~mtlsguard.certs.CertificateError` (``malformed``), never anything else.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from typing import Final

from cryptography import x509

from mtlsguard.certs.errors import CertificateError
from mtlsguard.certs.model import ClientCertificate

__all__ = [
    "MAX_HEADER_BYTES",
    "b64_der",
    "certificate_from_pem_bundle",
    "check_size",
    "load_pem_bundle",
    "load_pem_pairs",
    "url_decoded",
]

#: Upper bound on one forwarded-certificate value; real chains are a few KiB. Larger values
#: are refused before any decoding work, so a hostile client cannot make us parse megabytes.
MAX_HEADER_BYTES = 64 * 1024

_PEM_BEGIN: Final = "-----BEGIN CERTIFICATE-----"
_PEM_END: Final = "-----END CERTIFICATE-----"
# What may sit between the armour lines: base64 and (any) whitespace, as proxies mangle it.
_PEM_BODY = re.compile(r"[A-Za-z0-9+/=\s]*")


def check_size(value: str, what: str) -> None:
    """Refuse values over :data:`MAX_HEADER_BYTES` with ``malformed``."""
    if len(value) > MAX_HEADER_BYTES:
        raise CertificateError("malformed", f"{what} is longer than {MAX_HEADER_BYTES} bytes")


#: The escapes a URL-encoded PEM is made of (nginx and ALB encode newline, space, ``+``,
#: ``/`` and ``=``, upper case). Replacing them with ``str.replace`` is ~10x faster than
#: ``urllib.parse.unquote``; anything else falls back to ``unquote``.
_PEM_ESCAPES: Final = (("%0A", "\n"), ("%20", " "), ("%2B", "+"), ("%2F", "/"), ("%3D", "="))


#: Swaps ``%`` and ``=``, so that ``binascii.a2b_qp`` (quoted-printable: ``=XX``) decodes
#: ``%XX`` escapes in one C pass.
_PERCENT_AS_QP: Final = bytes.maketrans(b"%=", b"=%")


def _qp_url_decoded(value: str) -> str | None:
    """``unquote(value, errors="strict")`` in one C pass, or ``None`` to take the other paths.

    It answers for an ASCII value without ``=``, CR or LF whose every ``%`` starts a valid
    ``%XX`` escape decoding to UTF-8: nginx's escaping of a PEM.

    ``a2b_qp`` decodes ``=XX`` (either case of hex digits) exactly as ``unquote_to_bytes``
    decodes ``%XX``, and copies every other byte except in three cases: ``=`` + CR/LF (a soft
    line break; excluded, there is no CR or LF), ``==`` (one ``=`` out of two) and ``=`` not
    followed by two hex digits (kept, or dropped at the end). Each ``=`` of the translated
    input shortens the output by exactly 2 only when it starts a valid escape, by less
    otherwise, so the length check below admits exactly the inputs where the two agree. For
    an ASCII string ``unquote`` is ``unquote_to_bytes(value).decode("utf-8", errors)``.
    """
    if not value.isascii() or "=" in value or "\n" in value or "\r" in value:
        return None
    data = value.encode("ascii").translate(_PERCENT_AS_QP)
    decoded = binascii.a2b_qp(data)
    if len(decoded) != len(data) - 2 * value.count("%"):
        return None  # an invalid escape: unquote() keeps it, a2b_qp does not always
    try:
        return decoded.decode("utf-8")
    except UnicodeDecodeError:
        return None  # the caller's unquote() gives the verdict


def url_decoded(value: str, what: str) -> str:
    """Percent-decode ``value`` (nginx ``$ssl_client_escaped_cert``, ALB); ``+`` stays ``+``."""
    check_size(value, what)
    fastest = _qp_url_decoded(value)
    if fastest is not None:
        return fastest
    if "%25" not in value:
        # Without an escaped '%', no replacement can create a new escape sequence, so when
        # no '%' is left afterwards the result equals unquote()'s.
        fast = value
        for escape, char in _PEM_ESCAPES:
            fast = fast.replace(escape, char)
        if "%" not in fast:
            return fast
    try:
        return urllib.parse.unquote(value, errors="strict")
    except UnicodeDecodeError as exc:
        raise CertificateError("malformed", f"{what} is not valid percent-encoded UTF-8") from exc


def load_pem_bundle(text: str, what: str) -> list[x509.Certificate]:
    """Load one or more concatenated PEM certificates, leaf first.

    Tolerates the whitespace mangling proxies apply (tabs or spaces instead of newlines,
    as in nginx's deprecated ``$ssl_client_cert``).

    :raises CertificateError: ``malformed`` if there is no certificate or any block is bad.
    """
    return [cert for _, cert in load_pem_pairs(text, what)]


def _pem_body_der(body: str, what: str) -> bytes:
    """The DER of a PEM body (base64 with any whitespace), strictly decoded.

    :raises CertificateError: ``malformed`` for anything but base64 and whitespace.
    :raises binascii.Error: for base64 that does not decode (bad padding).
    """
    try:
        # The usual body (64-character lines, "\n" only) in two C passes. Strict decoding
        # accepts exactly what the general path below accepts for such a body, with the same
        # result (b64decode(validate=True) is a2b_base64(strict_mode=True)), so any failure
        # here just means: take the general path, which gives the verdict.
        return binascii.a2b_base64(body.replace("\n", ""), strict_mode=True)
    except ValueError:
        pass
    if not _PEM_BODY.fullmatch(body):
        raise CertificateError("malformed", f"{what} holds an invalid PEM certificate")
    return base64.b64decode("".join(body.split()), validate=True)


def load_pem_pairs(text: str, what: str) -> list[tuple[bytes, x509.Certificate]]:
    """Like :func:`load_pem_bundle`, but each certificate comes with its DER encoding.

    The armour is located with ``str.find`` rather than a regular expression: this runs on
    every first-sight request, and a lazy regex scan cost more than parsing the certificate.

    :raises CertificateError: ``malformed`` if there is no certificate or any block is bad.
    """
    check_size(text, what)
    pairs: list[tuple[bytes, x509.Certificate]] = []
    end = 0
    while (begin := text.find(_PEM_BEGIN, end)) >= 0:
        if text[end:begin].strip():
            raise CertificateError("malformed", f"{what} has text between PEM blocks")
        body_start = begin + len(_PEM_BEGIN)
        body_end = text.find(_PEM_END, body_start)
        if body_end < 0:
            raise CertificateError("malformed", f"{what} is not a PEM certificate")
        body = text[body_start:body_end]
        end = body_end + len(_PEM_END)
        try:
            der = _pem_body_der(body, what)
            pairs.append((der, x509.load_der_x509_certificate(der)))
        except (binascii.Error, ValueError, x509.InvalidVersion) as exc:
            raise CertificateError("malformed", f"{what} holds an invalid PEM certificate") from exc
    if not pairs or text[end:].strip():
        raise CertificateError("malformed", f"{what} is not a PEM certificate")
    return pairs


def b64_der(value: str, what: str) -> bytes:
    """Decode standard base64 (padding optional, no whitespace inside) to DER bytes."""
    check_size(value, what)
    value = value.strip()
    if not value:
        raise CertificateError("malformed", f"{what} is empty")
    padded = value + "=" * (-len(value) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CertificateError("malformed", f"{what} is not valid base64") from exc


def certificate_from_pem_bundle(
    text: str, what: str, *, proxy_verified: bool | None, source: str
) -> ClientCertificate:
    """Leaf + chain from a PEM bundle (leaf first)."""
    leaf, *chain = load_pem_bundle(text, what)
    return ClientCertificate.from_certificate(
        leaf, chain=tuple(chain), proxy_verified=proxy_verified, source=source
    )
