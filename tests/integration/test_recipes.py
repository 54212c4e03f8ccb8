"""The docs/deploy recipes, run verbatim by real nginx, HAProxy, Caddy and Apache.

For each recipe: a real client (Python ssl + http.client) presents a valid certificate that
chains through an intermediate, an expired one, one from another CA, or none; the tests check
what the app behind the proxy really received, first as raw values, then through
``mtlsguard.certs.extract()`` with the source name the recipe's documentation gives. Then the
client forges every certificate header it can think of, and none of them may reach the app.
"""

from __future__ import annotations

import base64
import hashlib
import urllib.parse
from collections.abc import Mapping

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mtlsguard.certs import SOURCES, ClientCertificate
from mtlsguard.devserver.pki import IssuedCertificate, TestPKI
from tests.integration.conftest import Deployment
from tests.integration.harness import Refused, Response

pytestmark = pytest.mark.integration


# --------------------------------------------------------------------------------------------
# What each recipe forwards, decoded without mtlsguard: an oracle independent of the parsers.


def _pem_to_der(text: str) -> bytes:
    # mod_headers turns the PEM's line breaks into spaces; put them back before loading.
    body = text.replace("-----BEGIN CERTIFICATE-----", "").replace("-----END CERTIFICATE-----", "")
    pem = (
        "-----BEGIN CERTIFICATE-----\n" + "\n".join(body.split()) + "\n-----END CERTIFICATE-----\n"
    )
    return x509.load_pem_x509_certificate(pem.encode()).public_bytes(Encoding.DER)


def _lookup(received: Mapping[str, str], name: str) -> str | None:
    return next((v for k, v in received.items() if k.lower() == name.lower()), None)


def raw_leaf(deployment: Deployment, received: Mapping[str, str]) -> bytes | None:
    """The DER leaf the proxy forwarded, decoded the way its documentation describes."""
    if deployment.via == "environ":
        value = received.get("SSL_CLIENT_CERT") or None
        return None if value is None else _pem_to_der(value)
    value = _lookup(received, "X-SSL-Client-Cert")
    if value is None:
        return None
    if deployment.source == "nginx":
        return _pem_to_der(urllib.parse.unquote(value))
    if deployment.source == "apache":
        return _pem_to_der(value)
    return base64.b64decode(value, validate=True)  # haproxy, caddy: base64 DER


def raw_verify(deployment: Deployment, received: Mapping[str, str]) -> str | None:
    """The proxy's own verification verdict, as it forwarded it (None if it forwards none)."""
    if deployment.via == "environ":
        return received.get("SSL_CLIENT_VERIFY")
    return _lookup(received, "X-SSL-Client-Verify")


#: The proxy's verdict for a verified certificate / for no certificate, per source.
VERIFIED = {"nginx": "SUCCESS", "apache": "SUCCESS", "haproxy": "0", "caddy": None}
NO_CERT = {"nginx": "NONE", "apache": "NONE", "haproxy": "0", "caddy": None}


def assert_same_identity(cert: ClientCertificate | None, issued: IssuedCertificate) -> None:
    """``cert`` describes exactly the certificate the client presented."""
    assert cert is not None
    assert cert.der == issued.der
    assert cert.sha256 == hashlib.sha256(issued.der).hexdigest()
    assert cert.serial == issued.cert.serial_number
    assert cert.subject == issued.cert.subject.rfc4514_string()
    assert cert.issuer == issued.cert.issuer.rfc4514_string()
    assert cert.not_after == issued.cert.not_valid_after_utc


def _response(outcome: Response | Refused, deployment: Deployment) -> Response:
    assert isinstance(outcome, Response), (
        f"{deployment.name} refused the request: {outcome!r}\n{deployment.server.logs()}"
    )
    assert outcome.status == 200, outcome.body[:500]
    return outcome


# --------------------------------------------------------------------------------------------
# Certificates as presented by the client.


def test_valid_certificate_is_forwarded(deployment: Deployment, pki: TestPKI) -> None:
    response = _response(deployment.request("client"), deployment)
    received = deployment.received(response)

    assert raw_leaf(deployment, received) == pki.client.der
    assert raw_verify(deployment, received) == VERIFIED[deployment.source]
    if deployment.via == "environ":
        # mod_ssl exports the intermediate the client sent as SSL_CLIENT_CERT_CHAIN_0.
        assert _pem_to_der(
            received["SSL_CLIENT_CERT_CHAIN_0"]
        ) == pki.intermediate.cert.public_bytes(Encoding.DER)

    cert = deployment.extract(response)
    assert_same_identity(cert, pki.client)
    assert cert is not None
    # Caddy forwards no verdict ("the proxy said nothing"); its recipe only lets verified
    # certificates through.
    assert cert.proxy_verified is (None if VERIFIED[deployment.source] is None else True)
    assert cert.source == deployment.source


