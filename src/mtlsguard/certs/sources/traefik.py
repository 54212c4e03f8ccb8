"""Traefik ``passTLSClientCert``: armour-less base64 DER chain, and an optional info header.

``pem: true`` sets ``X-Forwarded-Tls-Client-Cert`` to each certificate of the client's chain
(leaf first) as PEM with the ``BEGIN``/``END`` lines and line breaks removed, joined with
``,``. Traefik v1/v2 also URL-escaped the value (``%2B``, ``%2F``, ``%3D``), v3 does not; both
are accepted (percent-decoding only, ``+`` is a base64 character here).

``info: {...}`` sets ``X-Forwarded-Tls-Client-Cert-Info`` to a query-escaped (``+`` for space)
string with one element per certificate, joined with ``,``; each element is
``Key="value"`` pairs joined with ``;``: ``Subject``, ``Issuer``, ``SerialNumber`` (decimal),
``NB`` / ``NA`` (Unix seconds) and ``SAN`` (comma-joined DNS names, emails, IPs, URIs). The
DNs list only the selected attributes, unescaped, most general first (``DC``, ``C``, ``ST``,
``L``, ``O``, ``OU``, ``SN`` = serialNumber, ``CN``). When only the info header arrives, the
result is a field-only identity whose DNs are rebuilt from those attributes; they equal
cryptography's rendering when the certificate's names hold exactly the selected attributes,
one per RDN, in that order (the common case), and never contain what Traefik did not send.

Traefik forwards no verification verdict (``clientAuthType`` decides whether unverified
certificates get through at all), so ``proxy_verified`` is ``None``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import urllib.parse
from collections.abc import Mapping
from typing import ClassVar, Final

from cryptography import x509
from cryptography.x509.oid import NameOID

from mtlsguard.certs.errors import CertificateError
from mtlsguard.certs.model import ClientCertificate
from mtlsguard.certs.sources._decoding import b64_der, check_size
from mtlsguard.certs.sources._verdict import present
from mtlsguard.certs.sources.base import CertificateSource

__all__ = ["TraefikSource", "parse_info"]

#: Traefik's DN attribute keys, with the OIDs they stand for (``SN`` is serialNumber here).
_DN_KEYS: Final[dict[str, x509.ObjectIdentifier]] = {
    "DC": NameOID.DOMAIN_COMPONENT,
    "C": NameOID.COUNTRY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "L": NameOID.LOCALITY_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "SN": NameOID.SERIAL_NUMBER,
    "CN": NameOID.COMMON_NAME,
}

#: Split a Traefik DN before each ``,KEY=``; values are not escaped, so a comma inside a
#: value survives unless it is followed by one of these keys and ``=``.
_DN_SPLIT: Final = re.compile(r",(?=(?:" + "|".join(_DN_KEYS) + r")=)")

#: One ``Key="value"`` pair of the info header.
_PAIR: Final = re.compile(r'([A-Za-z]+)="([^"]*)"')

_MAX_TIMESTAMP = 253402300799  # 9999-12-31T23:59:59Z


def _traefik_dn(text: str, what: str) -> str:
    """Rebuild an RFC 4514 DN (as cryptography renders it) from Traefik's attribute list."""
    if not text:
        return ""
    attributes: list[x509.NameAttribute[str]] = []
    for part in _DN_SPLIT.split(text):
        key, sep, value = part.partition("=")
        if not sep or key not in _DN_KEYS:
            raise CertificateError("malformed", f"{what} DN component {part[:40]!r} is unknown")
        try:
            attributes.append(x509.NameAttribute(_DN_KEYS[key], value))
        except ValueError as exc:
            raise CertificateError("malformed", f"{what} DN value is invalid: {exc}") from exc
    # Traefik lists most general first, like the certificate; rfc4514_string() reverses.
    return x509.Name(attributes).rfc4514_string()


def _timestamp(text: str, what: str) -> dt.datetime:
    if not text.isascii() or not text.isdigit() or int(text) > _MAX_TIMESTAMP:
        raise CertificateError("malformed", f"{what} is not a Unix timestamp")
    return dt.datetime.fromtimestamp(int(text), dt.UTC)


