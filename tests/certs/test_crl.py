from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.certs import CertificateError, ClientCertificate, VerificationPolicy, verify
from mtlsguard.certs.crl import (
    CrlRecord,
    RevocationStatus,
    distribution_point_urls,
    parse_crl,
    revocation_status,
)
from mtlsguard.certs.verifier import verifier_for
from mtlsguard.devserver.pki import CertificateAuthority, IssuedCertificate, TestPKI
from tests.certs.test_verify import Clock, hand_built_leaf, reason_of
from tests.factories import client_of


def policy_for(pki: TestPKI, **options: object) -> VerificationPolicy:
    return VerificationPolicy(trust_anchors=(pki.root.cert,), **options)  # type: ignore[arg-type]


# --- local CRL files -----------------------------------------------------------------------


def test_revoked_through_a_real_crl(pki: TestPKI) -> None:
    policy = policy_for(pki, crls=(pki.crl(),))
    with pytest.raises(CertificateError) as info:
        verify(client_of(pki.revoked), policy)
    assert info.value.reason == "revoked"
    assert f"{pki.revoked.cert.serial_number:#x}" in str(info.value)


def test_good_certificate_cached_until_crl_next_update(pki: TestPKI) -> None:
    crl = pki.intermediate.crl(next_update=dt.datetime.now(dt.UTC) + dt.timedelta(hours=2))
    clock = Clock()
    policy = policy_for(pki, crls=(crl,), clock=clock)
    result = verify(client_of(pki.client), policy)
    assert result.revocation_checked
    assert result.expires_at == crl.next_update_utc  # earlier than the certificate's expiry
    clock.now = crl.next_update_utc + dt.timedelta(seconds=1)
    # the cached success does not outlive the CRL; re-verification finds it stale
    assert reason_of(client_of(pki.client), policy) == "revocation_unknown"


def test_revocation_off_ignores_crls(pki: TestPKI) -> None:
    policy = policy_for(pki, crls=(pki.crl(),), revocation="off")
    assert verify(client_of(pki.revoked), policy).revocation_checked is False


def test_no_crl_for_the_issuer(pki: TestPKI) -> None:
    root_only = pki.root.crl()  # a CRL, but from the root, not the client's issuer
    strict = policy_for(pki, crls=(root_only,))
    assert reason_of(client_of(pki.client), strict) == "revocation_unknown"
    soft = policy_for(pki, crls=(root_only,), revocation="soft")
    assert verify(client_of(pki.client), soft).revocation_checked is False


def test_stale_crl(pki: TestPKI) -> None:
    now = dt.datetime.now(dt.UTC)
    stale = pki.intermediate.crl(
        last_update=now - dt.timedelta(days=8), next_update=now - dt.timedelta(days=1)
    )
    strict = policy_for(pki, crls=(stale,))
    assert reason_of(client_of(pki.client), strict) == "revocation_unknown"
    # a stale CRL that lists the serial is still proof of revocation
    assert reason_of(client_of(pki.revoked), strict) == "revoked"
    soft = policy_for(pki, crls=(stale,), revocation="soft")
    result = verify(client_of(pki.client), soft)
    assert result.revocation_checked is False
    assert reason_of(client_of(pki.revoked), soft) == "revoked"


def test_crl_signed_by_the_wrong_key_is_ignored(pki: TestPKI) -> None:
    impostor = CertificateAuthority(
        cert=pki.intermediate.cert, key=ec.generate_private_key(ec.SECP256R1())
    )
    impostor.revoke(pki.client.cert)  # a forged CRL "revoking" alice
    forged = impostor.crl()
    assert forged.issuer == pki.intermediate.cert.subject
    assert not forged.is_signature_valid(pki.intermediate.cert.public_key())  # type: ignore[arg-type]

    strict = policy_for(pki, crls=(forged,))
    with pytest.raises(CertificateError) as info:
        verify(client_of(pki.client), strict)
    assert info.value.reason == "revocation_unknown"  # not "revoked": the CRL is not believed
    assert "another signature" in str(info.value)
    # next to the genuine CRL, the forgery changes nothing
    both = policy_for(pki, crls=(forged, pki.crl()))
    assert verify(client_of(pki.client), both).revocation_checked
    assert reason_of(client_of(pki.revoked), both) == "revoked"


