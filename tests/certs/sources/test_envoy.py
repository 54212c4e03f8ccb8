"""Envoy XFCC: headers built the way Envoy's conn_manager_utility builds them."""

from __future__ import annotations

import hashlib
import urllib.parse

import pytest
from cryptography import x509

from mtlsguard.certs import CertificateError, extract
from mtlsguard.certs.sources.envoy import parse_xfcc, tokenize_xfcc
from mtlsguard.devserver.pki import IssuedCertificate, TestPKI
from tests.certs.sources.proxykit import (
    SPIFFE_ID,
    assert_identity,
    assert_tricky_details,
    environ_from_headers,
    kit,
    openssl_fields,
    pem,
    san_values,
)

XFCC = "X-Forwarded-Client-Cert"


def envoy_url_encode(text: str) -> str:
    """``urlEncodedPemEncodedPeerCertificate``: Envoy's own StrReplaceAll escaping."""
    for raw, escaped in (("\n", "%0A"), (" ", "%20"), ("+", "%2B"), ("/", "%2F"), ("=", "%3D")):
        text = text.replace(raw, escaped)
    return text


def element(
    issued: IssuedCertificate,
    *,
    by: str = "spiffe://cluster.local/ns/edge/sa/envoy",
    cert: bool = True,
    chain: bool = False,
    subject: bool = True,
    uri: bool = True,
    dns: bool = True,
    encode=envoy_url_encode,
) -> str:
    """One element, keys in Envoy's order: By, Hash, Cert, Chain, Subject, URI..., DNS...."""
    parts = [f"By={by}", f"Hash={hashlib.sha256(issued.der).hexdigest()}"]
    if cert:
        parts.append(f'Cert="{encode(pem(issued.cert))}"')
    if chain:
        bundle = pem(issued.cert) + "".join(pem(c) for c in issued.chain)
        parts.append(f'Chain="{encode(bundle)}"')
    if subject:
        # Envoy: StrCat("Subject=\"", X509_NAME_print_ex(XN_FLAG_RFC2253), "\""), no escaping.
        parts.append(f'Subject="{openssl_fields(issued.cert).subject}"')
    if uri:
        parts.extend(
            f"URI={u}" for u in san_values(issued.cert, x509.UniformResourceIdentifier) or [""]
        )
    if dns:
        parts.extend(f"DNS={d}" for d in san_values(issued.cert, x509.DNSName))
    return ";".join(parts)


def test_tricky_certificate_full_element(pki: TestPKI) -> None:
    issued = kit(pki).tricky
    identity = extract("envoy", {XFCC: element(issued, chain=True)})
    assert_identity(identity, issued.cert, chain=issued.chain, proxy_verified=None, source="envoy")
    assert_tricky_details(identity)


def test_chain_only_gives_leaf_and_intermediates(pki: TestPKI) -> None:
    issued = kit(pki).tricky
    identity = extract("envoy", {XFCC: element(issued, cert=False, chain=True)})
    assert_identity(identity, issued.cert, chain=issued.chain, proxy_verified=None, source="envoy")


@pytest.mark.parametrize(
    "encode", [envoy_url_encode, lambda t: urllib.parse.quote(t, safe="")], ids=["old", "rfc3986"]
)
def test_both_envoy_url_encodings(pki: TestPKI, encode) -> None:
    issued = kit(pki).client
    identity = extract("envoy", {XFCC: element(issued, encode=encode)})
    assert_identity(identity, issued.cert, proxy_verified=None, source="envoy")


def test_field_only_element(pki: TestPKI) -> None:
    issued = kit(pki).tricky
    identity = extract("envoy", {XFCC: element(issued, cert=False)})
    assert identity is not None
    assert identity.fields_only
    assert identity.der is None
    assert identity.pem is None
    assert identity.sha256 == hashlib.sha256(issued.der).hexdigest()
    assert identity.subject == issued.cert.subject.rfc4514_string()
    assert identity.uris == (SPIFFE_ID, "https://example.com/users/jm")
    assert identity.spiffe_id == SPIFFE_ID
    assert identity.dns_names == ("jm.clients.example.com",)
    assert identity.common_name == "Jürgen #1 "
    assert identity.proxy_verified is None


def test_hash_only_element_from_minimal_envoy_config(pki: TestPKI) -> None:
    issued = kit(pki).client
    header = element(issued, cert=False, subject=False, uri=False, dns=False)
    identity = extract("envoy", {XFCC: header})
    assert identity is not None
    assert identity.sha256 == hashlib.sha256(issued.der).hexdigest()
    assert identity.subject == ""


@pytest.mark.parametrize("hops", [1, 2, 3])
def test_multi_hop_picks_the_element_of_the_first_trusted_hop(pki: TestPKI, hops: int) -> None:
    client, mesh = kit(pki).tricky, kit(pki).other
    # The client's element, then one element per further hop describing the previous proxy.
    elements = [element(client, by="spiffe://edge")]
    elements += [element(mesh, by=f"spiffe://hop{i}") for i in range(hops - 1)]
    forged = element(kit(pki).client, by="spiffe://forged")
    header = ",".join([forged, *elements])
    identity = extract("envoy", {XFCC: header}, hops=hops)
    assert_identity(identity, client.cert, proxy_verified=None, source="envoy")


def test_forged_element_prepended_by_the_client_is_ignored(pki: TestPKI) -> None:
    real, forged = kit(pki).client, kit(pki).other
    header = element(forged, by="spiffe://attacker") + "," + element(real)
    identity = extract("envoy", {XFCC: header})
    assert identity is not None
    assert identity.sha256 == hashlib.sha256(real.der).hexdigest()


