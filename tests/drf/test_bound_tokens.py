"""CertificateBoundTokenAuthentication: RFC 8705 §3 acceptance, refusals, throttling."""

from __future__ import annotations

import base64
import hashlib
import logging
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from mtlsguard.devserver.pki import IssuedCertificate, TestPKI
from mtlsguard.drf.authentication import CertificateBoundTokenAuthentication
from mtlsguard.drf.confirmation import (
    BoundToken,
    TokenError,
    TokenSettings,
    confirmation_of,
    x5t_s256,
)
from tests.budget import secondary
from tests.django.conftest import PROXY, audit_events, nginx_headers
from tests.drf.conftest import bearer

BEARER = 'Bearer realm="api"'


def call(
    client: Client,
    token: str | None,
    issued: IssuedCertificate | None,
    path: str = "/drf/token-whoami",
) -> Any:
    headers = nginx_headers(issued)
    if token is not None:
        headers.update(bearer(token))
    return client.get(path, headers=headers)


@pytest.mark.django_db
def test_rfc8705_bound_to_a_accepted_with_a_refused_with_b_and_with_none(
    drf_settings: Any,
    users: dict[str, Any],
    pki: TestPKI,
    client: Client,
    make_token: Callable[..., str],
) -> None:
    token = make_token("alice", bound_to=pki.client)
    accepted = call(client, token, pki.client)
    assert accepted.status_code == 200
    body = accepted.json()
    assert body["user"] == "alice"
    assert body["auth"] == "bound-token"
    assert body["token_subject"] == "alice"
    assert "CN=alice" in body["certificate_subject"]
    assert body["session_key"] is None

    with_b = call(client, token, pki.other_client)
    assert with_b.status_code == 401
    assert with_b["WWW-Authenticate"] == BEARER
    assert "another certificate" in with_b.json()["detail"]

    with_none = call(client, token, None)
    assert with_none.status_code == 401
    assert "needs its client certificate" in with_none.json()["detail"]


@pytest.mark.django_db
def test_refusals(
    drf_settings: Any,
    users: dict[str, Any],
    pki: TestPKI,
    client: Client,
    make_token: Callable[..., str],
) -> None:
    other_issuer = ec.generate_private_key(ec.SECP256R1())
    public_pem = drf_settings.MTLSGUARD_TOKENS["KEY"]
    cases = {
        "unbound": make_token("alice"),
        "expired": make_token("alice", pki.client, exp=1),
        "other issuer key": make_token("alice", pki.client, key=other_issuer),
        "wrong iss": make_token("alice", pki.client, iss="https://evil.test"),
        "wrong aud": make_token("alice", pki.client, aud="another-api"),
        "unknown user": make_token("mallory", pki.client),
        "thumbprint with padding": make_token(
            "alice", None, cnf={"x5t#S256": x5t_s256(pki.client.der) + "="}
        ),
        "hex thumbprint": make_token(
            "alice", None, cnf={"x5t#S256": hashlib.sha256(pki.client.der).hexdigest()}
        ),
        "alg none": make_token("alice", pki.client, key="", algorithm="none"),
        # algorithm confusion: the public key used as an HMAC secret
        "HS256 with public key": _hs256(public_pem, pki.client),
        "not a jwt": "opaque-token-value",
        "garbage jwt": "a.b.c",
    }
    for name, token in cases.items():
        response = call(client, token, pki.client)
        assert response.status_code == 401, name
        assert response["WWW-Authenticate"] == BEARER, name
    assert client.get("/drf/token-whoami", headers={"Authorization": "Bearer"}).status_code == 401
    assert (
        client.get("/drf/token-whoami", headers={"Authorization": "Bearer a b"}).status_code == 401
    )
    users["alice"].is_active = False
    users["alice"].save()
    assert call(client, make_token("alice", pki.client), pki.client).status_code == 401


