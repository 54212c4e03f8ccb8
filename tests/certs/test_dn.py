"""DN parsing: RFC 4514/2253 and OpenSSL's legacy one-line form, as proxies print them."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.certs import CertificateError
from mtlsguard.certs.dn import normalize_dn, parse_dn
from mtlsguard.devserver.pki import TestPKI
from tests.certs.sources.proxykit import TRICKY_SUBJECT, kit, openssl_fields


def _name(*rdns: list[tuple[x509.ObjectIdentifier, str]]) -> x509.Name:
    return x509.Name(
        [x509.RelativeDistinguishedName([x509.NameAttribute(o, v) for o, v in rdn]) for rdn in rdns]
    )


@pytest.mark.parametrize("nameopt", ["RFC2253", "compat"])
def test_openssl_output_of_tricky_subject(pki: TestPKI, nameopt: str) -> None:
    """What nginx ($ssl_client_s_dn / _legacy) and mod_ssl print equals cryptography's view."""
    cert = kit(pki).tricky.cert
    assert cert.subject == TRICKY_SUBJECT
    printed = openssl_fields(cert, nameopt)
    assert normalize_dn(printed.subject) == cert.subject.rfc4514_string()
    assert normalize_dn(printed.issuer) == cert.issuer.rfc4514_string()
    assert parse_dn(printed.subject) == cert.subject


def test_escaped_commas_quotes_plus_and_utf8() -> None:
    expected = _name(
        [(NameOID.COUNTRY_NAME, "US")],
        [(NameOID.ORGANIZATION_NAME, 'Example, "Big" Inc.')],
        [(NameOID.ORGANIZATIONAL_UNIT_NAME, "R+D; Ops")],
        [(NameOID.COMMON_NAME, "Zoë Ångström")],
    )
    text = r"CN=Zoë Ångström,OU=R\+D\; Ops,O=Example\, \"Big\" Inc.,C=US"
    assert parse_dn(text) == expected
    # OpenSSL's RFC 2253 output escapes UTF-8 bytes as \XX.
    hex_escaped = r"CN=Zo\C3\AB \C3\85ngstr\C3\B6m,OU=R\+D\; Ops,O=Example\, \"Big\" Inc.,C=US"
    assert parse_dn(hex_escaped) == expected
    assert normalize_dn(hex_escaped) == expected.rfc4514_string()


def test_multi_valued_rdn_in_any_order() -> None:
    expected = _name(
        [(NameOID.ORGANIZATION_NAME, "Example")],
        [(NameOID.COMMON_NAME, "alice"), (NameOID.USER_ID, "a1")],
    )
    one = normalize_dn("CN=alice+UID=a1,O=Example")
    two = normalize_dn("UID=a1+CN=alice,O=Example")
    assert one == two
    assert parse_dn("CN=alice+UID=a1,O=Example") == expected


def test_multi_valued_rdn_order_matches_certificates(pki: TestPKI) -> None:
    """Whatever order a proxy prints, the result is what cryptography renders from the DER."""
    for order in ((NameOID.COMMON_NAME, NameOID.USER_ID), (NameOID.USER_ID, NameOID.COMMON_NAME)):
        subject = x509.Name(
            [
                x509.RelativeDistinguishedName(
                    [
                        x509.NameAttribute(oid, "bob" if oid == NameOID.COMMON_NAME else "b-7")
                        for oid in order
                    ]
                )
            ]
        )
        cert = pki.intermediate.issue(subject).cert
        rendered = cert.subject.rfc4514_string()
        assert normalize_dn("CN=bob+UID=b-7") == rendered
        assert normalize_dn("UID=b-7+CN=bob") == rendered


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cn=alice,o=Example,c=US", "CN=alice,O=Example,C=US"),
        ("Cn=alice,Ou=Billing", "CN=alice,OU=Billing"),
        ("CN=alice,emailAddress=a@example.com", "CN=alice,1.2.840.113549.1.9.1=a@example.com"),
        ("CN=alice,E=a@example.com", "CN=alice,1.2.840.113549.1.9.1=a@example.com"),
        ("serialNumber=42,CN=alice", "2.5.4.5=42,CN=alice"),
        ("  CN=alice  ", "CN=alice"),
        ("", ""),
    ],
)
def test_attribute_name_case_and_aliases(text: str, expected: str) -> None:
    assert normalize_dn(text) == expected


