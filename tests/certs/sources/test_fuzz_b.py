"""Hypothesis fuzzing of the Envoy, AWS ALB, GCP, Cloudflare and RFC 9440 parsers.

Whatever arrives, each parser returns a ``ClientCertificate`` or ``None`` or raises
``CertificateError`` with a known reason; nothing else. Inputs are random text, structured
near-valid headers (XFCC elements with real keys, quoting and escapes, then mutated), real
certificate material mixed with junk, and complete header sets as each proxy sends them
with a few headers dropped or damaged, so the cross-checks run too. The number of examples
comes from the conftest profile (10,000 in CI).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import string
import urllib.parse

from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.certs import SOURCES, CertificateError, extract
from mtlsguard.certs.sources.envoy import tokenize_xfcc
from mtlsguard.certs.sources.rfc9440 import parse_byte_sequence, parse_byte_sequence_list
from mtlsguard.devserver.pki import TestPKI
from tests.certs.sources.proxykit import assert_total, der, kit, openssl_fields, outcome, pem
from tests.certs.sources.test_aws_alb import passthrough, verify_mode
from tests.certs.sources.test_cloudflare import forwarding, transform
from tests.certs.sources.test_gcp import gcp_headers
from tests.certs.sources.test_rfc9440 import sf_binary

XFCC_KEYS = ("By", "Hash", "Cert", "Chain", "Subject", "URI", "DNS")
TCHAR = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
SPECIAL = ',;="\\ \t\r\n%:+/'


@functools.cache
def _pki() -> TestPKI:
    # Hypothesis re-runs the test body many times; one PKI for the whole module is enough.
    return TestPKI.create()


@functools.cache
def material() -> dict[str, list[str]]:
    """Real values a proxy would send, per kind, to mix into fuzzed headers."""
    pki = _pki()
    issued = [kit(pki).tricky, pki.client, pki.other_client, pki.expired]
    pems = [pem(i.cert) for i in issued]
    bundles = [pem(i.cert) + "".join(pem(c) for c in i.chain) for i in issued]
    return {
        "pem_quoted": [urllib.parse.quote(p, safe="") for p in pems + bundles],
        "pem_alb": [urllib.parse.quote(p, safe="+=/") for p in pems + bundles],
        "hash_hex": [hashlib.sha256(i.der).hexdigest() for i in issued],
        "hash_b64": [base64.b64encode(hashlib.sha256(i.der).digest()).decode() for i in issued],
        "der_b64": [base64.b64encode(i.der).decode() for i in issued],
        "sf": [f":{base64.b64encode(i.der).decode()}:" for i in issued]
        + [", ".join(f":{base64.b64encode(der(c)).decode()}:" for c in i.chain) for i in issued],
        "dn": [openssl_fields(i.cert).subject for i in issued]
        + [openssl_fields(i.cert).issuer for i in issued],
        "dn_der": [base64.b64encode(i.cert.subject.public_bytes()).decode() for i in issued],
        "serial": [openssl_fields(i.cert).serial for i in issued],
        "flag": ["true", "false", "TRUE", "0", "1", "SUCCESS", "NONE", "FAILED:x", ""],
        "time": [
            "NotBefore=2023-09-21T01:50:17Z;NotAfter=2024-09-20T01:50:17Z",
            "2022-07-01T18:05:09+00:00",
            "Mar 21 13:35:00 2022 GMT",
        ],
    }


def real(kind: str) -> st.SearchStrategy[str]:
    return st.deferred(lambda: st.sampled_from(material()[kind]))


#: Header-ish text over a small alphabet rich in what every grammar here cares about: one
#: choice per character keeps an example cheap, so 10,000 of them fit in CI.
header_text = st.text(
    alphabet=st.sampled_from(SPECIAL + "aZ09_-.\x00\x7f\xa0é\xffÿ日\u2028"), max_size=32
)
any_value = st.one_of(
    header_text,
    *(real(k) for k in ("pem_quoted", "hash_hex", "hash_b64", "der_b64", "sf", "dn", "serial")),
    real("flag"),
    real("time"),
    real("dn_der"),
    real("pem_alb"),
)


# --- XFCC: structured generation ----------------------------------------------------------

xfcc_key = st.one_of(
    st.sampled_from([v for k in XFCC_KEYS for v in (k, k.lower(), k.upper(), k.swapcase())]),
    st.text(alphabet=TCHAR, min_size=1, max_size=6),
)
#: Values without backslashes or control characters: what Envoy itself can write unambiguously.
xfcc_value = st.one_of(
    st.sampled_from(
        ["", "a,b", "x;y", "k=v", 'say "hi"', '""', " lead", "trail ", "Jürgen", "日本", "a b"]
    ),
    st.text(alphabet=st.sampled_from(',;=" aZ9é:/?%+'), max_size=12),
)
ows = st.sampled_from(["", " ", "\t", "  "])


def xfcc_encode(value: str) -> str:
    """Quote a value when XFCC requires it (separators, quotes, edge whitespace)."""
    if value == value.strip() and not any(c in value for c in ',;"='):
        return value
    return '"' + value.replace('"', '\\"') + '"'


_xfcc_elements = st.lists(
    st.lists(st.tuples(xfcc_key, xfcc_value), min_size=1, max_size=4), min_size=1, max_size=3
)
_trailing_semicolon = st.booleans()


@st.composite
def xfcc_header(draw: st.DrawFn) -> tuple[str, list[list[tuple[str, str]]]]:
    """A well-formed XFCC header and the elements it encodes."""
    elements = draw(_xfcc_elements)
    parts = []
    for pairs in elements:
        text = ""
        for i, (key, value) in enumerate(pairs):
            text += (";" + draw(ows) if i else "") + f"{key}={xfcc_encode(value)}"
        if draw(_trailing_semicolon):
            text += ";"
        parts.append(text)
    header = draw(ows)
    for i, part in enumerate(parts):
        header += ("," + draw(ows) if i else "") + part
    expected = [
        [(k.lower(), v.strip(" \t") if xfcc_encode(v) == v else v) for k, v in e] for e in elements
    ]
    return header, expected


_special_char = st.sampled_from(SPECIAL)
_edit = st.sampled_from(["insert", "delete", "duplicate"])


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    """``base`` with a few random insertions, deletions and duplications."""
    text = draw(base)
    for _ in range(draw(st.integers(0, 3))):
        pos = draw(st.integers(0, len(text)))
        op = draw(_edit)
        if op == "insert":
            text = text[:pos] + draw(_special_char) + text[pos:]
        elif op == "delete" and text:
            text = text[: max(pos - 1, 0)] + text[pos:]
        else:
            end = draw(st.integers(pos, len(text)))
            text = text[:end] + text[pos:end] + text[end:]
    return text


#: Per XFCC key: mostly the real thing a proxy sends, sometimes anything.
_real_xfcc_values = {
    key: st.one_of(strategy, xfcc_value)
    for key, strategy in {
        "hash": real("hash_hex"),
        "cert": real("pem_quoted"),
        "chain": real("pem_quoted"),
        "subject": real("dn"),
        "uri": st.sampled_from(["spiffe://example.com/ns/billing/sa/alice", ""]),
        "dns": st.sampled_from(["alice.clients.example.com", "x"]),
        "by": st.just("spiffe://edge"),
    }.items()
}
_xfcc_keys = st.lists(st.sampled_from(XFCC_KEYS), min_size=1, max_size=6)


@st.composite
def xfcc_with_real_values(draw: st.DrawFn) -> str:
    """Elements whose values are mostly real certificate material."""
    elements = []
    for _ in range(draw(st.integers(1, 3))):
        pairs = []
        for key in draw(_xfcc_keys):
            value = draw(_real_xfcc_values[key.lower()])
            pairs.append(f'{key}="{value.replace(chr(34), chr(92) + chr(34))}"')
        elements.append(";".join(pairs))
    return ",".join(elements)


@given(xfcc_header())
def test_xfcc_tokenizer_roundtrips_well_formed_headers(
    case: tuple[str, list[list[tuple[str, str]]]],
) -> None:
    header, expected = case
    assert [list(e) for e in tokenize_xfcc(header)] == expected


@given(
    st.one_of(
        header_text,
        mutated(xfcc_header().map(lambda c: c[0])),
        xfcc_with_real_values(),
        mutated(xfcc_with_real_values()),
    ),
    st.integers(1, 3),
)
def test_xfcc_tokenizer_and_envoy_source_are_total(header: str, hops: int) -> None:
    tokens = outcome(lambda: tokenize_xfcc(header))
    if isinstance(tokens, CertificateError):
        assert tokens.reason == "malformed"
    else:
        assert isinstance(tokens, list)
        assert tokens  # a header that parses has at least one element...
        for element in tokens:
            assert element  # ...each with at least one (lower-case key, value) pair
            assert all(isinstance(v, str) and k == k.lower() for k, v in element)
    assert_total(lambda: extract("envoy", {"X-Forwarded-Client-Cert": header}, hops=hops))


# --- RFC 9440 ------------------------------------------------------------------------------


@given(st.lists(st.binary(min_size=1, max_size=40), max_size=5), ows, ows)
def test_byte_sequence_list_roundtrips(items: list[bytes], before: str, after: str) -> None:
    # OWS after a member is allowed; an empty list only tolerates top-level spaces.
    text = ("," + before).join(f":{base64.b64encode(b).decode()}:" for b in items)
    text += after if items else after.replace("\t", " ")
    assert parse_byte_sequence_list(text, "list") == items


@given(st.one_of(header_text, mutated(real("sf"))))
def test_structured_field_parsers_are_total(text: str) -> None:
    item = outcome(lambda: parse_byte_sequence(text, "item"))
    assert isinstance(item, bytes) or (
        isinstance(item, CertificateError) and item.reason in {"malformed", "ambiguous"}
    )
    members = outcome(lambda: parse_byte_sequence_list(text, "list"))
    if isinstance(members, CertificateError):
        assert members.reason == "malformed"
    else:
        assert isinstance(members, list)
        assert all(isinstance(m, bytes) and m for m in members)


# --- every source of this group, role by role ------------------------------------------------


def source_roles(name: str) -> st.SearchStrategy[dict[str, str]]:
    """Any subset of the source's headers, each with junk or real material of any kind."""
    names = SOURCES[name].default_names
    return st.dictionaries(
        st.sampled_from(sorted(names.values())),
        st.one_of(any_value, mutated(any_value)),
        max_size=len(names),
    )