def _hs256(secret: str, issued: IssuedCertificate) -> str:
    # PyJWT refuses to sign HS256 with a PEM key, so build the token by hand like an attacker.
    import hmac
    import json
    import time

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(
        json.dumps(
            {
                "iss": "https://issuer.test",
                "aud": "billing-api",
                "sub": "alice",
                "exp": int(time.time()) + 300,
                "cnf": {"x5t#S256": x5t_s256(issued.der)},
            }
        ).encode()
    )
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), "sha256").digest()
    return f"{header}.{payload}.{b64(signature)}"


@pytest.mark.django_db
def test_other_schemes_are_not_ours(
    drf_settings: Any, users: dict[str, Any], pki: TestPKI, client: Client
) -> None:
    response = client.get(
        "/drf/token-whoami", headers={**nginx_headers(pki.client), "Authorization": "Token abc"}
    )
    assert response.status_code == 401  # returned None: IsAuthenticated refuses, with a challenge
    assert response["WWW-Authenticate"] == BEARER
    assert "not provided" in response.json()["detail"]


@pytest.mark.django_db
def test_failed_tokens_are_throttled_per_certificate_behind_the_proxy(
    drf_settings: Any,
    users: dict[str, Any],
    pki: TestPKI,
    client: Client,
    make_token: Callable[..., str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    drf_settings.MTLSGUARD = {
        **drf_settings.MTLSGUARD,
        "THROTTLE": {"ENABLED": True, "FAILURES": 3, "WINDOW": 60},
    }
    stolen = make_token("alice", pki.client)
    with caplog.at_level(logging.INFO, logger="mtlsguard.audit"):
        statuses = [call(client, stolen, pki.other_client).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    throttled = call(client, stolen, pki.other_client)
    assert throttled.status_code == 429
    assert 1 <= int(throttled["Retry-After"]) <= 60
    # even a correct token is throttled for the certificate that kept failing...
    assert call(client, make_token("bob", pki.other_client), pki.other_client).status_code == 429
    # ...but other clients behind the same proxy are not locked out
    assert call(client, make_token("alice", pki.client), pki.client).status_code == 200
    denials = [e for e in audit_events(caplog) if e["decision"] == "deny"]
    reasons = [d["reason"] for d in denials]
    assert reasons[:3] == ["binding_mismatch"] * 3
    assert set(reasons[3:]) == {"throttled"}  # the 429s are audited too
    assert stolen not in caplog.text  # tokens are never logged


@pytest.mark.django_db
def test_direct_clients_are_throttled_per_address(
    drf_settings: Any, users: dict[str, Any], make_token: Callable[..., str]
) -> None:
    drf_settings.MTLSGUARD = {
        **drf_settings.MTLSGUARD,
        "THROTTLE": {"ENABLED": True, "FAILURES": 2, "WINDOW": 60},
    }
    headers = bearer(make_token("alice"))  # no proxy in front: no certificate headers at all
    direct = Client(REMOTE_ADDR="198.51.100.9")
    statuses = [direct.get("/drf/token-whoami", headers=headers).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    other = Client(REMOTE_ADDR="198.51.100.10")
    assert other.get("/drf/token-whoami", headers=headers).status_code == 401


@pytest.mark.django_db
def test_direct_clients_with_a_verified_certificate_are_throttled_per_certificate(
    drf_settings: Any, users: dict[str, Any], pki: TestPKI, make_token: Callable[..., str]
) -> None:
    # Two mTLS clients behind one NAT address, TLS terminated by the app's own server
    # (the dev server's environ): one keeps failing, the other must not be locked out.
    drf_settings.MTLSGUARD = {
        **drf_settings.MTLSGUARD,
        "SOURCE": "wsgi-ssl",
        "THROTTLE": {"ENABLED": True, "FAILURES": 2, "WINDOW": 60},
    }
    nat = "198.51.100.20"

    def direct(issued: IssuedCertificate, token: str) -> int:
        environ = {"SSL_CLIENT_VERIFY": "SUCCESS", "SSL_CLIENT_CERT": issued.cert_pem.decode()}
        for n, intermediate in enumerate(issued.chain):
            environ[f"SSL_CLIENT_CERT_CHAIN_{n}"] = intermediate.public_bytes(Encoding.PEM).decode()
        client = Client(REMOTE_ADDR=nat, **environ)
        return int(client.get("/drf/token-whoami", headers=bearer(token)).status_code)

    stolen = make_token("alice", pki.client)
    assert [direct(pki.other_client, stolen) for _ in range(3)] == [401, 401, 429]
    # the same address, another certificate: alice's own token still works
    assert direct(pki.client, stolen) == 200
    # and a client without a certificate from that address is counted per address
    no_cert = Client(REMOTE_ADDR=nat)
    statuses = [
        no_cert.get("/drf/token-whoami", headers=bearer(stolen)).status_code for _ in range(3)
    ]
    assert statuses == [401, 401, 429]
    assert direct(pki.client, stolen) == 200


class DatabaseTokenAuthentication(CertificateBoundTokenAuthentication):
    """Opaque tokens resolved from a table, the way an introspection hook would."""

    issued: dict[str, tuple[str, str]] = {}  # noqa: RUF012

    def resolve_opaque_token(self, token: str) -> BoundToken:
        try:
            subject, thumbprint = self.issued[token]
        except KeyError:
            raise TokenError("invalid_token", "unknown token") from None
        return BoundToken(subject, confirmation_of({"cnf": {"x5t#S256": thumbprint}}))


@pytest.mark.django_db
def test_opaque_tokens_through_the_hook(
    drf_settings: Any, users: dict[str, Any], pki: TestPKI
) -> None:
    from rest_framework.exceptions import AuthenticationFailed
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    DatabaseTokenAuthentication.issued = {"tok-a": ("alice", x5t_s256(pki.client.der))}
    auth = DatabaseTokenAuthentication()

    def request(token: str, issued: IssuedCertificate) -> Request:
        raw = APIRequestFactory().get(
            "/drf/x", headers={**nginx_headers(issued), **bearer(token)}, REMOTE_ADDR=PROXY
        )
        return Request(raw)

    result = auth.authenticate(request("tok-a", pki.client))
    assert result is not None
    assert result[0] == users["alice"]
    for token, issued in (("tok-a", pki.other_client), ("tok-b", pki.client)):
        with pytest.raises(AuthenticationFailed):
            auth.authenticate(request(token, issued))


def test_x5t_s256_matches_openssl(pki_files: dict[str, Path], pki: TestPKI) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl CLI not installed")
    der = subprocess.run(
        [openssl, "x509", "-in", str(pki_files["client"]), "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    digest = subprocess.run(
        [openssl, "dgst", "-sha256", "-binary"], input=der, check=True, capture_output=True
    ).stdout
    expected = base64.b64encode(digest).decode().replace("+", "-").replace("/", "_").rstrip("=")
    assert x5t_s256(pki.client.der) == expected
    assert len(expected) == 43


@secondary()
@given(st.one_of(st.none(), st.integers(), st.text(), st.dictionaries(st.text(), st.text())))
def test_confirmation_claim_fuzz(value: Any) -> None:
    try:
        result = confirmation_of({"cnf": value} if value is not None else {})
    except TokenError as exc:
        reason = exc.reason
        assert reason == "not_bound"
    else:
        assert len(result) == 43
        assert len(base64.urlsafe_b64decode(result + "=")) == 32


FUZZ_OPTIONS = TokenSettings(
    ("ES256",),
    ec.generate_private_key(ec.SECP256R1())
    .public_key()
    .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    .decode(),
)


@secondary()
@given(st.text(max_size=300))
def test_decode_jwt_fuzz_only_token_errors(token: str) -> None:
    from mtlsguard.drf.confirmation import decode_jwt

    with pytest.raises(TokenError):
        decode_jwt(token, FUZZ_OPTIONS)


@pytest.mark.parametrize(
    "options",
    [
        {"ALGORITHMS": ["none"], "KEY": "x" * 40},
        {"ALGORITHMS": ["ES256", "none"], "KEY": "k"},
        {"ALGORITHMS": ["HS256", "ES256"], "KEY": "x" * 40},
        {"ALGORITHMS": "ES256", "KEY": "k"},
        {"ALGORITHMS": [], "KEY": "k"},
        {"ALGORITHMS": ["HS256"], "KEY": "short"},
        {"ALGORITHMS": ["ES256"]},
        {"ALGORITHMS": ["ES256"], "KEY": "k", "LEEWAY": -1},
        {"ALGORITHMS": ["ES256"], "KEY": "k", "ALGORITHM": "typo"},
    ],
)
def test_token_settings_refuse_unsafe_configurations(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="MTLSGUARD_TOKENS"):
        TokenSettings.from_mapping(options)


@pytest.mark.django_db
def test_missing_token_settings_fail_loudly(
    drf_settings: Any, users: dict[str, Any], pki: TestPKI, make_token: Callable[..., str]
) -> None:
    from mtlsguard.drf.authentication import token_settings

    del drf_settings.MTLSGUARD_TOKENS
    with pytest.raises(ImproperlyConfigured, match="MTLSGUARD_TOKENS"):
        token_settings()


LATIN1 = st.characters(min_codepoint=0, max_codepoint=255, exclude_characters="\r\n")


@secondary(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    header=st.one_of(
        st.text(LATIN1, max_size=200),
        st.text(LATIN1, max_size=200).map(lambda t: "Bearer " + t),
        st.lists(st.text(LATIN1, max_size=40), min_size=3, max_size=3).map(
            lambda parts: "Bearer " + ".".join(parts)
        ),
    ),
    present=st.booleans(),
)
@pytest.mark.django_db
def test_authorization_header_fuzz_never_errors(
    drf_settings: Any, pki: TestPKI, header: str, present: bool
) -> None:
    """Whatever the Authorization header holds: None or AuthenticationFailed, never a crash."""
    from rest_framework.exceptions import AuthenticationFailed
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    raw = APIRequestFactory().get(
        "/drf/x",
        headers=nginx_headers(pki.client if present else None),
        HTTP_AUTHORIZATION=header,
        REMOTE_ADDR=PROXY,
    )
    try:
        result = CertificateBoundTokenAuthentication().authenticate(Request(raw))
    except AuthenticationFailed as exc:
        status = exc.status_code
        assert status == 401
    else:
        assert result is None
        assert not header.split() or header.split()[0].lower() != "bearer"


@pytest.mark.django_db
def test_tokens_without_certificate_behind_the_proxy_lock_nobody_out(
    drf_settings: Any,
    users: dict[str, Any],
    pki: TestPKI,
    client: Client,
    make_token: Callable[..., str],
) -> None:
    drf_settings.MTLSGUARD = {
        **drf_settings.MTLSGUARD,
        "THROTTLE": {"ENABLED": True, "FAILURES": 2, "WINDOW": 60},
    }
    token = make_token("alice", pki.client)
    # someone without a certificate keeps failing through the shared proxy address...
    assert {call(client, token, None).status_code for _ in range(5)} == {401}
    # ...and the proxy's other clients still get in
    assert call(client, token, pki.client).status_code == 200


def test_confirmation_must_be_canonical_base64url(pki: TestPKI) -> None:
    digest = hashlib.sha256(pki.client.der).digest()
    canonical = x5t_s256(pki.client.der)
    assert confirmation_of({"cnf": {"x5t#S256": canonical}}) == canonical
    standard = base64.b64encode(digest).decode().rstrip("=")
    padded = base64.urlsafe_b64encode(digest).decode()
    for bad in {standard, padded, canonical[:-1], canonical + "A"} - {canonical}:
        with pytest.raises(TokenError) as refused:
            confirmation_of({"cnf": {"x5t#S256": bad}})
        assert refused.value.reason == "not_bound"
