"""Shared plumbing for source parsers: request view and certificate decoders.

Everything here is framework-free and total: it returns a value or raises
:class:`~mtlsguard.certs.model.CertificateError`, never anything else.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import re
import string
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from cryptography import x509

from mtlsguard.certs.dn import normalize_dn
from mtlsguard.certs.errors import CertificateError
from mtlsguard.certs.model import ClientCertificate

__all__ = [
    "MAX_HEADER_BYTES",
    "ForwardedFields",
    "ProxyVerdict",
    "RequestView",
    "b64_der",
    "certificate_from_pem_bundle",
    "hex_serial",
    "identity_from_pem",
    "load_pem_bundle",
    "load_pem_pairs",
    "openssl_verdict",
    "present",
    "settle",
    "single_value",
    "url_decoded",
]

#: Upper bound on one forwarded-certificate value; real chains are a few KiB. Larger values
#: are refused before any decoding work, so a hostile client cannot make us parse megabytes.
MAX_HEADER_BYTES = 64 * 1024

_PEM_BEGIN: Final = "-----BEGIN CERTIFICATE-----"
_PEM_END: Final = "-----END CERTIFICATE-----"
# What may sit between the armour lines: base64 and (any) whitespace, as proxies mangle it.
_PEM_BODY = re.compile(r"[A-Za-z0-9+/=\s]*")


#: Header name -> CGI ``HTTP_*`` key; names come from source defaults and settings, so few.
_META_KEYS: dict[str, str] = {}
_MAX_META_KEYS: Final = 1024


class RequestView:
    """Case-insensitive read access to a request's headers and WSGI/ASGI environ.

    ``headers`` is any mapping of header names to values (Django's ``request.headers``,
    a plain dict, ...). When it is ``None``, header lookups fall back to CGI-style
    ``HTTP_*`` keys of ``environ`` (Django's ``request.META``).
    """

    __slots__ = ("_environ", "_headers")

    def __init__(
        self,
        headers: Mapping[str, str] | None = None,
        environ: Mapping[str, Any] | None = None,
    ) -> None:
        self._environ: Mapping[str, Any] = environ if environ is not None else {}
        lowered: dict[str, str] = {}
        if headers is not None:
            for key, value in headers.items():
                k = key.lower()
                if k in lowered and lowered[k] != value:
                    raise CertificateError(
                        "ambiguous", f"header {key!r} appears more than once with different values"
                    )
                lowered[k] = value
            self._headers: dict[str, str] | None = lowered
        else:
            self._headers = None

    def header(self, name: str) -> str | None:
        """Return header ``name`` (any case), or ``None`` when absent."""
        if self._headers is not None:
            return self._headers.get(name.lower())
        key = _META_KEYS.get(name)
        if key is None:
            key = "HTTP_" + name.upper().replace("-", "_")
            if len(_META_KEYS) < _MAX_META_KEYS:
                _META_KEYS[name] = key
        value = self._environ.get(key)
        return value if isinstance(value, str) else None

    def environ(self, key: str) -> Any:
        """Return the environ/scope entry ``key`` exactly as given, or ``None``."""
        return self._environ.get(key)


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


# --- Shared by the "sources A" parsers (nginx, ingress-nginx, haproxy, apache, caddy, traefik,
# --- wsgi-ssl, asgi): the proxy's verdict, forwarded DN fields, and the one place that turns
# --- (certificate or fields, verdict) into an identity with the common semantics.


class ProxyVerdict(enum.Enum):
    """What a proxy said about its own verification of the client certificate."""

    UNSTATED = "unstated"
    """The proxy forwarded no verdict at all."""
    NO_CERTIFICATE = "no_certificate"
    """The proxy says the client presented no certificate (``NONE``)."""
    SUCCESS = "success"
    """The proxy verified the certificate."""
    FAILED = "failed"
    """The proxy reports a failed (or skipped, as in ``GENEROUS``) verification."""


#: Values proxies substitute for "nothing here": empty, and Apache mod_headers' ``(null)``.
_EMPTY_VALUES: Final = frozenset({"", "(null)"})


def present(value: str | None) -> str | None:
    """Return ``value`` stripped, or ``None`` when it is absent, blank or ``(null)``."""
    if value is None:
        return None
    stripped = value.strip()
    return None if stripped in _EMPTY_VALUES else stripped


def single_value(value: str, what: str) -> str:
    """Refuse comma-joined repeats of a header that can only carry one value.

    Servers join repeated headers with ``,``; none of the certificate encodings that use this
    helper (PEM, base64, verdict keywords) contains a comma, so one means two values arrived.

    :raises CertificateError: ``ambiguous`` when ``value`` holds several values.
    """
    if "," in value:
        raise CertificateError("ambiguous", f"{what} carries several comma-joined values")
    return value


def openssl_verdict(value: str | None, what: str) -> ProxyVerdict:
    """Read an OpenSSL-style verdict: nginx ``$ssl_client_verify``, mod_ssl ``SSL_CLIENT_VERIFY``.

    ``SUCCESS``, ``NONE``, ``FAILED`` or ``FAILED:<reason>``, and mod_ssl's ``GENEROUS``
    (``optional_no_ca``: a certificate was accepted without being verified), which counts as
    failed. Absent or empty means the proxy said nothing.

    :raises CertificateError: ``malformed`` for any other text, ``ambiguous`` for repeats.
    """
    text = present(value)
    if text is None:
        return ProxyVerdict.UNSTATED
    check_size(text, what)
    upper = text.upper()
    if upper.startswith("FAILED"):
        # The reason is free text from OpenSSL; only the keyword matters here.
        return ProxyVerdict.FAILED
    keyword = single_value(upper, what).strip()
    if keyword == "SUCCESS":
        return ProxyVerdict.SUCCESS
    if keyword == "NONE":
        return ProxyVerdict.NO_CERTIFICATE
    if keyword == "GENEROUS":
        return ProxyVerdict.FAILED
    raise CertificateError("malformed", f"{what} is not SUCCESS, NONE or FAILED:<reason>")


def hex_serial(value: str, what: str) -> int:
    """Parse a hex serial number (nginx ``$ssl_client_serial``, mod_ssl ``SSL_CLIENT_M_SERIAL``).

    Colons between bytes are accepted; 20-byte serials are common, longer ones are refused.

    :raises CertificateError: ``malformed`` if ``value`` is not a hex serial.
    """
    digits = value.strip().replace(":", "")
    if not digits or len(digits) > 64 or not all(c in string.hexdigits for c in digits):
        raise CertificateError("malformed", f"{what} is not a hexadecimal serial number")
    return int(digits, 16)


@dataclass(frozen=True, slots=True)
class ForwardedFields:
    """Certificate fields a proxy forwarded beside (or instead of) the certificate itself.

    Every attribute is the raw forwarded text, ``None`` when absent.
    """

    subject: str | None = None
    """Subject DN, RFC 2253/4514 or legacy slash form."""
    issuer: str | None = None
    """Issuer DN, RFC 2253/4514 or legacy slash form."""
    serial: str | None = None
    """Serial number in hex."""
    sha1: str | None = None
    """SHA-1 fingerprint in hex (nginx ``$ssl_client_fingerprint``), colons allowed."""

    @classmethod
    def from_values(cls, values: Mapping[str, str | None]) -> ForwardedFields:
        """Pick the ``subject``, ``issuer``, ``serial`` and ``fingerprint`` roles of ``values``."""
        return cls(
            subject=present(values.get("subject")),
            issuer=present(values.get("issuer")),
            serial=present(values.get("serial")),
            sha1=present(values.get("fingerprint")),
        )

    @property
    def any(self) -> bool:
        """True when at least one field was forwarded."""
        return any(v is not None for v in (self.subject, self.issuer, self.serial, self.sha1))

    def _normalized(self, what: str) -> tuple[str | None, str | None, int | None, str | None]:
        subject = None if self.subject is None else normalize_dn(self.subject)
        issuer = None if self.issuer is None else normalize_dn(self.issuer)
        serial = None if self.serial is None else hex_serial(self.serial, f"{what} serial")
        sha1 = None
        if self.sha1 is not None:
            sha1 = self.sha1.replace(":", "").lower()
            if len(sha1) != 40 or not all(c in string.hexdigits for c in sha1):
                raise CertificateError("malformed", f"{what} fingerprint is not a SHA-1 hex digest")
        return subject, issuer, serial, sha1

    def identity(self, *, proxy_verified: bool | None, source: str, what: str) -> ClientCertificate:
        """A field-only identity (``der is None``) with DNs normalized to RFC 4514.

        :raises CertificateError: ``malformed`` if a field cannot be parsed.
        """
        subject, issuer, serial, _ = self._normalized(what)
        return ClientCertificate.from_fields(
            subject=subject or "",
            issuer=issuer or "",
            serial=serial,
            proxy_verified=proxy_verified,
            source=source,
        )

    def check_agrees(self, cert: ClientCertificate, what: str) -> None:
        """Refuse fields that describe another certificate than ``cert``.

        :raises CertificateError: ``ambiguous`` on any disagreement, ``malformed`` if a field
            cannot be parsed.
        """
        subject, issuer, serial, sha1 = self._normalized(what)
        if subject is not None and subject != cert.subject:
            raise CertificateError("ambiguous", f"{what} subject DN differs from the certificate")
        if issuer is not None and issuer != cert.issuer:
            raise CertificateError("ambiguous", f"{what} issuer DN differs from the certificate")
        if serial is not None and serial != cert.serial:
            raise CertificateError("ambiguous", f"{what} serial differs from the certificate")
        # SHA-1 only compares what the proxy sent with what we hold; it is never trusted.
        if (
            sha1 is not None
            and cert.der is not None
            and sha1 != hashlib.sha1(cert.der, usedforsecurity=False).hexdigest()
        ):
            raise CertificateError("ambiguous", f"{what} fingerprint differs from the certificate")


def settle(
    verdict: ProxyVerdict,
    build: Callable[[bool | None], ClientCertificate] | None,
    what: str,
) -> ClientCertificate | None:
    """Apply the semantics every source shares to a verdict and what was forwarded.

    :param build: makes the identity (from the certificate or from fields) given the
        ``proxy_verified`` value; ``None`` when neither a certificate nor fields arrived.
    :returns: ``None`` when no certificate was presented, else the identity with
        ``proxy_verified`` True (SUCCESS), False (FAILED) or None (no verdict).
    :raises CertificateError: ``proxy_verification_failed`` for a failure without a
        certificate; ``ambiguous`` for a certificate with ``NONE``, or ``SUCCESS`` without one.
    """
    if build is None:
        if verdict is ProxyVerdict.FAILED:
            raise CertificateError(
                "proxy_verification_failed",
                f"{what}: the proxy reports a failed verification and forwarded no certificate",
            )
        if verdict is ProxyVerdict.SUCCESS:
            raise CertificateError(
                "ambiguous",
                f"{what}: the proxy reports a verified certificate but forwarded none",
            )
        return None
    if verdict is ProxyVerdict.NO_CERTIFICATE:
        raise CertificateError(
            "ambiguous", f"{what}: the proxy says no certificate was presented, yet forwarded one"
        )
    proxy_verified = {
        ProxyVerdict.SUCCESS: True,
        ProxyVerdict.FAILED: False,
        ProxyVerdict.UNSTATED: None,
    }[verdict]
    return build(proxy_verified)


def identity_from_pem(
    cert_text: str | None,
    verdict: ProxyVerdict,
    fields: ForwardedFields,
    *,
    source: str,
    what: str,
    chain_texts: tuple[str, ...] = (),
) -> ClientCertificate | None:
    """Identity from a PEM leaf (plus PEM intermediates) or, failing that, forwarded fields.

    The nginx, ingress-nginx, Apache and dev-server sources all forward this shape. When both
    the certificate and fields arrive they must describe the same certificate.

    :raises CertificateError: as :func:`settle`, plus ``malformed`` for undecodable values and
        ``ambiguous`` when fields disagree with the certificate.
    """
    build: Callable[[bool | None], ClientCertificate] | None = None
    if cert_text is not None:
        text = cert_text

        def build(proxy_verified: bool | None) -> ClientCertificate:
            (leaf_der, leaf), *chain = load_pem_pairs(text, what)
            for extra in chain_texts:
                chain.extend(load_pem_pairs(extra, f"{what} chain"))
            # mod_ssl's chain variables may repeat the leaf; keep intermediates only, once each.
            # Identical DER is an identical certificate (no need to hash each one).
            seen = {leaf_der}
            intermediates: list[x509.Certificate] = []
            intermediate_ders: list[bytes] = []
            for der, cert in chain:
                if der not in seen:
                    seen.add(der)
                    intermediates.append(cert)
                    intermediate_ders.append(der)
            # Each certificate was parsed from exactly its DER (load_pem_pairs).
            identity = ClientCertificate._from_parsed(
                leaf,
                leaf_der,
                tuple(intermediates),
                tuple(intermediate_ders),
                proxy_verified=proxy_verified,
                source=source,
            )
            fields.check_agrees(identity, what)
            return identity

    elif fields.any:

        def build(proxy_verified: bool | None) -> ClientCertificate:
            return fields.identity(proxy_verified=proxy_verified, source=source, what=what)

    return settle(verdict, build, what)
