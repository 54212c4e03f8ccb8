"""CertificateReader, the framework-free request reader: collect, believe, extract, verify."""

from __future__ import annotations

import asyncio
import logging
import re
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar
from wsgiref.util import setup_testing_defaults

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from mtlsguard.certs import (
    CertificateError,
    CertificateReader,
    CertificateVerifier,
    ClientCertificate,
    TrustedProxies,
    VerificationPolicy,
)
from mtlsguard.certs.request import NOTHING_PRESENTED, CertificateOutcome, check_raw_headers
from mtlsguard.certs.sources import CertificateSource
from mtlsguard.devserver.pki import IssuedCertificate, TestPKI

PROXY = "10.0.0.5"
STRANGER = "203.0.113.7"


@pytest.fixture(scope="module")
def policy(pki: TestPKI) -> VerificationPolicy:
    return VerificationPolicy(trust_anchors=(pki.root.cert,), crls=(pki.crl(),))


@pytest.fixture(scope="module")
def reader(policy: VerificationPolicy) -> CertificateReader:
    return CertificateReader("nginx", policy, trusted_proxies=TrustedProxies(["10.0.0.0/8"]))


def forwarded(issued: IssuedCertificate, verify: str = "SUCCESS") -> dict[str, str]:
    """What the nginx recipe forwards."""
    return {
        "X-SSL-Client-Cert": urllib.parse.quote(issued.chain_pem.decode("ascii"), safe=""),
        "X-SSL-Client-Verify": verify,
    }


def wsgi_environ(peer: str, headers: Mapping[str, str]) -> dict[str, Any]:
    environ: dict[str, Any] = {"REMOTE_ADDR": peer}
    setup_testing_defaults(environ)
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def asgi_scope(peer: str | None, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": headers,
        "client": None if peer is None else [peer, 50000],
    }


def raw(headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


def test_a_verified_certificate_through_the_trusted_proxy(
    reader: CertificateReader, pki: TestPKI
) -> None:
    for outcome in (
        reader.read_wsgi(wsgi_environ(PROXY, forwarded(pki.client))),
        reader.read_asgi(asgi_scope(PROXY, raw(forwarded(pki.client)))),
        reader.read(peer=PROXY, headers=forwarded(pki.client)),
    ):
        assert outcome.error is None
        assert outcome.verified is not None
        assert outcome.verified.certificate.common_name == "alice"
        assert outcome.fingerprint == outcome.presented.sha256  # type: ignore[union-attr]
        assert not outcome.untrusted


def test_nothing_presented(reader: CertificateReader) -> None:
    assert reader.read_wsgi(wsgi_environ(PROXY, {})) is NOTHING_PRESENTED
    assert reader.read_wsgi(wsgi_environ(STRANGER, {})) is NOTHING_PRESENTED
    assert reader.read_asgi(asgi_scope(None, [])) is NOTHING_PRESENTED
    assert CertificateOutcome(None, None, None) == NOTHING_PRESENTED


@pytest.mark.parametrize("peer", [STRANGER, "", None, "10.0.0.5:443", "garbage"])
def test_headers_from_anyone_but_a_trusted_proxy_make_the_request_untrusted(
    reader: CertificateReader, pki: TestPKI, peer: str | None
) -> None:
    outcome = reader.read(peer=peer, headers=forwarded(pki.client))
    assert outcome.presented is None
    assert outcome.verified is None
    assert outcome.error is not None
    assert outcome.error.reason == "untrusted_proxy"
    assert outcome.untrusted
    # even a verdict alone counts as forwarded headers
    assert reader.read(peer=peer, headers={"X-SSL-Client-Verify": "NONE"}).untrusted


def test_nobody_is_trusted_by_default(policy: VerificationPolicy, pki: TestPKI) -> None:
    outcome = CertificateReader("nginx", policy).read(peer=PROXY, headers=forwarded(pki.client))
    assert outcome.untrusted


@pytest.mark.parametrize(
    ("variant", "reason"),
    [("expired", "expired"), ("self_signed", "untrusted_issuer"), ("revoked", "revoked")],
)
def test_a_refused_certificate_keeps_what_was_presented(
    reader: CertificateReader, pki: TestPKI, variant: str, reason: str
) -> None:
    outcome = reader.read_wsgi(wsgi_environ(PROXY, forwarded(getattr(pki, variant))))
    assert outcome.verified is None
    assert outcome.error is not None
    assert outcome.error.reason == reason
    assert outcome.presented is not None
    assert outcome.fingerprint == outcome.presented.sha256


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (
            {"X-SSL-Client-Cert": "%%%not a certificate", "X-SSL-Client-Verify": "SUCCESS"},
            "malformed",
        ),
        ({"X-SSL-Client-Verify": "FAILED:unable to get issuer"}, "proxy_verification_failed"),
    ],
)
def test_bad_input_is_an_outcome_not_an_exception(
    reader: CertificateReader, headers: dict[str, str], reason: str
) -> None:
    outcome = reader.read(peer=PROXY, headers=headers)
    assert outcome.error is not None
    assert outcome.error.reason == reason
    assert outcome.presented is None


def test_asgi_refuses_repeated_and_underscore_spelled_certificate_headers(
    reader: CertificateReader, pki: TestPKI
) -> None:
    good = raw(forwarded(pki.client))
    repeated = [*good, (b"x-ssl-client-cert", good[0][1])]
    underscored = [*good, (b"x_ssl_client_cert", good[0][1])]
    for headers in (repeated, underscored):
        outcome = reader.read_asgi(asgi_scope(PROXY, headers))
        assert outcome.error is not None
        assert outcome.error.reason == "ambiguous"
    # an unrelated header may repeat
    assert reader.read_asgi(asgi_scope(PROXY, [*good, (b"accept", b"a"), (b"accept", b"b")]))


