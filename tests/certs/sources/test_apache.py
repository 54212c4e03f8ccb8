"""Apache source: mod_ssl's environ under mod_wsgi, and the mod_headers forwarded variant."""

from __future__ import annotations

import pytest

from mtlsguard.certs import CertificateError, extract
from mtlsguard.certs.sources import RequestView, get_source, resolve_names
from mtlsguard.devserver.pki import TestPKI
from tests.certs.sources.proxykit import (
    assert_identity,
    assert_tricky_details,
    environ_from_headers,
    kit,
    openssl_fields,
    pem,
)


def mod_ssl_environ(issued, verify: str = "SUCCESS", *, nameopt: str = "RFC2253") -> dict[str, str]:
    """What mod_ssl exports with ``SSLOptions +StdEnvVars +ExportCertData``."""
    printed = openssl_fields(issued.cert, nameopt)
    environ = {
        "wsgi.url_scheme": "https",
        "HTTPS": "on",
        "SSL_CLIENT_VERIFY": verify,
        "SSL_CLIENT_CERT": pem(issued.cert),
        "SSL_CLIENT_S_DN": printed.subject,
        "SSL_CLIENT_I_DN": printed.issuer,
        "SSL_CLIENT_M_SERIAL": printed.serial,
    }
    for index, cert in enumerate(issued.chain):
        environ[f"SSL_CLIENT_CERT_CHAIN_{index}"] = pem(cert)
    return environ


def mod_headers(cert_pem: str | None, verify: str) -> dict[str, str]:
    """``RequestHeader set X "%{SSL_CLIENT_CERT}s"``: newlines become spaces, empty is (null)."""
    value = "(null)" if not cert_pem else cert_pem.replace("\r", " ").replace("\n", " ")
    return {"X-SSL-Client-Cert": value, "X-SSL-Client-Verify": verify}


def test_environ_tricky_certificate_with_chain(pki: TestPKI) -> None:
    issued = kit(pki).tricky
    identity = extract("apache", environ=mod_ssl_environ(issued))
    assert_identity(identity, issued.cert, chain=issued.chain, proxy_verified=True, source="apache")
    assert_tricky_details(identity)


def test_environ_legacy_dn_format(pki: TestPKI) -> None:
    issued = kit(pki).client
    environ = mod_ssl_environ(issued, nameopt="compat")  # SSLOptions +LegacyDNStringFormat
    identity = extract("apache", environ=environ)
    assert_identity(identity, issued.cert, chain=issued.chain, proxy_verified=True, source="apache")


def test_environ_chain_repeating_the_leaf_is_deduplicated(pki: TestPKI) -> None:
    issued = kit(pki).client
    environ = mod_ssl_environ(issued)
    environ["SSL_CLIENT_CERT_CHAIN_0"] = pem(issued.cert)
    environ["SSL_CLIENT_CERT_CHAIN_1"] = pem(issued.chain[0])
    identity = extract("apache", environ=environ)
    assert_identity(identity, issued.cert, chain=issued.chain, proxy_verified=True, source="apache")


def test_environ_no_certificate() -> None:
    assert extract("apache", environ={"HTTPS": "on", "SSL_CLIENT_VERIFY": "NONE"}) is None


def test_environ_failed_and_generous(pki: TestPKI) -> None:
    issued = kit(pki).expired
    for verify in ("FAILED:certificate has expired", "GENEROUS"):
        identity = extract("apache", environ=mod_ssl_environ(issued, verify))
        assert_identity(
            identity, issued.cert, chain=issued.chain, proxy_verified=False, source="apache"
        )


def test_environ_failure_without_certificate() -> None:
    with pytest.raises(CertificateError) as info:
        extract("apache", environ={"SSL_CLIENT_VERIFY": "FAILED:self-signed certificate"})
    assert info.value.reason == "proxy_verification_failed"


def test_environ_fields_only_without_export_cert_data(pki: TestPKI) -> None:
    issued = kit(pki).tricky
    environ = mod_ssl_environ(issued)
    del environ["SSL_CLIENT_CERT"]
    identity = extract("apache", environ=environ)
    assert identity is not None
    assert identity.fields_only
    assert identity.subject == issued.cert.subject.rfc4514_string()
    assert identity.issuer == issued.cert.issuer.rfc4514_string()
    assert identity.serial == issued.cert.serial_number
    assert identity.proxy_verified is True


def test_environ_fields_disagreeing_with_certificate(pki: TestPKI) -> None:
    environ = mod_ssl_environ(kit(pki).client)
    environ["SSL_CLIENT_S_DN"] = openssl_fields(kit(pki).other.cert).subject
    with pytest.raises(CertificateError) as info:
        extract("apache", environ=environ)
    assert info.value.reason == "ambiguous"


