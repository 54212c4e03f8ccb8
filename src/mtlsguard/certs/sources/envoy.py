r"""Envoy (and Istio) ``X-Forwarded-Client-Cert`` (XFCC).

Grammar, from Envoy's HTTP header manipulation docs: the header is a comma-separated list of
*elements*, one appended by each proxy hop; an element is a semicolon-separated list of
``key=value`` pairs; keys (``By``, ``Hash``, ``Cert``, ``Chain``, ``Subject``, ``URI``,
``DNS``) are case-insensitive; a value containing ``,``, ``;`` or ``=`` is double-quoted, and a
double quote inside it is written ``\"``. ``URI`` and ``DNS`` repeat, one pair per SAN.

What Envoy actually puts in each key:

* ``Cert`` / ``Chain``: URL-encoded PEM of the leaf / of the leaf followed by the chain.
* ``Hash``: hex SHA-256 of the leaf's DER.
* ``Subject``: the RFC 2253 subject from BoringSSL's ``X509_NAME_print_ex(XN_FLAG_RFC2253)``,
  always quoted and *not* XFCC-escaped. RFC 2253 already escapes ``"`` as ``\"``, which XFCC
  unescaping turns into a bare ``"``; RFC 4514 never has a bare quote, so it is put back.
* ``By``: the URI SAN of the proxy's own certificate (not the client's); ignored here.

The element describing the client is the one appended by the first of the ``hops`` trusted
proxies, ``elements[-hops]``: elements further left were written by the client or by
untrusted hops. The edge proxy must use ``SANITIZE_SET`` (or the client can smuggle elements
in when it presents no certificate). XFCC carries no verification verdict: Envoy only
forwards certificates from completed handshakes, so ``proxy_verified`` is ``None``.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Final

from mtlsguard.certs.dn import normalize_dn
from mtlsguard.certs.errors import CertificateError
from mtlsguard.certs.model import ClientCertificate
from mtlsguard.certs.sources._decoding import check_size, load_pem_bundle, url_decoded
from mtlsguard.certs.sources._fields import check_same_certificate, sha256_hex
from mtlsguard.certs.sources._verdict import present
from mtlsguard.certs.sources.base import CertificateSource

__all__ = ["EnvoySource", "XfccElement", "parse_xfcc", "tokenize_xfcc"]

#: One XFCC element as written: ``(lower-case key, decoded value)`` pairs in order.
XfccPairs = tuple[tuple[str, str], ...]

#: RFC 9110 ``tchar``: what a key may be made of.
_TCHAR: Final = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")
_OWS: Final = " \t"
_SINGLE_KEYS: Final = ("by", "hash", "cert", "chain", "subject")


def _malformed(message: str) -> CertificateError:
    return CertificateError("malformed", f"X-Forwarded-Client-Cert: {message}")


def _skip_ows(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _OWS:
        pos += 1
    return pos


def _quoted(text: str, pos: int) -> tuple[str, int]:
    """Read a quoted value whose opening quote is at ``pos - 1``; return it and the end."""
    out: list[str] = []
    while pos < len(text):
        char = text[pos]
        if char == '"':
            return "".join(out), pos + 1
        if char == "\\":
            if pos + 1 == len(text):
                break
            # Only \" is an XFCC escape; any other backslash pair is data (RFC 2253 in Subject).
            nxt = text[pos + 1]
            out.append('"' if nxt == '"' else "\\" + nxt)
            pos += 2
            continue
        out.append(char)
        pos += 1
    raise _malformed("unterminated quoted value")


def _bare(text: str, pos: int) -> tuple[str, int]:
    """Read an unquoted value up to ``,``, ``;`` or the end; return it stripped.

    ``=`` is data here: Envoy emits URI SANs unquoted, query strings included.
    """
    end = pos
    while end < len(text) and text[end] not in ',;"':
        end += 1
    if end < len(text) and text[end] == '"':
        raise _malformed("a quote inside an unquoted value")
    return text[pos:end].strip(_OWS), end


def tokenize_xfcc(header: str) -> list[XfccPairs]:
    r"""Split an XFCC header into elements of ``(key, value)`` pairs; total and strict.

    Keys are lower-cased, quoted values unquoted (``\"`` -> ``"``). Whitespace around
    separators is allowed (servers join repeated headers with ``", "``); a trailing ``;``
    closing an element is tolerated.

    :raises CertificateError: ``malformed`` for anything else: empty elements or keys, a
        missing ``=``, unterminated quotes, text after a closing quote, control characters.
    """
    check_size(header, "X-Forwarded-Client-Cert")
    if any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in header):
        raise _malformed("control character in header")
    elements: list[XfccPairs] = []
    pairs: list[tuple[str, str]] = []
    pos = _skip_ows(header, 0)
    if pos == len(header):
        raise _malformed("empty header")
    while True:
        start = pos
        while pos < len(header) and header[pos] in _TCHAR:
            pos += 1
        if pos == start:
            raise _malformed(f"expected a key at offset {start}")
        key = header[start:pos].lower()
        if pos == len(header) or header[pos] != "=":
            raise _malformed(f"key {key!r} has no '='")
        pos += 1
        if pos < len(header) and header[pos] == '"':
            value, pos = _quoted(header, pos + 1)
        else:
            value, pos = _bare(header, pos)
        pairs.append((key, value))
        pos = _skip_ows(header, pos)
        if pos < len(header) and header[pos] == ";":
            pos = _skip_ows(header, pos + 1)
            if pos < len(header) and header[pos] != ",":
                continue
        if pos == len(header) or header[pos] == ",":
            elements.append(tuple(pairs))
            pairs = []
            if pos == len(header):
                return elements
            pos = _skip_ows(header, pos + 1)
            if pos == len(header):
                raise _malformed("header ends with a comma")
            continue
        raise _malformed(f"unexpected {header[pos]!r} at offset {pos}")


@dataclass(frozen=True, slots=True)
class XfccElement:
    """The keys of one XFCC element that mtlsguard reads, decoded but not yet checked."""

    by: str | None = None
    """``By``: the forwarding proxy's own URI SAN."""
    hash: str | None = None
    """``Hash``: hex SHA-256 of the client certificate, as sent."""
    cert: str | None = None
    """``Cert``: URL-encoded PEM of the client certificate, as sent."""
    chain: str | None = None
    """``Chain``: URL-encoded PEM of the leaf and its chain, as sent."""
    subject: str | None = None
    """``Subject``: RFC 2253 subject DN, as sent."""
    uris: tuple[str, ...] = field(default=())
    """Non-empty ``URI`` values."""
    dns: tuple[str, ...] = field(default=())
    """Non-empty ``DNS`` values."""

    @classmethod
    def from_pairs(cls, pairs: XfccPairs) -> XfccElement:
        """Group an element's pairs by key; unknown keys are ignored.

        :raises CertificateError: ``ambiguous`` if a single-valued key repeats.
        """
        single: dict[str, str] = {}
        uris: list[str] = []
        dns: list[str] = []
        for key, value in pairs:
            if key in _SINGLE_KEYS:
                if key in single:
                    raise CertificateError(
                        "ambiguous", f"X-Forwarded-Client-Cert: key {key!r} repeats in an element"
                    )
                single[key] = value
            elif key == "uri" and value:
                uris.append(value)
            elif key == "dns" and value:
                dns.append(value)
        return cls(
            by=single.get("by"),
            hash=single.get("hash"),
            cert=single.get("cert"),
            chain=single.get("chain"),
            subject=single.get("subject"),
            uris=tuple(uris),
            dns=tuple(dns),
        )