def test_check_raw_headers_ignores_entries_it_cannot_read() -> None:
    check_raw_headers([(None, b"x"), (), (b"x-other", b"y")], {"cert": "X-SSL-Client-Cert"})
    with pytest.raises(CertificateError):
        check_raw_headers(
            [(b"X-SSL-Client-Cert", b"a"), (b"x-ssl-client-cert", b"b")],
            {"cert": "x-ssl-client-cert"},
        )


def test_the_asgi_source_reads_the_tls_extension(policy: VerificationPolicy, pki: TestPKI) -> None:
    reader = CertificateReader("asgi", policy)
    scope = asgi_scope(STRANGER, [])
    pems = [
        pki.client.cert_pem.decode("ascii"),
        pki.intermediate.cert.public_bytes(Encoding.PEM).decode("ascii"),
    ]
    scope["extensions"] = {"tls": {"client_cert_chain": pems, "client_cert_error": None}}
    outcome = reader.read_asgi(scope)
    assert outcome.verified is not None  # direct TLS: no proxy to trust


def test_header_names_can_be_overridden(policy: VerificationPolicy, pki: TestPKI) -> None:
    reader = CertificateReader(
        "nginx",
        policy,
        trusted_proxies=TrustedProxies(["10.0.0.0/8"]),
        names={"cert": "X-Client-Cert"},
    )
    headers = forwarded(pki.client)
    headers["X-Client-Cert"] = headers.pop("X-SSL-Client-Cert")
    assert reader.read(peer=PROXY, headers=headers).verified is not None
    assert reader.names["cert"] == "X-Client-Cert"
    with pytest.raises(ValueError, match="no role"):
        CertificateReader("nginx", policy, names={"nope": "X-Nope"})
    with pytest.raises(CertificateError) as unknown:
        CertificateReader("no-such-proxy", policy)
    assert unknown.value.reason == "unknown_source"


class _BrokenSource(CertificateSource):
    """A custom source whose parser has a bug: it raises something else than CertificateError."""

    name = "broken"
    default_names: ClassVar[Mapping[str, str]] = {"cert": "X-Broken-Cert"}

    def parse(self, values: Mapping[str, str | None], *, hops: int = 1) -> ClientCertificate | None:
        if values.get("cert") is None:
            return None
        raise ZeroDivisionError("a parser bug")


def test_a_parser_bug_fails_closed_as_malformed_and_is_logged(
    policy: VerificationPolicy, caplog: pytest.LogCaptureFixture
) -> None:
    reader = CertificateReader(
        _BrokenSource(), policy, trusted_proxies=TrustedProxies(["10.0.0.0/8"])
    )
    with caplog.at_level(logging.ERROR, logger="mtlsguard.certs"):
        outcome = reader.read(peer=PROXY, headers={"X-Broken-Cert": "boom"})
    assert outcome.error is not None
    assert outcome.error.reason == "malformed"
    assert "failed unexpectedly" in caplog.text
    assert "ZeroDivisionError" in caplog.text


def test_a_verifier_may_be_given_instead_of_a_policy(
    policy: VerificationPolicy, pki: TestPKI
) -> None:
    verifier = CertificateVerifier(policy)
    reader = CertificateReader("nginx", verifier, trusted_proxies=TrustedProxies(["10.0.0.5"]))
    assert reader.read(peer=PROXY, headers=forwarded(pki.client)).verified is not None
    assert len(verifier.results) == 1


DOC = Path(__file__).resolve().parents[2] / "docs" / "certs.md"


def _doc_example(defines: str, reader: CertificateReader) -> Any:
    """The function ``defines`` from the code block of docs/certs.md that defines it."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    code = next(b for b in blocks if f"def {defines}(" in b)
    namespace: dict[str, Any] = {"reader": reader}
    exec(compile(code, str(DOC), "exec"), namespace)
    return namespace[defines]


def test_the_documented_wsgi_middleware(reader: CertificateReader, pki: TestPKI) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [environ["mtlsguard.certificate"].certificate.common_name.encode()]

    guarded = _doc_example("require_certificate", reader)(app)

    def call(peer: str, headers: Mapping[str, str]) -> tuple[str, bytes]:
        status: list[str] = []
        body = guarded(wsgi_environ(peer, headers), lambda s, h: status.append(s))
        return status[0], b"".join(body)

    assert call(PROXY, forwarded(pki.client)) == ("200 OK", b"alice")
    assert call(PROXY, {}) == ("401 Unauthorized", b"no_certificate")
    assert call(PROXY, forwarded(pki.revoked)) == ("403 Forbidden", b"revoked")
    assert call(STRANGER, forwarded(pki.client)) == ("403 Forbidden", b"untrusted_proxy")


def test_the_documented_asgi_middleware(reader: CertificateReader, pki: TestPKI) -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        name = scope["mtlsguard.certificate"].certificate.common_name
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": name.encode()})

    guarded = _doc_example("require_certificate_asgi", reader)(app)

    def call(peer: str, headers: Mapping[str, str]) -> tuple[int, bytes]:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        asyncio.run(guarded(asgi_scope(peer, raw(headers)), receive, send))
        return sent[0]["status"], sent[1]["body"]

    assert call(PROXY, forwarded(pki.client)) == (200, b"alice")
    assert call(PROXY, {}) == (401, b"no_certificate")
    assert call(STRANGER, forwarded(pki.client)) == (403, b"untrusted_proxy")