def parse_info(value: str, what: str = "traefik info header") -> list[dict[str, str]]:
    """Split a decoded-or-escaped ``X-Forwarded-Tls-Client-Cert-Info`` into per-certificate dicts.

    :raises CertificateError: ``malformed`` on anything but ``Key="value"`` pairs joined by
        ``;`` within, and ``,`` between, certificates; ``ambiguous`` on a repeated key.
    """
    check_size(value, what)
    try:
        text = urllib.parse.unquote_plus(value, errors="strict")
    except UnicodeDecodeError as exc:
        raise CertificateError("malformed", f"{what} is not valid escaped UTF-8") from exc
    elements: list[dict[str, str]] = [{}]
    pos = 0
    while pos < len(text):
        if (
            text[pos] == ","
        ):  # next certificate (Traefik leaves an element empty if it has no fields)
            elements.append({})
            pos += 1
            continue
        match = _PAIR.match(text, pos)
        if match is None:
            raise CertificateError("malformed", f'{what} has no Key="value" at offset {pos}')
        key, val = match.group(1), match.group(2)
        if key in elements[-1]:
            raise CertificateError("ambiguous", f"{what} repeats {key}")
        elements[-1][key] = val
        pos = match.end()
        if pos < len(text) and text[pos] == ";":
            pos += 1
            if pos == len(text) or text[pos] == ",":
                raise CertificateError("malformed", f"{what} has a dangling ';'")
        elif pos < len(text) and text[pos] != ",":
            raise CertificateError("malformed", f"{what} has {text[pos]!r} after a value")
    return elements


def _sans(text: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(emails, dns names, URIs) from Traefik's comma-joined SAN list; IPs are dropped."""
    emails: list[str] = []
    dns: list[str] = []
    uris: list[str] = []
    for item in filter(None, text.split(",")):
        try:
            ipaddress.ip_address(item)
        except ValueError:
            pass
        else:
            continue
        if ":" in item:
            uris.append(item)
        elif "@" in item:
            emails.append(item)
        else:
            dns.append(item)
    return tuple(emails), tuple(dns), tuple(uris)


class TraefikSource(CertificateSource):
    """Traefik ``passTLSClientCert`` middleware (``pem`` and/or ``info``)."""

    name = "traefik"
    default_names: ClassVar[Mapping[str, str]] = {
        "cert": "X-Forwarded-Tls-Client-Cert",
        "info": "X-Forwarded-Tls-Client-Cert-Info",
    }

    def parse(self, values: Mapping[str, str | None], *, hops: int = 1) -> ClientCertificate | None:
        """Identity from the certificate chain header, else from the info header's leaf.

        :raises CertificateError: ``malformed``, or ``ambiguous`` when the info header
            describes another certificate than the one forwarded.
        """
        raw_cert = present(values.get("cert"))
        raw_info = present(values.get("info"))
        info = parse_info(raw_info)[0] if raw_info is not None else None
        if raw_cert is None:
            return None if info is None else self._from_info(info)
        what = "traefik certificate header"
        check_size(raw_cert, what)
        try:
            decoded = urllib.parse.unquote(raw_cert, errors="strict")
        except UnicodeDecodeError as exc:
            raise CertificateError("malformed", f"{what} is not valid escaped UTF-8") from exc
        parts = [b64_der(part, what) for part in decoded.split(",")]
        identity = ClientCertificate.from_der(parts[0], chain=tuple(parts[1:]), source=self.name)
        if info is not None:
            self._check_agrees(identity, info)
        return identity

    def _from_info(self, info: Mapping[str, str]) -> ClientCertificate:
        what = "traefik info header"
        if not info:
            raise CertificateError("malformed", f"{what} carries no field for the certificate")
        serial = info.get("SerialNumber")
        if serial is not None and (
            not serial.isascii() or not serial.isdigit() or len(serial) > 60
        ):
            raise CertificateError("malformed", f"{what} SerialNumber is not a decimal serial")
        emails, dns, uris = _sans(info.get("SAN", ""))
        nb, na = info.get("NB"), info.get("NA")
        return ClientCertificate.from_fields(
            subject=_traefik_dn(info.get("Subject", ""), what),
            issuer=_traefik_dn(info.get("Issuer", ""), what),
            serial=None if serial is None else int(serial),
            not_before=None if nb is None else _timestamp(nb, f"{what} NB"),
            not_after=None if na is None else _timestamp(na, f"{what} NA"),
            emails=emails,
            dns_names=dns,
            uris=uris,
            source=self.name,
        )

    def _check_agrees(self, identity: ClientCertificate, info: Mapping[str, str]) -> None:
        if not info:
            return
        fields = self._from_info(info)
        # Only what the info header can state exactly: serial and validity (to the second).
        same = (
            (fields.serial is None or fields.serial == identity.serial)
            and (fields.not_before is None or fields.not_before == identity.not_before)
            and (fields.not_after is None or fields.not_after == identity.not_after)
        )
        if not same:
            raise CertificateError(
                "ambiguous", "traefik info header describes another certificate than the one sent"
            )