@pytest.mark.parametrize("bad", ["expired", "not_yet_valid", "self_signed", "wrong_eku"])
def test_invalid_certificate_never_passes_as_verified(
    deployment: Deployment, pki: TestPKI, bad: str
) -> None:
    issued: IssuedCertificate = getattr(pki, bad)
    before = len(deployment.backend.requests) if deployment.backend is not None else 0
    outcome = deployment.request(bad)

    if deployment.invalid == "tls-refused":
        assert isinstance(outcome, Refused), f"{deployment.name} accepted a bad certificate"
    elif deployment.invalid == "http-400":
        assert isinstance(outcome, Response)
        assert outcome.status == 400
        assert b"SSL certificate error" in outcome.body
    else:  # forwarded-unverified: the app sees the certificate and the proxy's failed verdict
        response = _response(outcome, deployment)
        received = deployment.received(response)
        assert raw_leaf(deployment, received) == issued.der
        verdict = raw_verify(deployment, received)
        assert verdict is not None
        assert verdict not in {VERIFIED[deployment.source], NO_CERT[deployment.source]}
        # The identity is what the client presented, flagged as refused by the proxy, so the
        # app (mtlsguard's middleware) answers with a clear 4xx.
        cert = deployment.extract(response)
        assert_same_identity(cert, issued)
        assert cert is not None
        assert cert.proxy_verified is False
        return
    if deployment.backend is not None:
        assert not deployment.reached_backend(before), "a refused request reached the backend"


def test_no_certificate(deployment: Deployment) -> None:
    before = len(deployment.backend.requests) if deployment.backend is not None else 0
    outcome = deployment.request(None)
    if deployment.requires_certificate:
        assert isinstance(outcome, Refused), f"{deployment.name} accepted no certificate"
        if deployment.backend is not None:
            assert not deployment.reached_backend(before)
        return
    response = _response(outcome, deployment)
    received = deployment.received(response)
    assert raw_leaf(deployment, received) is None
    assert raw_verify(deployment, received) == NO_CERT[deployment.source]
    assert deployment.extract(response) is None


# --------------------------------------------------------------------------------------------
# Forged headers: a client sends another identity's certificate in every known header.


def forged_headers(pki: TestPKI, source: str) -> list[tuple[str, str]]:
    """Every certificate header a client could forge, carrying ``pki.other_client`` (bob)."""
    other = pki.other_client
    pem = other.cert_pem.decode()
    one_line_pem = " ".join(pem.split("\n")).strip()
    b64 = base64.b64encode(other.der).decode()
    escaped = urllib.parse.quote(pem, safe="")
    sha = hashlib.sha256(other.der).hexdigest()
    subject = other.cert.subject.rfc4514_string()
    cert_value = {"nginx": escaped, "apache": one_line_pem}.get(source, b64)
    return [
        ("X-SSL-Client-Cert", cert_value),
        ("x-ssl-client-cert", cert_value),  # a second line, other case
        ("X-SSL-Client-Verify", "0" if source == "haproxy" else "SUCCESS"),
        ("X-SSL-Client-Used", "1"),
        ("X-SSL-Client-S-DN", subject),
        ("X-SSL-Client-Fingerprint", sha),
        (
            "X-Forwarded-Client-Cert",
            f'By=spiffe://example.com/proxy;Hash={sha};Cert="{escaped}";Subject="{subject}";'
            "URI=spiffe://example.com/ns/billing/sa/bob",
        ),
        ("X-Forwarded-Tls-Client-Cert", b64),
        ("X-Forwarded-Tls-Client-Cert-Info", f'Subject="{subject}"'),
        ("Client-Cert", f":{b64}:"),
        ("Client-Cert-Chain", f":{b64}:"),
        ("X-Amzn-Mtls-Clientcert", escaped),
        ("X-Amzn-Mtls-Clientcert-Subject", subject),
        ("SSL_CLIENT_CERT", one_line_pem),
        ("SSL_CLIENT_VERIFY", "SUCCESS"),
        ("SSL-Client-Cert", one_line_pem),
        ("SSL-Client-Verify", "SUCCESS"),
        ("X_SSL_CLIENT_CERT", cert_value),
        # Mixed "-"/"_" spellings and odd case: gunicorn <= 21 and wsgiref fold them into the
        # keys of the canonical names (issue 14).
        ("X-SSL-Client_Cert", cert_value),
        ("X-SSL_Client-Verify", "0" if source == "haproxy" else "SUCCESS"),
        ("x_Ssl-CLIENT_used", "1"),
        ("X-Forwarded_Client-Cert", f"Cert={escaped}"),
        ("Client_Cert", f":{b64}:"),
        ("SSL_CLIENT_CERT_CHAIN_0", one_line_pem),
        *((name, f"{subject};sha256={sha}") for name in _every_source_header(source)),
    ]


def _every_source_header(source: str) -> list[str]:
    """Every header name any mtlsguard source reads by default, in both spellings.

    A new source's header names are forged automatically, so a recipe that does not delete
    them fails here.
    """
    names: set[str] = {"X-Forwarded-Tls-Client-Cert", "X-Forwarded-Tls-Client-Cert-Info"}
    for src in SOURCES.values():
        if src.name == "asgi":  # its names are ASGI TLS-extension keys, never headers
            continue
        for name in src.default_names.values():
            if "." not in name and " " not in name:  # header or CGI-style key
                names.add(name.rstrip("_-") + ("_0" if name.endswith("_") else ""))
    spelled = {n for name in names for n in (name, name.replace("_", "-"))}
    return sorted(spelled)


