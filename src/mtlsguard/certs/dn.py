r"""Distinguished names as proxies forward them, parsed with ``cryptography`` (never split by hand).

Two textual forms reach applications:

* RFC 4514 / RFC 2253 (``CN=alice,O=Example\\, Inc.,C=US``): most specific RDN first, ``\\``
  escapes, ``+`` joins the attributes of a multi-valued RDN. nginx >= 1.11.6
  (``$ssl_client_s_dn``), Traefik, Envoy XFCC ``Subject=``, AWS ALB.
* The legacy OpenSSL "oneline" form (``/C=US/O=Example, Inc./CN=alice``): most general RDN
  first, ``/`` separated, no escaping. nginx ``$ssl_client_s_dn_legacy``, Apache, HAProxy
  ``ssl_c_s_dn`` by default.

Both are parsed into an ``x509.Name`` and rendered back with ``rfc4514_string()``, so that a
DN forwarded by any proxy compares equal to the one ``cryptography`` computes from the
certificate itself.

Transport: proxies and mod_ssl write DNs as UTF-8 bytes, and WSGI (PEP 3333: mod_wsgi's
environ, every ``HTTP_*`` header) and ASGI header decoding hand them over as *latin-1*
decoded text, so ``Jürgen`` arrives as ``JÃ¼rgen``. Sources undo that with
:func:`from_wsgi_text` before parsing a DN they read from an environ or a header;
:func:`parse_dn` itself takes text as given.
"""

from __future__ import annotations

import re
from typing import Final

from cryptography import x509
from cryptography.x509.oid import NameOID

from mtlsguard.certs.errors import CertificateError

__all__ = ["from_wsgi_text", "normalize_dn", "parse_dn"]

#: Attribute names proxies emit that RFC 4514's short list lacks.
_EXTRA_NAMES: Final[dict[str, x509.ObjectIdentifier]] = {
    "EMAILADDRESS": NameOID.EMAIL_ADDRESS,
    "E": NameOID.EMAIL_ADDRESS,
    "EMAIL": NameOID.EMAIL_ADDRESS,
    "SERIALNUMBER": NameOID.SERIAL_NUMBER,
    "SN": NameOID.SURNAME,
    "GN": NameOID.GIVEN_NAME,
    "GIVENNAME": NameOID.GIVEN_NAME,
    "SURNAME": NameOID.SURNAME,
    "TITLE": NameOID.TITLE,
    "INITIALS": NameOID.INITIALS,
    "PSEUDONYM": NameOID.PSEUDONYM,
    "ORGANIZATIONIDENTIFIER": NameOID.ORGANIZATION_IDENTIFIER,
    "BUSINESSCATEGORY": NameOID.BUSINESS_CATEGORY,
    "POSTALCODE": NameOID.POSTAL_CODE,
    "NAME": x509.ObjectIdentifier("2.5.4.41"),
}

#: RFC 4514's own short names, which cryptography only accepts in upper case.
_RFC4514_KNOWN: Final[dict[str, x509.ObjectIdentifier]] = {
    "CN": NameOID.COMMON_NAME,
    "L": NameOID.LOCALITY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "C": NameOID.COUNTRY_NAME,
    "STREET": NameOID.STREET_ADDRESS,
    "DC": NameOID.DOMAIN_COMPONENT,
    "UID": NameOID.USER_ID,
}

#: The ``NAME=`` that starts each component of a legacy DN, after ``/`` (a new RDN) or ``+``
#: (another attribute of the same RDN). A ``/`` or ``+`` not followed by one is value text.
_LEGACY_KEY: Final = re.compile(r"[A-Za-z][A-Za-z0-9.\-]*=")

#: RFC 4514 special characters to escape when re-encoding a legacy value.
_ESCAPE: Final = re.compile(r'([,+"\\<>;=])')

_MAX_DN: Final = 8192


def _overrides(text: str) -> dict[str, x509.ObjectIdentifier]:
    # cryptography matches attribute names case-sensitively; map whatever case the proxy used.
    names: dict[str, x509.ObjectIdentifier] = {}
    for match in re.finditer(r"(?:^|[,+/])\s*([A-Za-z][A-Za-z0-9\-]*)\s*=", text):
        raw = match.group(1)
        upper = raw.upper()
        if upper in _EXTRA_NAMES:
            names[raw] = _EXTRA_NAMES[upper]
        elif upper in _RFC4514_KNOWN and raw != upper:
            names[raw] = _RFC4514_KNOWN[upper]
    return names


#: OpenSSL's X509_NAME_oneline prints bytes outside printable ASCII as ``\xHH``.
_ONELINE_BYTES: Final = re.compile(r"(?:\\x[0-9A-Fa-f]{2})+")


def _decode_bytes(run: str) -> str:
    # A run of \xHH is the UTF-8 encoding of non-ASCII characters (J\xC3\xBCrgen).
    try:
        return bytes.fromhex(run.replace("\\x", "")).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CertificateError(
            "malformed", "legacy DN has escaped bytes that are not UTF-8"
        ) from exc


