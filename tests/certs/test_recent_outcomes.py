"""The request reader's memo of verified outcomes: a repeat is fast, never another verdict."""

from __future__ import annotations

import dataclasses
import datetime as dt
import urllib.parse
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mtlsguard.certs import CertificateReader, TrustedProxies, VerificationPolicy
from mtlsguard.certs.proxies import rewritten_peer
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


# -- recall(): the request path's shortcut ---------------------------------------------------


def test_recall_answers_what_read_remembered_and_nothing_else(pki: TestPKI) -> None:
    reader = reader_for(policy_for(pki))
    assert reader.recall(environ(PROXY, pki.client)) is None  # nothing verified yet
    first = reader.read_wsgi(environ(PROXY, pki.client))
    assert first.verified is not None
    assert reader.recall(environ(PROXY, pki.client)) is first
    # Another peer, another verdict, another certificate: not remembered.
    assert reader.recall(environ(STRANGER, pki.client)) is None
    assert reader.recall(environ(OTHER_PROXY, pki.client)) is None
    assert reader.recall(environ(PROXY, pki.intermediate.issue(name("bob")))) is None
    failed = environ(PROXY, pki.client) | {"HTTP_X_SSL_CLIENT_VERIFY": "FAILED:unknown ca"}
    assert reader.recall(failed) is None
    # Any other role header present makes it another key too.
    assert reader.recall(environ(PROXY, pki.client, HTTP_X_SSL_CLIENT_S_DN="CN=x")) is None
    assert reader.recall({"REMOTE_ADDR": PROXY}) is None


def test_recall_of_a_reader_without_a_memo_is_none(pki: TestPKI) -> None:
    reader = CertificateReader("apache", policy_for(pki), trusted_proxies=TrustedProxies())
    assert reader._recent is None
    assert reader.recall({"REMOTE_ADDR": PROXY, "SSL_CLIENT_CERT": "x"}) is None


def test_interleaved_clients_each_get_their_own_outcome(pki: TestPKI) -> None:
    reader = reader_for(policy_for(pki))
    bob_cert = pki.intermediate.issue(name("bob"))
    alice = reader.read_wsgi(environ(PROXY, pki.client))
    bob = reader.read_wsgi(environ(PROXY, bob_cert))
    for _ in range(3):
        assert reader.recall(environ(PROXY, pki.client)) is alice
        assert reader.recall(environ(PROXY, bob_cert)) is bob
        assert reader.recall(environ(PROXY, bob_cert)) is bob
        assert reader.read_wsgi(environ(PROXY, pki.client)) is alice


def test_recall_checks_the_generation_and_the_expiry(pki: TestPKI) -> None:
    now = [dt.datetime.now(dt.UTC)]
    policy = policy_for(pki, clock=lambda: now[0])
    reader = reader_for(policy)
    first = reader.read_wsgi(environ(PROXY, pki.client))
    assert first.verified is not None
    assert reader.recall(environ(PROXY, pki.client)) is first
    policy.clear_cache()  # a CRL reload: the entry is of an older generation
    assert reader.recall(environ(PROXY, pki.client)) is None
    assert len(reader._recent or ()) == 0  # and forgotten
    again = reader.read_wsgi(environ(PROXY, pki.client))
    assert again is not first
    assert reader.recall(environ(PROXY, pki.client)) is again
    assert again.verified is not None
    now[0] = again.verified.expires_at + dt.timedelta(seconds=1)  # past the result's expiry
    assert reader.recall(environ(PROXY, pki.client)) is None


REWRITES: dict[str, dict[str, Any]] = {
    "gunicorn --proxy-protocol": {"PROXY_ADDR": "198.51.100.1", "PROXY_PROTOCOL": "TCP4"},
    "werkzeug ProxyFix": {"werkzeug.proxy_fix.orig": {"REMOTE_ADDR": "198.51.100.1"}},
    "peer taken from X-Forwarded-For": {
        "REMOTE_PORT": "51234",
        "HTTP_X_FORWARDED_FOR": f"{PROXY}:51234",
    },
}


@pytest.mark.parametrize("server", sorted(REWRITES))
def test_a_rewritten_peer_is_refused_on_a_remembered_request(pki: TestPKI, server: str) -> None:
    reader = reader_for(policy_for(pki))
    assert reader.read_wsgi(environ(PROXY, pki.client)).verified is not None
    assert reader.recall(environ(PROXY, pki.client)) is not None
    rewritten = environ(PROXY, pki.client, **REWRITES[server])
    assert rewritten_peer(rewritten) is not None
    assert reader.recall(rewritten) is None  # the full path decides...
    outcome = reader.read_wsgi(rewritten)
    assert outcome.untrusted  # ...and refuses, every time
    assert reader.read_wsgi(rewritten).untrusted


MARKER_VALUES = {
    "PROXY_ADDR": st.sampled_from(["198.51.100.1", PROXY]),
    "PROXY_PROTOCOL": st.sampled_from(["TCP4", "TCP6"]),
    "werkzeug.proxy_fix.orig": st.sampled_from(
        [{"REMOTE_ADDR": "198.51.100.1"}, {"REMOTE_ADDR": PROXY}, {}]
    ),
    "REMOTE_PORT": st.sampled_from(["51234", "0", 51234, "x"]),
    "HTTP_X_FORWARDED_FOR": st.sampled_from(
        [f"{PROXY}:51234", "192.0.2.9", f"192.0.2.9, {PROXY}", f"[{PROXY}]:51234", PROXY]
    ),
}


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(extra=st.fixed_dictionaries({}, optional=MARKER_VALUES))  # type: ignore[arg-type]
def test_recall_skips_the_rewrite_check_only_where_it_could_find_nothing(
    pki: TestPKI, extra: dict[str, Any]
) -> None:
    reader = reader_for(policy_for(pki))
    assert reader.read_wsgi(environ(PROXY, pki.client)).verified is not None
    request = environ(PROXY, pki.client, **extra)
    # Remembered exactly when the server did not rewrite the peer (as read() decides it).
    assert (reader.recall(request) is None) == (rewritten_peer(request) is not None)
    assert (reader.recall(request) is None) == reader.read_wsgi(request).untrusted