def test_fewer_elements_than_hops_is_malformed(pki: TestPKI) -> None:
    with pytest.raises(CertificateError) as err:
        extract("envoy", {XFCC: element(kit(pki).client)}, hops=2)
    assert err.value.reason == "malformed"


def test_header_case_and_environ_lookup(pki: TestPKI) -> None:
    issued = kit(pki).client
    headers = {"x-FORWARDED-client-CERT": element(issued)}
    assert_identity(extract("envoy", headers), issued.cert, proxy_verified=None, source="envoy")
    environ = environ_from_headers({XFCC: element(issued)})
    assert_identity(
        extract("envoy", environ=environ), issued.cert, proxy_verified=None, source="envoy"
    )


def test_keys_in_any_case(pki: TestPKI) -> None:
    issued = kit(pki).client
    header = element(issued).replace("By=", "bY=").replace("Hash=", "HASH=")
    header = header.replace("Cert=", "cErT=").replace("Subject=", "subject=")
    assert_identity(
        extract("envoy", {XFCC: header}), issued.cert, proxy_verified=None, source="envoy"
    )


def test_no_header_and_empty_header_mean_no_certificate() -> None:
    assert extract("envoy", {}) is None
    assert extract("envoy", {XFCC: "  "}) is None


def test_hash_disagreeing_with_cert_is_ambiguous(pki: TestPKI) -> None:
    real, other = kit(pki).client, kit(pki).other
    header = element(real).replace(
        hashlib.sha256(real.der).hexdigest(), hashlib.sha256(other.der).hexdigest()
    )
    with pytest.raises(CertificateError) as err:
        extract("envoy", {XFCC: header})
    assert err.value.reason == "ambiguous"


def test_subject_or_uri_disagreeing_with_cert_is_ambiguous(pki: TestPKI) -> None:
    real = kit(pki).client
    for header in (
        element(real).replace("CN=alice", "CN=mallory"),
        element(real) + ";URI=spiffe://example.com/ns/admin/sa/root",
    ):
        with pytest.raises(CertificateError) as err:
            extract("envoy", {XFCC: header})
        assert err.value.reason == "ambiguous"


def test_chain_not_starting_with_cert_is_ambiguous(pki: TestPKI) -> None:
    real, other = kit(pki).client, kit(pki).other
    chain = envoy_url_encode(pem(other.cert) + pem(other.chain[0]))
    header = element(real) + f';Chain="{chain}"'
    with pytest.raises(CertificateError) as err:
        extract("envoy", {XFCC: header})
    assert err.value.reason == "ambiguous"


def test_repeated_single_key_is_ambiguous(pki: TestPKI) -> None:
    real, other = kit(pki).client, kit(pki).other
    header = element(real) + f";Hash={hashlib.sha256(other.der).hexdigest()}"
    with pytest.raises(CertificateError) as err:
        extract("envoy", {XFCC: header})
    assert err.value.reason == "ambiguous"


@pytest.mark.parametrize(
    "header",
    [
        'Cert="%ZZ"',  # bad percent-encoding
        'Cert="not a pem"',
        "Hash=abc",  # not a SHA-256
        "By=spiffe://only-the-proxy",  # no client information at all
        'Subject="not a dn"',
    ],
)
def test_undecodable_values_are_malformed(header: str) -> None:
    with pytest.raises(CertificateError) as err:
        extract("envoy", {XFCC: header})
    assert err.value.reason == "malformed"


# --- the tokenizer itself -------------------------------------------------------------------


def test_tokenizer_quotes_escapes_and_separators() -> None:
    header = 'By=a;Subject="CN=x\\"y\\"\\, z;q=1,O=o";URI=u1, By=b;DNS=d1;DNS=d2;'
    assert tokenize_xfcc(header) == [
        (("by", "a"), ("subject", 'CN=x"y"\\, z;q=1,O=o'), ("uri", "u1")),
        (("by", "b"), ("dns", "d1"), ("dns", "d2")),
    ]


def test_tokenizer_keeps_equals_in_unquoted_uri_and_empty_values() -> None:
    assert tokenize_xfcc('URI=https://x/?a=b;URI=;Subject=""') == [
        (("uri", "https://x/?a=b"), ("uri", ""), ("subject", ""))
    ]


def test_repeated_uri_and_dns_are_collected_in_order() -> None:
    parsed = parse_xfcc("Hash=00;URI=a;DNS=x;URI=b;DNS=y", hops=1)
    assert parsed.uris == ("a", "b")
    assert parsed.dns == ("x", "y")


def test_subject_with_quotes_roundtrips_through_xfcc(pki: TestPKI) -> None:
    issued = kit(pki).tricky  # O=Müller, "Quoted" & Söhne; Ltd.
    identity = extract("envoy", {XFCC: element(issued, cert=False)})
    assert identity is not None
    assert identity.subject == issued.cert.subject.rfc4514_string()


@pytest.mark.parametrize(
    "header",
    [
        "",
        ",",
        "Hash=1,",
        ",Hash=1",
        "Hash=1,,By=2",
        "=1",
        "Hash",
        'Subject="unterminated',
        'Subject="x"y',
        'Subject=x"y"',
        "Hash=1;;By=2",
        "Ha sh=1",
        "Hash=1\r\nX-Injected: 1",
        'Subject="trailing backslash\\',
    ],
)
def test_tokenizer_rejects_malformed_headers(header: str) -> None:
    with pytest.raises(CertificateError) as err:
        tokenize_xfcc(header)
    assert err.value.reason == "malformed"