@pytest.mark.parametrize(
    ("legacy", "expected"),
    [
        ("/C=US/O=Example, Inc./CN=alice", "CN=alice,O=Example\\, Inc.,C=US"),
        ("/C=DE/O=M\\xC3\\xBCller/CN=J\\xC3\\xBCrgen", "CN=Jürgen,O=Müller,C=DE"),
        ("/OU=R\\+D \\/ Ops=1/CN=x", "CN=x,OU=R\\+D / Ops=1"),
        ("/O=a/b/CN=x", "CN=x,O=a/b"),  # a "/" not followed by NAME= is value text
        ("/UID=a1+CN=alice/O=Example", "O=Example,UID=a1+CN=alice"),
        ("/c=us/cn=alice", "CN=alice,C=us"),
    ],
)
def test_legacy_one_line_form(legacy: str, expected: str) -> None:
    assert normalize_dn(legacy) == normalize_dn(expected)


def test_legacy_value_keeps_inner_edge_spaces() -> None:
    name = parse_dn("/C=US/CN= padded /OU=x")
    assert [a.value for a in name.get_attributes_for_oid(NameOID.COMMON_NAME)] == [" padded "]


def test_legacy_form_of_real_certificates(pki: TestPKI) -> None:
    for cert in (pki.client.cert, kit(pki).tricky.cert, pki.self_signed.cert):
        printed = openssl_fields(cert, "compat")
        assert printed.subject.startswith("/")
        assert normalize_dn(printed.subject) == cert.subject.rfc4514_string()


@pytest.mark.parametrize(
    "text",
    [
        "CN",
        "=alice",
        "CN=alice,,O=x",
        "CN=alice,",
        "NOSUCHATTR=x",
        "CN=a+CN=a",
        "C=Germany",
        "/",
        "/=x",
        "/CN=\\xff",
        "CN=" + "a" * 9000,
    ],
)
def test_malformed_dns_raise_certificate_error(text: str) -> None:
    with pytest.raises(CertificateError) as info:
        parse_dn(text)
    assert info.value.reason == "malformed"


@pytest.mark.timeout(900)  # 10,000 examples with CI=true
@given(st.text(max_size=300))
def test_parse_dn_is_total(text: str) -> None:
    try:
        name = parse_dn(text)
    except CertificateError as exc:
        assert exc.reason == "malformed"  # noqa: PT017
    else:
        assert isinstance(name, x509.Name)
        # Whatever parsed renders to a string that parses back to the same name.
        assert parse_dn(name.rfc4514_string()) == name


_OIDS = [
    NameOID.COMMON_NAME,
    NameOID.ORGANIZATION_NAME,
    NameOID.ORGANIZATIONAL_UNIT_NAME,
    NameOID.LOCALITY_NAME,
    NameOID.USER_ID,
    NameOID.DOMAIN_COMPONENT,
    NameOID.EMAIL_ADDRESS,
]
#: Values as certificates carry them. Whitespace other than the space is left out: an HTTP
#: header loses it at the ends anyway, and parse_dn strips the text it is given.
_VALUES = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), whitelist_characters=" "),
    min_size=1,
    max_size=15,  # cryptography limits a CN to 64 UTF-8 bytes
).filter(lambda v: v.strip())


#: domainComponent and emailAddress are IA5String (RFC 4519, RFC 5280 appendix A): ASCII only.
#: cryptography refuses to encode anything else, so a certificate can never carry it.
_IA5_OIDS = frozenset({NameOID.DOMAIN_COMPONENT, NameOID.EMAIL_ADDRESS})
_IA5_VALUES = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=15
).filter(lambda v: v.strip())


@st.composite
def names(draw: st.DrawFn) -> x509.Name:
    rdns = []
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        oids = draw(st.lists(st.sampled_from(_OIDS), min_size=1, max_size=3, unique=True))
        rdns.append(
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(o, draw(_IA5_VALUES if o in _IA5_OIDS else _VALUES))
                    for o in oids
                ]
            )
        )
    return x509.Name(rdns)


def test_ia5_attributes_are_generated_as_ascii_only() -> None:
    """Regression: ``DC=¡`` was generated, which no certificate can carry (not an IA5String)."""
    with pytest.raises(ValueError, match="IA5String"):
        x509.Name(
            [x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "¡")])]
        ).public_bytes()

    @given(names())
    def encodable(name: x509.Name) -> None:
        name.public_bytes()  # raises for a value the standard does not allow

    encodable()


@pytest.mark.timeout(900)  # 10,000 examples with CI=true
@given(names())
def test_round_trip_of_any_name(name: x509.Name) -> None:
    """cryptography's own rendering of any name parses back to that name."""
    assert parse_dn(name.rfc4514_string()) == name
