"""Traefik source: ``passTLSClientCert`` (``pem`` and ``info``) as its Go code builds them."""

from __future__ import annotations

import base64
import urllib.parse

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from mtlsguard.certs import CertificateError, extract
from mtlsguard.certs.sources.traefik import parse_info
from mtlsguard.devserver.pki import IssuedCertificate, TestPKI
from tests.certs.sources.proxykit import (
    SERIAL_20_BYTES,
    assert_identity,
    assert_tricky_details,
    der,
    environ_from_headers,
    kit,
)

#: A subject Traefik can describe: only the attributes it forwards, one per RDN, in its order.
TRAEFIK_SUBJECT = x509.Name(
    [
        x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "example"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Bayern"),
        x509.NameAttribute(NameOID.LOCALITY_NAME, "München"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Müller, Söhne & Co; Ltd."),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "R+D = Ops"),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, "4711"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Jürgen, #1"),
    ]
)


def pem_header(certs: list[x509.Certificate], *, escape: bool) -> str:
    """``pem: true``: PEM without armour and line breaks, comma-joined (v2 also QueryEscape'd)."""
    value = ",".join(base64.b64encode(der(c)).decode("ascii") for c in certs)
    return urllib.parse.quote_plus(value, safe="") if escape else value


def _go_dn(name: x509.Name, *, with_ou: bool) -> str:
    # getSubjectDNInfo / getIssuerDNInfo with every option enabled.
    def values(oid: x509.ObjectIdentifier) -> list[str]:
        return [str(a.value) for a in name.get_attributes_for_oid(oid)]

    parts = [f"DC={v}" for v in values(NameOID.DOMAIN_COMPONENT)]
    keys = [("C", NameOID.COUNTRY_NAME), ("ST", NameOID.STATE_OR_PROVINCE_NAME)]
    keys += [("L", NameOID.LOCALITY_NAME), ("O", NameOID.ORGANIZATION_NAME)]
    if with_ou:
        keys.append(("OU", NameOID.ORGANIZATIONAL_UNIT_NAME))
    for key, oid in keys:
        parts += [f"{key}={v}" for v in values(oid)]
    for key, oid in (("SN", NameOID.SERIAL_NUMBER), ("CN", NameOID.COMMON_NAME)):
        if values(oid):
            parts.append(f"{key}={values(oid)[-1]}")
    return ",".join(parts)


def info_element(cert: x509.Certificate) -> str:
    """One certificate's part of getCertInfo with every info option enabled."""
    fields = [
        f'Subject="{_go_dn(cert.subject, with_ou=True)}"',
        f'Issuer="{_go_dn(cert.issuer, with_ou=False)}"',
        f'SerialNumber="{cert.serial_number}"',
        f'NB="{int(cert.not_valid_before_utc.timestamp())}"',
        f'NA="{int(cert.not_valid_after_utc.timestamp())}"',
    ]
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        pass
    else:
        sans = san.get_values_for_type(x509.DNSName) + san.get_values_for_type(x509.RFC822Name)
        sans += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
        sans += san.get_values_for_type(x509.UniformResourceIdentifier)
        if sans:
            fields.append(f'SAN="{",".join(sans)}"')
    return ";".join(fields)


def info_header(certs: list[x509.Certificate]) -> str:
    """``X-Forwarded-Tls-Client-Cert-Info``: url.QueryEscape of the joined elements."""
    return urllib.parse.quote_plus(",".join(info_element(c) for c in certs), safe="")


@pytest.fixture(scope="module")
def traefik_client(pki: TestPKI) -> IssuedCertificate:
    return pki.intermediate.issue(
        TRAEFIK_SUBJECT,
        serial=SERIAL_20_BYTES,
        emails=["jm@example.com"],
        dns_names=["jm.example.com"],
        uris=["spiffe://example.com/ns/a/sa/jm"],
        ips=["10.1.2.3"],
    )


@pytest.mark.parametrize("escape", [False, True], ids=["v3", "v2-escaped"])
def test_chain_leaf_first(pki: TestPKI, escape: bool) -> None:
    issued = kit(pki).tricky
    headers = {
        "X-Forwarded-Tls-Client-Cert": pem_header([issued.cert, *issued.chain], escape=escape)
    }
    identity = extract("traefik", headers)
    assert_identity(
        identity, issued.cert, chain=issued.chain, proxy_verified=None, source="traefik"
    )
    assert_tricky_details(identity)


def test_certificate_and_matching_info(pki: TestPKI, traefik_client: IssuedCertificate) -> None:
    certs = [traefik_client.cert, *traefik_client.chain]
    headers = {
        "X-Forwarded-Tls-Client-Cert": pem_header(certs, escape=False),
        "X-Forwarded-Tls-Client-Cert-Info": info_header(certs),
    }
    identity = extract("traefik", headers)
    assert_identity(
        identity,
        traefik_client.cert,
        chain=traefik_client.chain,
        proxy_verified=None,
        source="traefik",
    )