def test_chain_depth_checks_the_intermediate_too(pki: TestPKI) -> None:
    leaf_only = policy_for(pki, crls=(pki.crl(),))
    assert verify(client_of(pki.client), leaf_only).revocation_checked
    chain = leaf_only.replace(revocation_depth="chain")
    assert reason_of(client_of(pki.client), chain) == "revocation_unknown"  # no root CRL
    with_root = chain.replace(crls=(pki.crl(), pki.root.crl()))
    assert verify(client_of(pki.client), with_root).revocation_checked


def test_revoked_intermediate() -> None:
    pki = TestPKI.create()
    pki.root.revoke(pki.intermediate.cert)
    policy = VerificationPolicy(
        trust_anchors=(pki.root.cert,),
        crls=(pki.crl(), pki.root.crl()),
        revocation_depth="chain",
    )
    with pytest.raises(CertificateError) as info:
        verify(client_of(pki.client), policy)
    assert info.value.reason == "revoked"
    assert "Intermediate" in str(info.value)


def test_fields_only_revocation_uses_crls_signed_by_an_anchor(pki: TestPKI) -> None:
    # the intermediate is in the bundle, so its CRL can be authenticated without a chain
    policy = VerificationPolicy(
        trust_anchors=(pki.root.cert, pki.intermediate.cert),
        crls=(pki.crl(),),
        allow_fields_only=True,
    )
    issuer = pki.intermediate.cert.subject.rfc4514_string()
    revoked = ClientCertificate.from_fields(
        subject="CN=revoked-client", issuer=issuer, serial=pki.revoked.cert.serial_number
    )
    assert reason_of(revoked, policy) == "revoked"
    good = ClientCertificate.from_fields(
        subject="CN=alice", issuer=issuer, serial=pki.client.cert.serial_number
    )
    assert verify(good, policy).revocation_checked
    unknown_issuer = ClientCertificate.from_fields(subject="CN=x", issuer="CN=Elsewhere", serial=1)
    assert reason_of(unknown_issuer, policy) == "revocation_unknown"


def test_crl_files_pem_and_der(pki: TestPKI, tmp_path: Path) -> None:
    der = tmp_path / "ca.crl"
    der.write_bytes(pki.crl().public_bytes(Encoding.DER))
    two = tmp_path / "two.pem"
    two.write_bytes(
        pki.crl().public_bytes(Encoding.PEM) + pki.root.crl().public_bytes(Encoding.PEM)
    )
    policy = VerificationPolicy.load(pki.root.cert, crls=[der, two])
    assert len(policy.crls) == 3
    assert reason_of(client_of(pki.revoked), policy) == "revoked"
    bad = tmp_path / "bad.crl"
    bad.write_bytes(b"not a crl")
    with pytest.raises(ValueError, match=r"bad\.crl"):
        VerificationPolicy.load(pki.root.cert, crls=[bad])


