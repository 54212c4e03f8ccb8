"""The request reader's memo of verified outcomes: a repeat is fast, never another verdict."""

from __future__ import annotations

import dataclasses
import datetime as dt
import urllib.parse
from typing import Any

from mtlsguard.certs import CertificateReader, TrustedProxies, VerificationPolicy
from mtlsguard.certs.recent import RecentOutcomes
from mtlsguard.devserver.pki import IssuedCertificate, TestPKI, name

PROXY = "10.0.0.5"
OTHER_PROXY = "10.0.0.6"
STRANGER = "203.0.113.7"


def environ(peer: str, issued: IssuedCertificate, **extra: Any) -> dict[str, Any]:
    """A fresh environ (new string objects) as nginx forwards ``issued`` from ``peer``."""
    quoted = urllib.parse.quote(issued.chain_pem.decode("ascii"), safe="")
    return {
        "REMOTE_ADDR": peer,
        "HTTP_X_SSL_CLIENT_CERT": quoted.encode().decode(),
        "HTTP_X_SSL_CLIENT_VERIFY": "SUCCESS",
        **extra,
    }


def reader_for(policy: VerificationPolicy) -> CertificateReader:
    return CertificateReader("nginx", policy, trusted_proxies=TrustedProxies(["10.0.0.0/8"]))


def policy_for(pki: TestPKI, **options: Any) -> VerificationPolicy:
    return VerificationPolicy(trust_anchors=(pki.root.cert,), crls=(pki.crl(),), **options)


def test_a_repeat_is_answered_from_the_memo(pki: TestPKI) -> None:
    reader = reader_for(policy_for(pki))
    first = reader.read_wsgi(environ(PROXY, pki.client))
    assert first.verified is not None
    assert reader.read_wsgi(environ(PROXY, pki.client)) is first


def test_the_peer_is_part_of_the_key(pki: TestPKI) -> None:
    reader = reader_for(policy_for(pki))
    assert reader.read_wsgi(environ(PROXY, pki.client)).verified is not None
    # The same header values from a direct client are still refused, every time.
    for _ in range(2):
        outcome = reader.read_wsgi(environ(STRANGER, pki.client))
        assert outcome.untrusted
        assert outcome.verified is None
    other = reader.read_wsgi(environ(OTHER_PROXY, pki.client))
    assert other.verified is not None


def test_another_certificate_gets_its_own_verdict(pki: TestPKI) -> None:
    reader = reader_for(policy_for(pki))
    alice = reader.read_wsgi(environ(PROXY, pki.client))
    bob_cert = pki.intermediate.issue(name("bob"))
    bob = reader.read_wsgi(environ(PROXY, bob_cert))
    assert bob.verified is not None
    assert alice.verified is not None
    assert bob.verified.certificate.common_name == "bob"
    assert reader.read_wsgi(environ(PROXY, pki.client)).verified is alice.verified
    # The proxy's verdict is part of the key: a failed handshake is never a remembered pass.
    failed = reader.read_wsgi(
        environ(PROXY, pki.client) | {"HTTP_X_SSL_CLIENT_VERIFY": "FAILED:unknown ca"}
    )
    assert failed.verified is None
    assert failed.error is not None


def test_clearing_the_verifier_cache_forgets_the_memo(pki: TestPKI) -> None:
    policy = policy_for(pki)
    reader = reader_for(policy)
    first = reader.read_wsgi(environ(PROXY, pki.client))
    policy.clear_cache()
    again = reader.read_wsgi(environ(PROXY, pki.client))
    assert again is not first
    assert again.verified is not None


def test_an_entry_is_not_used_past_the_verified_result_s_expiry(pki: TestPKI) -> None:
    now = [dt.datetime.now(dt.UTC)]
    policy = policy_for(pki, clock=lambda: now[0])
    reader = reader_for(policy)
    first = reader.read_wsgi(environ(PROXY, pki.client))
    assert first.verified is not None
    now[0] = first.verified.expires_at + dt.timedelta(seconds=1)
    later = reader.read_wsgi(environ(PROXY, pki.client))
    assert later is not first  # verified again at the new time (and refused if expired)
    if now[0] > pki.client.cert.not_valid_after_utc:
        assert later.error is not None
        assert later.error.reason == "expired"


def test_the_server_rewriting_the_peer_is_checked_on_every_hit(pki: TestPKI) -> None:
    reader = reader_for(policy_for(pki))
    assert reader.read_wsgi(environ(PROXY, pki.client)).verified is not None
    rewritten = environ(PROXY, pki.client, PROXY_ADDR="10.0.0.5", PROXY_PROTOCOL="TCP4")
    outcome = reader.read_wsgi(rewritten)
    assert outcome.untrusted
    assert outcome.verified is None


def test_the_memo_is_bounded(pki: TestPKI) -> None:
    reader = reader_for(policy_for(pki, cache_size=2))
    issued = [pki.intermediate.issue(name(f"user{i}")) for i in range(4)]
    for cert in issued:
        assert reader.read_wsgi(environ(PROXY, cert)).verified is not None
    memo = reader._recent
    assert memo is not None
    assert len(memo) == 2
    assert len(RecentOutcomes(0)) == 0


def test_unhashable_environ_values_take_the_full_path(pki: TestPKI) -> None:
    reader = reader_for(policy_for(pki))
    odd = environ(PROXY, pki.client) | {"HTTP_X_SSL_CLIENT_VERIFY": ["SUCCESS"]}
    first = reader.read_wsgi(odd)  # not memoised (the key cannot be hashed): no exception
    assert dataclasses.is_dataclass(first)
    assert reader.read_wsgi(odd) is not first