def test_info_only_gives_field_identity(traefik_client: IssuedCertificate) -> None:
    cert = traefik_client.cert
    headers = {"X-Forwarded-Tls-Client-Cert-Info": info_header([cert, *traefik_client.chain])}
    identity = extract("traefik", headers)
    assert identity is not None
    assert identity.fields_only
    assert identity.subject == cert.subject.rfc4514_string()
    assert identity.issuer == cert.issuer.rfc4514_string()
    assert identity.serial == cert.serial_number == SERIAL_20_BYTES
    assert identity.not_before == cert.not_valid_before_utc
    assert identity.not_after == cert.not_valid_after_utc
    assert identity.common_name == "Jürgen, #1"
    assert identity.emails == ("jm@example.com",)
    assert identity.dns_names == ("jm.example.com",)
    assert identity.spiffe_id == "spiffe://example.com/ns/a/sa/jm"
    assert identity.proxy_verified is None


def test_info_of_another_certificate_is_ambiguous(
    pki: TestPKI, traefik_client: IssuedCertificate
) -> None:
    headers = {
        "X-Forwarded-Tls-Client-Cert": pem_header([kit(pki).client.cert], escape=False),
        "X-Forwarded-Tls-Client-Cert-Info": info_header([traefik_client.cert]),
    }
    with pytest.raises(CertificateError) as info:
        extract("traefik", headers)
    assert info.value.reason == "ambiguous"


def test_no_certificate() -> None:
    assert extract("traefik", {}) is None
    assert extract("traefik", {"X-Forwarded-Tls-Client-Cert": ""}) is None
    assert extract("traefik", {"X-Forwarded-Tls-Client-Cert-Info": ""}) is None


def test_parse_info_grammar() -> None:
    assert parse_info('Subject="CN=a";NA="1",Subject="CN=b"') == [
        {"Subject": "CN=a", "NA": "1"},
        {"Subject": "CN=b"},
    ]
    assert parse_info('Subject="O=x%2C+y"') == [{"Subject": "O=x, y"}]
    assert parse_info(',Subject="CN=b"') == [{}, {"Subject": "CN=b"}]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"X-Forwarded-Tls-Client-Cert": "!!!"}, "malformed"),
        ({"X-Forwarded-Tls-Client-Cert": "QUJD"}, "malformed"),
        ({"X-Forwarded-Tls-Client-Cert": "%FF"}, "malformed"),
        ({"X-Forwarded-Tls-Client-Cert-Info": "Subject=CN=a"}, "malformed"),
        ({"X-Forwarded-Tls-Client-Cert-Info": 'Subject="CN=a";'}, "malformed"),
        ({"X-Forwarded-Tls-Client-Cert-Info": 'Subject="CN=a";Subject="CN=b"'}, "ambiguous"),
        ({"X-Forwarded-Tls-Client-Cert-Info": 'Subject="XX=a"'}, "malformed"),
        ({"X-Forwarded-Tls-Client-Cert-Info": 'Subject="C=Germany"'}, "malformed"),
        ({"X-Forwarded-Tls-Client-Cert-Info": 'NA="soon"'}, "malformed"),
        ({"X-Forwarded-Tls-Client-Cert-Info": 'NA="99999999999999"'}, "malformed"),
        ({"X-Forwarded-Tls-Client-Cert-Info": 'SerialNumber="0x1"'}, "malformed"),
        ({"X-Forwarded-Tls-Client-Cert-Info": ",,"}, "malformed"),
    ],
)
def test_bad_input_is_a_typed_error(headers: dict[str, str], reason: str) -> None:
    with pytest.raises(CertificateError) as info:
        extract("traefik", headers)
    assert info.value.reason == reason


def test_header_case_and_environ_lookup(pki: TestPKI) -> None:
    issued = kit(pki).client
    value = pem_header([issued.cert, *issued.chain], escape=True)
    for headers in ({"x-forwarded-tls-client-cert": value}, {"X-FORWARDED-TLS-CLIENT-CERT": value}):
        identity = extract("traefik", headers)
        assert_identity(
            identity, issued.cert, chain=issued.chain, proxy_verified=None, source="traefik"
        )
    environ = environ_from_headers({"X-Forwarded-Tls-Client-Cert": value})
    assert "HTTP_X_FORWARDED_TLS_CLIENT_CERT" in environ
    identity = extract("traefik", environ=environ)
    assert_identity(
        identity, issued.cert, chain=issued.chain, proxy_verified=None, source="traefik"
    )
