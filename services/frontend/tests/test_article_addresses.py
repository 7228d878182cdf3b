"""Which addresses the article fetcher refuses, however they are written."""

from __future__ import annotations

import ipaddress

import pytest
from frontend.articles.addresses import (
    AllowedHost,
    is_allowed,
    literal_address,
    parse_allow_hosts,
    refusal,
)
from hypothesis import given
from hypothesis import strategies as st

FORBIDDEN_NETWORKS = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/128",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
    "2001:db8::/32",
]


def _addresses_in(network: str) -> st.SearchStrategy[ipaddress._BaseAddress]:
    net = ipaddress.ip_network(network)
    first, last = int(net.network_address), int(net.broadcast_address)
    return st.integers(first, last).map(
        lambda n: ipaddress.ip_address(n) if net.version == 4 else ipaddress.IPv6Address(n)
    )


@pytest.mark.parametrize("network", FORBIDDEN_NETWORKS)
@given(data=st.data())
def test_every_address_of_a_forbidden_network_is_refused(network, data):
    address = data.draw(_addresses_in(network))
    assert refusal(address) is not None


@given(st.sampled_from(["127.0.0.1", "10.0.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0"]))
def test_forbidden_ipv4_stays_forbidden_inside_ipv6(v4):
    """IPv4-mapped, 6to4, NAT64 and Teredo forms of a forbidden address are refused too."""
    packed = int(ipaddress.IPv4Address(v4))
    for wrapped in (
        ipaddress.IPv6Address(f"::ffff:{v4}"),
        ipaddress.IPv6Address((0x2002 << 112) | (packed << 80)),
        ipaddress.IPv6Address(f"64:ff9b::{v4}"),
        ipaddress.IPv6Address((0x20010000 << 96) | (packed ^ 0xFFFFFFFF)),
    ):
        assert refusal(wrapped) is not None, wrapped


@pytest.mark.parametrize(
    ("address", "phrase"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("10.1.2.3", "private"),
        ("fd12::1", "private"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("fe80::1", "link-local"),
        ("224.0.0.251", "multicast"),
        ("::ffff:127.0.0.1", "loopback address (inside an IPv6 address)"),
    ],
)
def test_the_refusal_names_the_kind_of_address(address, phrase):
    assert phrase in refusal(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1::248", "8.8.8.8"])
def test_public_unicast_addresses_pass(address):
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "written",
    [
        "127.0.0.1",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "127.1",
        "0x7f.0.0.1",
        "017700000001",
        "127.0.0.1.",
    ],
)
def test_every_spelling_of_loopback_is_read_as_127_0_0_1(written):
    assert literal_address(written) == ipaddress.IPv4Address("127.0.0.1")


@pytest.mark.parametrize("written", ["[::1]", "::1", "[::ffff:127.0.0.1]"])
def test_ipv6_literals_are_read_with_or_without_brackets(written):
    assert literal_address(written) is not None
    assert refusal(literal_address(written)) is not None


@pytest.mark.parametrize("host", ["example.org", "cafe", "deadbeef.de", "1.example", ""])
def test_host_names_are_not_taken_for_literals(host):
    assert literal_address(host) is None


@given(st.integers(0, 2**32 - 1))
def test_a_decimal_ipv4_literal_means_that_address(number):
    assert literal_address(str(number)) == ipaddress.IPv4Address(number)


def test_allow_hosts_entries_admit_a_host_or_one_port_of_it():
    allowed = parse_allow_hosts("intranet.local, 127.0.0.1:8123 [::1]:9000")
    assert allowed == (
        AllowedHost("intranet.local"),
        AllowedHost("127.0.0.1", 8123),
        AllowedHost("::1", 9000),
    )
    assert is_allowed(allowed, "INTRANET.local", 8443)
    assert is_allowed(allowed, "127.0.0.1", 8123)
    assert not is_allowed(allowed, "127.0.0.1", 8124)
    assert is_allowed(allowed, "::1", 9000)
    assert not is_allowed(allowed, "localhost", 8123)


@pytest.mark.parametrize("entry", ["host:0", "host:99999", "host:http", ":80"])
def test_malformed_allow_hosts_entries_are_refused(entry):
    with pytest.raises(ValueError, match="FETCH_ALLOW_HOSTS"):
        parse_allow_hosts(entry)
