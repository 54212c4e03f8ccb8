"""Hypothesis fuzzing of the nginx/ingress-nginx/HAProxy/Apache/Caddy/Traefik/WSGI/ASGI parsers.

Whatever arrives (random text, valid values with bytes inserted, deleted or replaced, roles
mixed up), every parser returns a ClientCertificate or None, or raises CertificateError with
a stable reason: nothing else. The profile from tests/conftest.py sets the example count
(10,000 per test with CI=true).
"""

from __future__ import annotations

import base64
import functools
import urllib.parse
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.certs import REASONS, CertificateError, ClientCertificate, extract
from mtlsguard.certs.sources import get_source
from mtlsguard.devserver.pki import TestPKI
from tests.certs.sources.proxykit import der, kit, openssl_fields, pem

# With CI=true each test runs 10,000 examples; on a shared 2-core machine that can take longer
# than the suite-wide 300 s timeout.
pytestmark = pytest.mark.timeout(900)

SOURCES_A = ("nginx", "ingress-nginx", "haproxy", "apache", "caddy", "traefik", "wsgi-ssl")


@functools.cache
def samples() -> dict[str, list[str]]:
    """Valid values of every kind these sources read, from a real PKI (built once)."""
    pki = TestPKI.create()
    tricky = kit(pki).tricky
    certs = [tricky.cert, pki.client.cert, *pki.client.chain]
    printed = openssl_fields(tricky.cert)
    legacy = openssl_fields(pki.client.cert, "compat")
    values = {
        "pem": [pem(c) for c in certs] + [pem(tricky.cert).replace("\n", " ")],
        "escaped": [urllib.parse.quote(pem(c), safe="") for c in certs],
        "b64": [base64.b64encode(der(c)).decode() for c in certs],
        "chain": [",".join(base64.b64encode(der(c)).decode() for c in certs)],
        "verify": ["SUCCESS", "NONE", "FAILED:certificate has expired", "GENEROUS", "0", "10", "1"],
        "dn": [printed.subject, printed.issuer, legacy.subject, "CN=a+UID=b,O=x\\, y"],
        "serial": [printed.serial, "00", "DEADBEEF"],
        "info": [
            urllib.parse.quote_plus('Subject="C=DE,O=x, y,CN=z";NA="1700000000";SAN="a.b,c@d"'),
            'Subject="CN=a";Issuer="CN=b";SerialNumber="12"',
        ],
    }
    values["all"] = [v for vs in values.values() for v in vs]
    return values


def _mutate(value: str, position: int, op: str, junk: str) -> str:
    at = position % (len(value) + 1)
    if op == "insert":
        return value[:at] + junk + value[at:]
    if op == "delete":
        return value[:at] + value[at + len(junk) + 1 :]
    if op == "replace":
        return value[:at] + junk + value[at + len(junk) :]
    return value[:at]  # truncate


@st.composite
def raw_values(draw: st.DrawFn) -> str | None:
    """None, random text, or a valid value (of any kind) possibly mutated."""
    kind = draw(st.sampled_from(["none", "text", "valid", "mutated"]))
    if kind == "none":
        return None
    if kind == "text":
        return draw(st.text(max_size=200))
    value = draw(st.sampled_from(samples()["all"]))
    if kind == "valid":
        return value
    return _mutate(
        value,
        draw(st.integers(min_value=0, max_value=4000)),
        draw(st.sampled_from(["insert", "delete", "replace", "truncate"])),
        draw(st.text(max_size=8)),
    )


def _assert_total(call: Any) -> None:
    error: CertificateError | None = None
    try:
        result = call()
    except CertificateError as exc:
        error, result = exc, None
    if error is not None:
        assert error.reason in REASONS
        assert str(error)
    assert result is None or isinstance(result, ClientCertificate)


@given(source=st.sampled_from(SOURCES_A), data=st.data())
def test_parse_is_total(source: str, data: st.DataObject) -> None:
    """Every role of the source gets an arbitrary value; parse() stays total."""
    parser = get_source(source)
    roles = [*parser.default_names, "chain_0", "chain_1"]
    values = {role: data.draw(raw_values(), label=role) for role in roles}
    _assert_total(lambda: parser.parse(values))


@given(
    source=st.sampled_from(SOURCES_A),
    headers=st.dictionaries(
        st.sampled_from(
            [
                "X-SSL-Client-Cert",
                "x-ssl-client-cert",
                "X-SSL-Client-Verify",
                "X-SSL-Client-Used",
                "X-SSL-Client-S-DN",
                "X-SSL-Client-Serial",
                "X-SSL-Client-Fingerprint",
                "ssl-client-cert",
                "ssl-client-subject-dn",
                "X-Forwarded-Tls-Client-Cert",
                "X-Forwarded-Tls-Client-Cert-Info",
            ]
        ),
        raw_values().map(lambda v: v or ""),
        max_size=6,
    ),
    environ=st.dictionaries(
        st.sampled_from(
            [
                "SSL_CLIENT_CERT",
                "SSL_CLIENT_VERIFY",
                "SSL_CLIENT_S_DN",
                "SSL_CLIENT_I_DN",
                "SSL_CLIENT_M_SERIAL",
                "SSL_CLIENT_CERT_CHAIN_0",
                "SSL_CLIENT_CERT_CHAIN_1",
                "HTTP_X_SSL_CLIENT_CERT",
            ]
        ),
        st.one_of(raw_values(), st.integers(), st.binary(max_size=10)),
        max_size=6,
    ),
    use_headers=st.booleans(),
)
def test_extract_is_total(
    source: str, headers: dict[str, str], environ: dict[str, Any], use_headers: bool
) -> None:
    """Through extract(): header case collisions, environ lookups, non-string environ values."""
    _assert_total(lambda: extract(source, headers if use_headers else None, environ))


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.binary(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@given(
    chain=st.one_of(
        st.lists(raw_values().map(lambda v: v or ""), max_size=3),
        _JSONISH,
    ),
    name=st.one_of(raw_values(), _JSONISH),
    error=st.one_of(raw_values(), _JSONISH),
    shape=st.sampled_from(["tls", "no-tls", "bad-extensions", "bad-tls"]),
)
def test_asgi_is_total(chain: Any, name: Any, error: Any, shape: str) -> None:
    """Arbitrary scope structures for the ASGI TLS extension."""
    tls = {"client_cert_chain": chain, "client_cert_name": name, "client_cert_error": error}
    scope: dict[str, Any] = {"type": "http"}
    if shape == "tls":
        scope["extensions"] = {"tls": tls}
    elif shape == "bad-extensions":
        scope["extensions"] = chain
    elif shape == "bad-tls":
        scope["extensions"] = {"tls": name}
    _assert_total(lambda: extract("asgi", environ=scope))
