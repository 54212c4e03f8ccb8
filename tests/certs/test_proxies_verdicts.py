"""TrustedProxies remembers its verdict per peer string: same answers, bounded memory."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.certs import proxies
from mtlsguard.certs.proxies import TrustedProxies

NETWORKS = ["10.0.0.0/8", "192.0.2.7", "fd00::/8", "::1"]

_peers = st.one_of(
    st.ip_addresses().map(str),
    st.sampled_from(["10.0.0.5", "::ffff:10.1.2.3", "[::1]", "fe80::1%eth0", "", "unix:/x"]),
    st.text(max_size=40),
)


@given(peer=_peers)
def test_remembered_verdict_equals_a_fresh_judgement(peer: str) -> None:
    remembering = TrustedProxies(NETWORKS, unix_socket=True)
    first = remembering.is_trusted(peer)
    assert remembering.is_trusted(peer) is first  # from the memo
    assert TrustedProxies(NETWORKS, unix_socket=True)._judge(peer) is first


def test_known_answers_survive_the_memo() -> None:
    trusted = TrustedProxies(NETWORKS)
    for _ in range(2):
        assert trusted.is_trusted("10.0.0.5")
        assert trusted.is_trusted("::ffff:10.0.0.5")
        assert not trusted.is_trusted("203.0.113.7")
        assert not trusted.is_trusted("10.0.0.5:443")
        assert not trusted.is_trusted(None)


def test_memo_is_bounded() -> None:
    trusted = TrustedProxies(NETWORKS)
    for i in range(proxies._MAX_VERDICTS + 500):
        trusted.is_trusted(f"198.51.{i // 256 % 256}.{i % 256}:{i}")
    assert len(trusted._verdicts) <= proxies._MAX_VERDICTS
    assert trusted.is_trusted("10.9.8.7")