# --- distribution points over HTTP -------------------------------------------------------


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class CrlServer:
    """A real HTTP server on 127.0.0.1 serving CRLs (and misbehaving on request)."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits[self.path] += 1
                route = server.routes.get(self.path, Route(b"not found", 404))
                if route.delay:
                    time.sleep(route.delay)
                self.send_response(route.status)
                for key, value in route.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(route.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def crl_server() -> Iterator[CrlServer]:
    server = CrlServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def dp_ca() -> tuple[CertificateAuthority, CertificateAuthority]:
    root = CertificateAuthority.root("DP Test Root")
    return root, root.intermediate("DP Test Intermediate")


def issue_with_dp(ca: CertificateAuthority, cn: str, *urls: str) -> IssuedCertificate:
    return hand_built_leaf(ca, cn, crl_urls=urls)


def dp_policy(root: CertificateAuthority, **options: object) -> VerificationPolicy:
    return VerificationPolicy(
        trust_anchors=(root.cert,),
        fetch_crls=True,
        **options,  # type: ignore[arg-type]
    )


def test_distribution_point_urls_only_http(dp_ca: tuple[CertificateAuthority, ...]) -> None:
    _, inter = dp_ca
    issued = issue_with_dp(
        inter, "urls", "ldap://ldap.example/cn=CA", "http://a.example/ca.crl", "HTTPS://b/c.crl"
    )
    assert distribution_point_urls(issued.cert) == ["http://a.example/ca.crl", "HTTPS://b/c.crl"]


def test_fetched_crl_good_revoked_and_cached(
    crl_server: CrlServer, dp_ca: tuple[CertificateAuthority, CertificateAuthority]
) -> None:
    root, inter = dp_ca
    url = crl_server.url("/inter.crl")
    good = issue_with_dp(inter, "dp-good", url)
    bad = issue_with_dp(inter, "dp-bad", url)
    inter.revoke(bad.cert)
    crl = inter.crl(next_update=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    crl_server.routes["/inter.crl"] = Route(crl.public_bytes(Encoding.DER))

    clock = Clock()
    policy = dp_policy(root, clock=clock)
    assert policy.revocation_mode == "strict"
    result = verify(client_of(good), policy)
    assert result.revocation_checked
    assert result.expires_at == crl.next_update_utc
    assert reason_of(client_of(bad), policy) == "revoked"
    assert crl_server.hits["/inter.crl"] == 1  # second certificate reused the fetched CRL

    verifier_for(policy).results.clear()  # results gone, the fetched CRL stays until nextUpdate
    verify(client_of(good), policy)
    assert crl_server.hits["/inter.crl"] == 1

    clock.now = crl.next_update_utc + dt.timedelta(seconds=1)
    fresh = inter.crl(next_update=clock.now + dt.timedelta(hours=1))
    crl_server.routes["/inter.crl"] = Route(fresh.public_bytes(Encoding.PEM))  # PEM works too
    assert verify(client_of(good), policy).expires_at == fresh.next_update_utc
    assert crl_server.hits["/inter.crl"] == 2


def test_fetch_disabled_never_touches_the_network(
    crl_server: CrlServer, dp_ca: tuple[CertificateAuthority, CertificateAuthority]
) -> None:
    root, inter = dp_ca
    issued = issue_with_dp(inter, "dp-off", crl_server.url("/never.crl"))
    policy = VerificationPolicy(trust_anchors=(root.cert,))
    assert policy.revocation_mode == "off"
    verify(client_of(issued), policy)
    assert crl_server.hits["/never.crl"] == 0


def test_untrusted_certificate_urls_are_never_fetched(
    crl_server: CrlServer, dp_ca: tuple[CertificateAuthority, CertificateAuthority]
) -> None:
    root, _ = dp_ca
    rogue = CertificateAuthority.root("Rogue").intermediate("Rogue Intermediate")
    issued = issue_with_dp(rogue, "ssrf", crl_server.url("/internal-admin"))
    assert reason_of(client_of(issued), dp_policy(root)) == "untrusted_issuer"
    assert crl_server.hits["/internal-admin"] == 0


@pytest.mark.parametrize(
    ("route", "expected_detail"),
    [
        (Route(b"x" * 5000), "larger than"),
        (Route(b"", headers={"Content-Length": "999999999"}), "larger than"),
        (Route(b"not a crl"), "did not return a CRL"),
        (Route(b"gone", status=404), "could not fetch"),
        (Route(b"", status=302, headers={"Location": "file:///etc/passwd"}), "could not fetch"),
    ],
)
def test_fetch_failures_are_bounded_and_reported(
    crl_server: CrlServer,
    dp_ca: tuple[CertificateAuthority, CertificateAuthority],
    route: Route,
    expected_detail: str,
) -> None:
    root, inter = dp_ca
    crl_server.routes["/bad.crl"] = route
    issued = issue_with_dp(inter, "dp-fail", crl_server.url("/bad.crl"))
    clock = Clock()
    policy = dp_policy(root, crl_fetch_max_bytes=4096, clock=clock)
    with pytest.raises(CertificateError) as info:
        verify(client_of(issued), policy)
    assert info.value.reason == "revocation_unknown"
    assert expected_detail in str(info.value)
    # the failure is remembered briefly: no hammering of a broken CRL server
    with pytest.raises(CertificateError):
        verify(client_of(issued), policy)
    assert crl_server.hits["/bad.crl"] == 1
    clock.advance(seconds=31)
    with pytest.raises(CertificateError):
        verify(client_of(issued), policy)
    assert crl_server.hits["/bad.crl"] == 2


def test_fetch_timeout(
    crl_server: CrlServer, dp_ca: tuple[CertificateAuthority, CertificateAuthority]
) -> None:
    root, inter = dp_ca
    crl_server.routes["/slow.crl"] = Route(inter.crl().public_bytes(Encoding.DER), delay=3)
    issued = issue_with_dp(inter, "dp-slow", crl_server.url("/slow.crl"))
    started = time.monotonic()
    assert reason_of(client_of(issued), dp_policy(root, crl_fetch_timeout=0.5)) == (
        "revocation_unknown"
    )
    assert time.monotonic() - started < 2.5


def test_soft_mode_rechecks_soon_after_a_failed_fetch(
    crl_server: CrlServer, dp_ca: tuple[CertificateAuthority, CertificateAuthority]
) -> None:
    root, inter = dp_ca
    issued = issue_with_dp(inter, "dp-soft", crl_server.url("/down.crl"))
    clock = Clock()
    policy = dp_policy(root, revocation="soft", clock=clock)
    result = verify(client_of(issued), policy)
    assert result.revocation_checked is False
    assert result.expires_at == clock.now + dt.timedelta(seconds=60)
    # the CRL server comes back and now lists the certificate
    inter.revoke(issued.cert)
    crl_server.routes["/down.crl"] = Route(inter.crl().public_bytes(Encoding.DER))
    clock.advance(seconds=61)
    assert reason_of(client_of(issued), policy) == "revoked"


def test_fetched_crl_signed_by_the_wrong_key(
    crl_server: CrlServer, dp_ca: tuple[CertificateAuthority, CertificateAuthority]
) -> None:
    root, inter = dp_ca
    impostor = CertificateAuthority(cert=inter.cert, key=ec.generate_private_key(ec.SECP256R1()))
    crl_server.routes["/forged.crl"] = Route(impostor.crl().public_bytes(Encoding.DER))
    issued = issue_with_dp(inter, "dp-forged", crl_server.url("/forged.crl"))
    assert reason_of(client_of(issued), dp_policy(root)) == "revocation_unknown"


def test_parse_crl_rejects_garbage() -> None:
    with pytest.raises(ValueError, match=r"CRL|ASN|parse|error"):
        parse_crl(b"\x30\x00")


def test_redirects_to_other_schemes_are_not_followed(
    crl_server: CrlServer, dp_ca: tuple[CertificateAuthority, CertificateAuthority]
) -> None:
    # urllib on its own follows redirects to ftp://; the fetcher must not even connect.
    root, inter = dp_ca
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.3)
        target = f"ftp://127.0.0.1:{listener.getsockname()[1]}/ca.crl"
        crl_server.routes["/moved.crl"] = Route(b"", status=302, headers={"Location": target})
        issued = issue_with_dp(inter, "dp-redirect", crl_server.url("/moved.crl"))
        with pytest.raises(CertificateError) as info:
            verify(client_of(issued), dp_policy(root))
        assert info.value.reason == "revocation_unknown"
        assert "non-HTTP" in str(info.value)
        with pytest.raises(TimeoutError):
            listener.accept()


def test_http_redirect_is_followed(
    crl_server: CrlServer, dp_ca: tuple[CertificateAuthority, CertificateAuthority]
) -> None:
    root, inter = dp_ca
    crl_server.routes["/new.crl"] = Route(inter.crl().public_bytes(Encoding.DER))
    crl_server.routes["/old.crl"] = Route(
        b"", status=301, headers={"Location": crl_server.url("/new.crl")}
    )
    issued = issue_with_dp(inter, "dp-moved", crl_server.url("/old.crl"))
    assert verify(client_of(issued), dp_policy(root)).revocation_checked
    assert crl_server.hits["/new.crl"] == 1


@given(st.binary(max_size=2048))
def test_parse_crl_on_arbitrary_bytes_only_raises_value_error(data: bytes) -> None:
    try:
        crl = parse_crl(data)
    except ValueError:
        return
    assert isinstance(crl, x509.CertificateRevocationList)


@pytest.mark.timeout(900)  # 10,000 examples with CI=true
@given(data=st.data())
def test_mutated_crls_never_count(pki: TestPKI, data: st.DataObject) -> None:
    # A CRL with any byte of its signed content changed must never be taken as the issuer's
    # (good or revoked). Bytes outside it can change harmlessly: e.g. the signature BIT
    # STRING's unused-bits count, which cryptography ignores when the padding bits are zero.
    original = _SIGNED_ONCE.setdefault(id(pki), pki.crl().public_bytes(Encoding.DER))
    mutated = bytearray(original)
    index = data.draw(st.integers(0, len(mutated) - 1))
    mutated[index] = data.draw(st.integers(0, 255).filter(lambda b: b != original[index]))
    try:
        record = CrlRecord(parse_crl(bytes(mutated)), "mutated")
    except ValueError:
        return
    if _same_signed_content(record.crl, x509.load_der_x509_crl(original)):
        return
    now = dt.datetime.now(dt.UTC)
    for leaf in (pki.client.cert, pki.revoked.cert):
        status, _, _ = revocation_status(leaf, pki.intermediate.cert, [record], now)
        assert status is RevocationStatus.UNKNOWN


_SIGNED_ONCE: dict[int, bytes] = {}  # ECDSA signatures differ per signing: sign once per PKI


def _same_signed_content(
    mutated: x509.CertificateRevocationList, original: x509.CertificateRevocationList
) -> bool:
    return (
        mutated.tbs_certlist_bytes == original.tbs_certlist_bytes
        and mutated.signature == original.signature
    )


def test_signature_unused_bits_change_keeps_the_crl_authentic(pki: TestPKI) -> None:
    # The case Hypothesis found: the BIT STRING header is not signed, and an unused-bits
    # count of 1 over a signature ending in a zero bit decodes to the same signature bytes.
    for _ in range(16):  # ECDSA signatures are random: find one whose last bit is zero
        der = pki.crl().public_bytes(Encoding.DER)
        if der[-1] & 1 == 0:
            break
    else:
        pytest.skip("no signature ending in a zero bit in 16 signings (p = 2**-16)")
    crl = x509.load_der_x509_crl(der)
    header = der.rindex(b"\x03" + bytes([len(crl.signature) + 1]) + b"\x00")
    mutated = bytearray(der)
    mutated[header + 2] = 1
    record = CrlRecord(parse_crl(bytes(mutated)), "unused-bits")
    assert _same_signed_content(record.crl, crl)
    now = dt.datetime.now(dt.UTC)
    status, _, _ = revocation_status(pki.revoked.cert, pki.intermediate.cert, [record], now)
    assert status is RevocationStatus.REVOKED


def test_crl_that_loads_but_cannot_be_decoded_fails_at_construction(pki: TestPKI) -> None:
    # cryptography parses lazily: this CRL loads, then raises TypeError on reading its issuer.
    der = pki.crl().public_bytes(Encoding.DER)
    cn_utf8 = bytes.fromhex("0603550403") + b"\x0c"  # OID commonName, then UTF8String tag
    index = der.index(cn_utf8) + len(cn_utf8) - 1
    broken = x509.load_der_x509_crl(der[:index] + b"\x03" + der[index + 1 :])  # BIT STRING
    with pytest.raises(TypeError):
        _ = broken.issuer
    with pytest.raises(ValueError, match="CRL #0"):
        policy_for(pki, crls=(broken,))
    with pytest.raises(ValueError, match="malformed CRL"):
        parse_crl(der[:index] + b"\x03" + der[index + 1 :])