def _legacy_value(text: str, pos: int) -> tuple[str, int]:
    # Read one value up to the next separator. OpenSSL 3 escapes "/" and "+" with "\" and
    # bytes outside ASCII as \xHH, but not the backslash itself: any other "\" is literal
    # ("a\b" is the three characters a, \, b).
    chars: list[str] = []
    while pos < len(text):
        char = text[pos]
        if char in "/+" and _LEGACY_KEY.match(text, pos + 1):
            break
        if char == "\\" and pos + 1 < len(text):
            run = _ONELINE_BYTES.match(text, pos)
            if run is not None:
                chars.append(_decode_bytes(run.group()))
                pos = run.end()
                continue
            if text[pos + 1] in "/+":
                chars.append(text[pos + 1])
                pos += 2
                continue
        chars.append(char)
        pos += 1
    return "".join(chars), pos


def _rfc4514_value(value: str) -> str:
    escaped = _ESCAPE.sub(r"\\\1", value)
    if escaped.startswith((" ", "#")):
        escaped = "\\" + escaped
    if escaped.endswith(" ") and not escaped.endswith("\\ "):
        escaped = escaped[:-1] + "\\ "
    return escaped


def _legacy_to_rfc4514(text: str) -> str:
    # X509_NAME_oneline: "/C=US/O=Example, Inc./UID=a+CN=alice", most general RDN first.
    rdns: list[list[str]] = []
    pos, separator = 1, "/"
    while True:
        key = _LEGACY_KEY.match(text, pos)
        if key is None:
            raise CertificateError("malformed", f"legacy DN has no NAME= at offset {pos}")
        value, pos = _legacy_value(text, key.end())
        attribute = f"{key.group()}{_rfc4514_value(value)}"
        if separator == "/":
            rdns.append([attribute])
        else:
            rdns[-1].append(attribute)
        if pos >= len(text):
            break
        separator, pos = text[pos], pos + 1
    # RFC 4514 lists the most specific RDN first.
    return ",".join("+".join(rdn) for rdn in reversed(rdns))


def from_wsgi_text(text: str) -> str:
    """``text`` as the UTF-8 it was sent as, when a server decoded its bytes as latin-1.

    A WSGI string is bytes decoded as latin-1 (PEP 3333), so UTF-8 ``ü`` reads ``Ã¼``.
    Text that is not latin-1 (already real Unicode), pure ASCII, or whose latin-1 bytes are
    not valid UTF-8 (a real ``ü`` is the single byte 0xFC, never valid UTF-8 on its own) is
    returned unchanged.
    """
    if text.isascii():
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:  # not latin-1 (real Unicode text), or not UTF-8 bytes: as given
        return text


def parse_dn(text: str) -> x509.Name:
    """Parse an RFC 4514/2253 or legacy slash-separated DN into an ``x509.Name``.

    :raises CertificateError: ``malformed`` if ``text`` is not a DN in either form.
    """
    if len(text) > _MAX_DN:
        raise CertificateError("malformed", "distinguished name is too long")
    stripped = text.strip()
    backslashes = len(stripped) - len(stripped.rstrip("\\"))
    if backslashes % 2:
        # The last backslash escaped the whitespace strip() removed ("CN=a\\ "): keep it.
        stripped += text.lstrip()[len(stripped) : len(stripped) + 1]
    if not stripped:
        return x509.Name([])
    rfc = _legacy_to_rfc4514(stripped) if stripped.startswith("/") else stripped
    try:
        return _canonical(x509.Name.from_rfc4514_string(rfc, _overrides(rfc)))
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise CertificateError("malformed", f"not a distinguished name: {exc or 'syntax'}") from exc


def _tlv_content(der: bytes) -> bytes:
    # Content octets of one DER TLV (short or long definite length).
    first = der[1]
    return der[2:] if first < 0x80 else der[2 + (first & 0x7F) :]


def _atv_der(attr: x509.NameAttribute[str | bytes]) -> bytes:
    # DER of the AttributeTypeAndValue alone: unwrap the Name SEQUENCE and the RDN SET.
    return _tlv_content(
        _tlv_content(x509.Name([x509.RelativeDistinguishedName([attr])]).public_bytes())
    )


def _canonical(name: x509.Name) -> x509.Name:
    # A multi-valued RDN is a DER SET OF: in a certificate its attributes are sorted by their
    # encoding, and cryptography renders them in that order. Proxies print them in other
    # orders (OpenSSL's RFC 2253 output reverses them), so sort the same way to compare.
    if all(len(rdn) == 1 for rdn in name.rdns):
        return name
    rdns: list[x509.RelativeDistinguishedName] = [
        x509.RelativeDistinguishedName(sorted(rdn, key=_atv_der)) if len(rdn) > 1 else rdn
        for rdn in name.rdns
    ]
    return x509.Name(rdns)


def normalize_dn(text: str) -> str:
    """Return ``text`` (either form) as the RFC 4514 string ``cryptography`` would render.

    :raises CertificateError: ``malformed`` if ``text`` is not a DN.
    """
    return parse_dn(text).rfc4514_string()