def _normal(name: str) -> str:
    name = name.lower()
    name = name.removeprefix("http_")  # WSGI environ keys
    return name.replace("_", "-")


def _forged_view(
    deployment: Deployment, received: Mapping[str, str], forged: list[tuple[str, str]]
) -> dict[str, str]:
    """The received values whose names match a forged header (HTTP_* keys for the environ)."""
    names = {_normal(name) for name, _ in forged}
    if deployment.via == "environ":
        received = {k: v for k, v in received.items() if k.startswith("HTTP_")}
    return {_normal(k): v for k, v in received.items() if _normal(k) in names}


#: Forged headers go out in batches, so every request stays within the proxies' default header
#: limits (HAProxy: 16 KiB buffer) and is really proxied rather than refused as too large.
BATCH = 12


#: Text that only the other identity (pki.other_client, "bob") carries.
OTHER_IDENTITY_MARKERS = (
    "bob@example.com",
    "spiffe://example.com/ns/billing/sa/bob",
    "cn=bob,",
    "/cn=bob",
)


@pytest.mark.parametrize("presented", ["client", None])
def test_forged_headers_do_not_reach_the_app(
    deployment: Deployment, pki: TestPKI, presented: str | None
) -> None:
    forged = forged_headers(pki, deployment.source)
    baseline = deployment.request(presented)
    if presented is None and deployment.requires_certificate:
        assert isinstance(baseline, Refused)
        outcome = deployment.request(presented, headers=forged[:BATCH])
        assert isinstance(outcome, Refused), "forged headers opened a certificate-only door"
        return
    clean = deployment.received(_response(baseline, deployment))

    for start in range(0, len(forged), BATCH):
        batch = forged[start : start + BATCH]
        before = len(deployment.backend.requests) if deployment.backend is not None else 0
        outcome = deployment.request(presented, headers=batch)
        if isinstance(outcome, Response) and outcome.status == 403:
            # Apache cannot delete header names by pattern: the ones its list does not name are
            # refused, before the app. The rest of the batch must then be deleted as usual.
            assert deployment.refuses_underscores, outcome
            assert any("_" in name for name, _ in batch)
            if deployment.backend is not None:
                assert not deployment.reached_backend(before)
            batch = [(name, value) for name, value in batch if "_" not in name]
            outcome = deployment.request(presented, headers=batch)
        response = _response(outcome, deployment)
        received = deployment.received(response)

        # Whatever the app sees under a forgeable name is what the proxy itself set, exactly
        # as without the forged headers: never the client's value, never an extra header.
        assert _forged_view(deployment, received, batch) == _forged_view(deployment, clean, batch)
        # And no trace of the other identity anywhere in what the app received. The markers
        # hold characters outside the base64 alphabet ('@', ':', '.'), so a legitimate
        # base64/PEM value cannot contain them by chance (plain "bob" could).
        for key, value in received.items():
            text = urllib.parse.unquote(value).lower()
            for marker in OTHER_IDENTITY_MARKERS:
                assert marker not in text, (
                    f"forged identity reached the app in {key}: {value[:120]}"
                )
            for name, forged_value in batch:
                if len(forged_value) > 40:
                    assert forged_value not in value, f"forged {name} reached the app in {key}"

        cert = deployment.extract(response)
        if presented is None:
            assert cert is None
        else:
            assert_same_identity(cert, pki.client)


#: A client naming the verdict and certificate headers as hop-by-hop in ``Connection``.
HOP_BY_HOP = ("Connection", "X-SSL-Client-Verify, X-SSL-Client-Used, X-SSL-Client-Cert, close")


@pytest.mark.parametrize("presented", ["client", None])
def test_connection_header_cannot_delete_what_the_proxy_sets(
    deployment: Deployment, pki: TestPKI, presented: str | None
) -> None:
    # mod_proxy deletes every header named in Connection after RequestHeader set has run:
    # without the recipe's defence the verdict would vanish and a forged certificate header
    # would arrive without it (issue 14). The app must receive exactly what it receives
    # without the trick.
    baseline = deployment.request(presented)
    if isinstance(baseline, Refused):
        assert deployment.requires_certificate
        assert presented is None
        return
    clean = deployment.received(_response(baseline, deployment))
    received = deployment.received(
        _response(deployment.request(presented, headers=[HOP_BY_HOP]), deployment)
    )
    for name in ("X-SSL-Client-Verify", "X-SSL-Client-Used", "X-SSL-Client-Cert"):
        assert _lookup(received, name) == _lookup(clean, name), name
    if deployment.via == "headers":
        cert = deployment.extract(
            _response(deployment.request(presented, headers=[HOP_BY_HOP]), deployment)
        )
        if presented is None:
            assert cert is None
        else:
            assert_same_identity(cert, pki.client)
