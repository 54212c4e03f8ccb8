from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.certs import CertificateError, ProxyDecision, TrustedProxies

PROXIES = TrustedProxies(["10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1"], hops=2)


@pytest.mark.parametrize(
    "peer",
    [
        "10.0.0.1",
        "10.255.255.255",
        "192.168.1.7",
        "::1",
        "fd12:3456::1",
        "::ffff:10.0.0.1",  # IPv4-mapped, as dual-stack sockets report IPv4 peers
        "::FFFF:192.168.1.7",
        "[::1]",
        "fd00::1%eth0",  # zone id
    ],
)
def test_trusted_peers(peer: str) -> None:
    assert PROXIES.is_trusted(peer)


@pytest.mark.parametrize(
    "peer",
    [
        None,
        "",
        "11.0.0.1",
        "192.168.1.8",
        "::2",
        "fe80::1%eth0",
        "::ffff:11.0.0.1",
        "10.0.0.1:5000",  # a port is not an address
        "10.0.0.1 ",
        " 10.0.0.1",
        "010.0.0.1",  # leading zeros are ambiguous (octal in some parsers)
        "0x0a.0.0.1",
        "10.1",
        "localhost",
        "\u0661\u0660.\u0660.\u0660.\u0661",  # Arabic-Indic digits
        "::1%\u0661",  # non-ASCII anywhere, zone id included
        "10.0.0.1, 203.0.113.5",  # an X-Forwarded-For value is not a peer
        "[10.0.0.1",
        "unix:/run/app.sock",
        "x" * 10_000,
    ],
)
def test_untrusted_peers(peer: str | None) -> None:
    assert not PROXIES.is_trusted(peer)


def test_empty_list_trusts_nobody() -> None:
    nobody = TrustedProxies()
    assert not nobody
    for peer in ("127.0.0.1", "::1", "10.0.0.1", "", None):
        assert not nobody.is_trusted(peer)
    assert nobody.decide("127.0.0.1", True) is ProxyDecision.UNTRUSTED_WITH_HEADERS


def test_mapped_ipv6_network_entries_match_ipv4_peers() -> None:
    proxies = TrustedProxies(["::ffff:10.0.0.0/104"])
    assert proxies.networks == (ipaddress.IPv4Network("10.0.0.0/8"),)
    assert proxies.is_trusted("10.9.9.9")
    assert proxies.is_trusted("::ffff:10.9.9.9")
    assert not proxies.is_trusted("11.0.0.1")


def test_unix_socket_peers_only_when_enabled() -> None:
    assert not TrustedProxies(["127.0.0.1"]).is_trusted("")
    unix = TrustedProxies(unix_socket=True)
    assert unix.is_trusted("")
    assert unix.is_trusted("unix:/run/gunicorn.sock")
    assert not unix.is_trusted("127.0.0.1")


def test_decide_covers_all_outcomes() -> None:
    assert PROXIES.decide("10.0.0.1", True) is ProxyDecision.BELIEVE
    assert PROXIES.decide("10.0.0.1", False) is ProxyDecision.NO_HEADERS
    assert PROXIES.decide("203.0.113.5", False) is ProxyDecision.NO_HEADERS
    assert PROXIES.decide("203.0.113.5", True) is ProxyDecision.UNTRUSTED_WITH_HEADERS
    assert PROXIES.decide("garbage", True) is ProxyDecision.UNTRUSTED_WITH_HEADERS


def test_check_raises_untrusted_proxy() -> None:
    assert PROXIES.check("10.0.0.1", True) is True
    assert PROXIES.check("203.0.113.5", False) is False
    with pytest.raises(CertificateError) as info:
        PROXIES.check("203.0.113.5", True)
    assert info.value.reason == "untrusted_proxy"
    assert "203.0.113.5" in str(info.value)


@pytest.mark.parametrize(
    "entry", ["10.0.0.1/8", "10.0.0.256", "not-an-ip", "10.0.0.0/33", "", "fd00::/129"]
)
def test_bad_entries_fail_loudly(entry: str) -> None:
    with pytest.raises(ValueError, match="not an IP address or CIDR"):
        TrustedProxies([entry])


def test_bad_arguments() -> None:
    with pytest.raises(TypeError):
        TrustedProxies("10.0.0.0/8")
    with pytest.raises(TypeError):
        TrustedProxies([10])  # type: ignore[list-item]
    for hops in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="hops"):
            TrustedProxies(["10.0.0.0/8"], hops=hops)  # type: ignore[arg-type]


def test_immutable_equal_and_hashable() -> None:
    a = TrustedProxies(["10.0.0.0/8", "::1"], hops=2)
    b = TrustedProxies(["::1", "10.0.0.0/8", "10.0.0.0/8"], hops=2)
    assert a == b
    assert hash(a) == hash(b)
    assert a != TrustedProxies(["10.0.0.0/8", "::1"], hops=1)
    assert a.hops == 2
    assert len(b.networks) == 2
    with pytest.raises(AttributeError):
        a.hops = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        a._networks = ()
    assert "10.0.0.0/8" in repr(a)


def test_networks_accept_parsed_objects() -> None:
    proxies = TrustedProxies([ipaddress.ip_network("172.16.0.0/12")])
    assert proxies.is_trusted("172.20.1.1")
    assert not proxies.is_trusted("172.32.0.1")


@given(st.text())
def test_is_trusted_never_raises_on_text(peer: str) -> None:
    assert PROXIES.is_trusted(peer) in (True, False)
    assert isinstance(PROXIES.decide(peer, True), ProxyDecision)


@given(
    st.one_of(
        st.ip_addresses(),
        st.ip_addresses(network="10.0.0.0/7"),
        st.ip_addresses(network="fc00::/7"),
        st.ip_addresses(network="::ffff:0:0/96"),
    )
)
def test_is_trusted_agrees_with_ipaddress(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    expected_addr = address
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        expected_addr = address.ipv4_mapped
    expected = any(
        expected_addr.version == n.version and expected_addr in n for n in PROXIES.networks
    )
    assert PROXIES.is_trusted(str(address)) is expected


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "reported"),
    [
        ("10.0.0.1", "203.0.113.1, 192.0.2.7, 10.0.0.9", "192.0.2.7"),  # hops=2: 2nd from right
        ("10.0.0.1", " 2001:db8::1 , 10.0.0.9", "2001:db8::1"),
        ("10.0.0.1", "10.0.0.9", None),  # fewer entries than hops
        ("10.0.0.1", "not-an-ip, 10.0.0.9", None),
        ("10.0.0.1", None, None),
        ("11.0.0.1", "192.0.2.7, 10.0.0.9", None),  # an untrusted peer's header is its own
        (None, "192.0.2.7, 10.0.0.9", None),
    ],
)
def test_forwarded_client_is_believed_only_from_a_trusted_peer(
    peer: str | None, forwarded_for: str | None, reported: str | None
) -> None:
    assert PROXIES.forwarded_client(peer, forwarded_for) == reported
    assert PROXIES.client_address(peer, forwarded_for) == (reported or peer or "")


@given(st.text(max_size=200), st.text(max_size=200))
def test_client_address_never_raises(peer: str, forwarded_for: str) -> None:
    address = PROXIES.client_address(peer, forwarded_for)
    assert address == peer or ipaddress.ip_address(address)