def test_environ_beats_forged_headers(pki: TestPKI) -> None:
    """Under mod_wsgi a client's X-SSL-Client-* headers are never read."""
    issued = kit(pki).client
    environ = mod_ssl_environ(issued)
    environ |= environ_from_headers(mod_headers(pem(kit(pki).other.cert), "SUCCESS"))
    view = RequestView(None, environ)
    assert get_source("apache").is_forwarded(view) is False
    identity = extract("apache", environ=environ)
    assert_identity(identity, issued.cert, chain=issued.chain, proxy_verified=True, source="apache")
    # No certificate through mod_ssl, forged headers present: still no certificate.
    forged = {"SSL_CLIENT_VERIFY": "NONE"} | environ_from_headers(
        mod_headers(pem(kit(pki).other.cert), "SUCCESS")
    )
    assert extract("apache", environ=forged) is None


def test_trust_decision_and_values_read_use_the_same_names(pki: TestPKI) -> None:
    """With overridden environ names, is_forwarded() and collect() must agree.

    Regression: is_forwarded() looked at the default SSL_CLIENT_* keys (present: mod_ssl set
    them) and said "direct", while collect() looked at the overridden keys (absent) and read
    the client's forged X-SSL-Client-* headers, which the caller then believed unchecked.
    """
    source = get_source("apache")
    environ = mod_ssl_environ(kit(pki).client)
    environ |= environ_from_headers(mod_headers(pem(kit(pki).other.cert), "SUCCESS"))
    names = resolve_names(source, {"cert": "SSL_CLIENT_CERT_X", "verify": "SSL_CLIENT_VERIFY_X"})
    view = RequestView(None, environ)
    values = dict(source.collect(view, names))
    from_headers = values.get("cert") == environ["HTTP_X_SSL_CLIENT_CERT"]
    assert from_headers
    assert source.is_forwarded(view, names) is True  # so the caller applies TrustedProxies
    # With the default names the environ is direct and the forged headers are not read.
    default_values = dict(source.collect(view, source.default_names))
    assert source.is_forwarded(view, source.default_names) is False
    assert default_values.get("cert") == environ["SSL_CLIENT_CERT"]


def test_environ_non_string_value_is_malformed() -> None:
    with pytest.raises(CertificateError) as info:
        extract("apache", environ={"SSL_CLIENT_VERIFY": "SUCCESS", "SSL_CLIENT_CERT": b"x"})
    assert info.value.reason == "malformed"


def test_forwarded_headers_with_spaces_for_newlines(pki: TestPKI) -> None:
    cert = kit(pki).tricky.cert
    headers = mod_headers(pem(cert), "SUCCESS")
    assert "\n" not in headers["X-SSL-Client-Cert"]
    assert get_source("apache").is_forwarded(RequestView(headers, {})) is True
    identity = extract("apache", headers)
    assert_identity(identity, cert, proxy_verified=True, source="apache")
    assert_tricky_details(identity)


def test_forwarded_headers_no_certificate_is_null() -> None:
    assert extract("apache", mod_headers(None, "NONE")) is None
    assert extract("apache", environ=environ_from_headers(mod_headers(None, "NONE"))) is None


def test_forwarded_headers_failed(pki: TestPKI) -> None:
    cert = kit(pki).expired.cert
    headers = mod_headers(pem(cert), "FAILED:certificate has expired")
    assert_identity(extract("apache", headers), cert, proxy_verified=False, source="apache")
    with pytest.raises(CertificateError) as info:
        extract("apache", mod_headers(None, "FAILED:certificate has expired"))
    assert info.value.reason == "proxy_verification_failed"


def test_forwarded_headers_case_and_environ(pki: TestPKI) -> None:
    cert = kit(pki).client.cert
    headers = mod_headers(pem(cert), "SUCCESS")
    lowered = {k.lower(): v for k, v in headers.items()}
    assert_identity(extract("apache", lowered), cert, proxy_verified=True, source="apache")
    environ = environ_from_headers(headers)
    assert get_source("apache").is_forwarded(RequestView(None, environ)) is True
    assert_identity(extract("apache", environ=environ), cert, proxy_verified=True, source="apache")


def test_forwarded_two_certificates_are_ambiguous(pki: TestPKI) -> None:
    one = mod_headers(pem(kit(pki).client.cert), "SUCCESS")["X-SSL-Client-Cert"]
    two = mod_headers(pem(kit(pki).other.cert), "SUCCESS")["X-SSL-Client-Cert"]
    with pytest.raises(CertificateError) as info:
        extract("apache", {"X-SSL-Client-Cert": f"{one}, {two}"})
    assert info.value.reason == "ambiguous"


@pytest.mark.parametrize(
    ("environ", "reason"),
    [
        ({"SSL_CLIENT_VERIFY": "SUCCESS", "SSL_CLIENT_CERT": "garbage"}, "malformed"),
        ({"SSL_CLIENT_VERIFY": "PERHAPS"}, "malformed"),
        ({"SSL_CLIENT_VERIFY": "NONE", "SSL_CLIENT_S_DN": "CN=x"}, "ambiguous"),
        ({"SSL_CLIENT_VERIFY": "SUCCESS", "SSL_CLIENT_M_SERIAL": "zz"}, "malformed"),
    ],
)
def test_bad_environ_is_a_typed_error(environ: dict[str, str], reason: str) -> None:
    with pytest.raises(CertificateError) as info:
        extract("apache", environ=environ)
    assert info.value.reason == reason