@functools.cache
def header_sets() -> dict[str, list[dict[str, str]]]:
    """Complete header sets exactly as each proxy sends them, built by the source tests."""
    pki = _pki()
    certs = [kit(pki).tricky, pki.client, pki.expired, pki.self_signed]
    return {
        "aws-alb": [verify_mode(i) for i in certs] + [passthrough(i) for i in certs],
        "gcp": [gcp_headers(i, verified=v) for i in certs for v in (True, False)],
        "cloudflare": [
            forwarding(i) | transform(i, verified=i is not pki.self_signed) for i in certs
        ]
        + [transform(i, verified=False) for i in certs],
        "rfc9440": [
            {
                "Client-Cert": sf_binary(i.der),
                "Client-Cert-Chain": ", ".join(sf_binary(der(c)) for c in i.chain),
            }
            for i in certs
        ],
    }


@functools.cache
def _keys_of(keys: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(keys), max_size=3, unique=True)


_damage = st.sampled_from(["drop", "replace", "mutate"])


@st.composite
def near_real_headers(draw: st.DrawFn, name: str) -> dict[str, str]:
    """A real header set from ``name``'s proxy with up to three headers dropped or damaged."""
    headers = dict(draw(st.sampled_from(header_sets()[name])))
    for key in draw(_keys_of(tuple(sorted(headers)))):
        action = draw(_damage)
        if action == "drop":
            del headers[key]
        elif action == "replace":
            headers[key] = draw(any_value)
        else:
            headers[key] = draw(mutated(st.just(headers[key])))
    return headers


def fuzzed_headers(name: str) -> st.SearchStrategy[dict[str, str]]:
    return st.one_of(source_roles(name), st.deferred(lambda: near_real_headers(name)))


@given(fuzzed_headers("rfc9440"))
def test_rfc9440_source_is_total(headers: dict[str, str]) -> None:
    assert_total(lambda: extract("rfc9440", headers))


@given(fuzzed_headers("aws-alb"))
def test_aws_alb_source_is_total(headers: dict[str, str]) -> None:
    assert_total(lambda: extract("aws-alb", headers))


@given(fuzzed_headers("gcp"))
def test_gcp_source_is_total(headers: dict[str, str]) -> None:
    assert_total(lambda: extract("gcp", headers))


@given(fuzzed_headers("cloudflare"))
def test_cloudflare_source_is_total(headers: dict[str, str]) -> None:
    assert_total(lambda: extract("cloudflare", headers))