def parse_xfcc(header: str, hops: int = 1) -> XfccElement:
    """Return the element appended by the first of ``hops`` trusted proxies.

    :raises CertificateError: ``malformed`` if the header does not parse or has fewer
        elements than ``hops``; ``ambiguous`` if the element repeats a single-valued key.
    """
    elements = tokenize_xfcc(header)
    if len(elements) < hops:
        raise _malformed(f"{len(elements)} element(s) but {hops} trusted hop(s)")
    return XfccElement.from_pairs(elements[-hops])


def _subject(text: str) -> str:
    # See the module docstring: restore the RFC 2253 escaping XFCC unquoting removed.
    return normalize_dn(text.replace('"', '\\"'))


class EnvoySource(CertificateSource):
    """Envoy / Istio ``X-Forwarded-Client-Cert``."""

    name = "envoy"
    default_names: ClassVar[Mapping[str, str]] = {"cert": "X-Forwarded-Client-Cert"}

    def parse(self, values: Mapping[str, str | None], *, hops: int = 1) -> ClientCertificate | None:
        """Identity from ``elements[-hops]``; ``None`` without XFCC.

        That element was appended by the outermost of the ``hops`` trusted proxies, the one
        that terminated the client's TLS; the ones right of it describe the proxies.

        An element with ``Cert`` (or ``Chain``) gives the full certificate, and every other
        key it carries must agree with it; without one, ``Hash``/``Subject``/``URI``/``DNS``
        give a field-only identity.

        :raises CertificateError: ``malformed`` for syntax or encoding errors and for an
            element with no client information; ``ambiguous`` when keys disagree.
        """
        header = present(values.get("cert"))
        if header is None:
            return None
        element = parse_xfcc(header, hops)
        fields = ClientCertificate.from_fields(
            subject=_subject(element.subject) if element.subject else "",
            sha256=None if element.hash is None else sha256_hex(element.hash, "XFCC Hash"),
            uris=element.uris,
            dns_names=element.dns,
            source=self.name,
        )
        leaf = None
        if element.cert is not None:
            certs = load_pem_bundle(url_decoded(element.cert, "XFCC Cert"), "XFCC Cert")
            if len(certs) != 1:
                raise _malformed("Cert holds more than one certificate")
            leaf = certs[0]
        chain = []
        if element.chain is not None:
            first, *chain = load_pem_bundle(url_decoded(element.chain, "XFCC Chain"), "XFCC Chain")
            if leaf is None:
                leaf = first
            elif first != leaf:
                raise CertificateError(
                    "ambiguous", "X-Forwarded-Client-Cert: Chain does not start with Cert"
                )
        if leaf is None:
            if not (fields.subject or fields.sha256 or fields.uris or fields.dns_names):
                raise _malformed("the element carries no client certificate information")
            return fields
        cert = ClientCertificate.from_certificate(leaf, chain=tuple(chain), source=self.name)
        check_same_certificate(cert, fields, "X-Forwarded-Client-Cert")
        return cert
