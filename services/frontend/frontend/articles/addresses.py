"""Decide which hosts and addresses the server may fetch from: public unicast addresses only.

The server fetches URLs for anonymous users, so every address a host name resolves to, and every
way of writing an IP literal (decimal 2130706433, hex 0x7f000001, octal 0177.0.0.1, IPv4-mapped
IPv6), is checked before a connection is opened. Python 3.11's ``ipaddress`` does not look
inside IPv4-mapped, 6to4, Teredo or NAT64 addresses, so ``refusal`` unwraps them itself.
"""

from __future__ import annotations

import ipaddress
import socket
import string
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Cloud instance-metadata services (AWS/GCP/Azure/OpenStack, AWS IPv6, ECS tasks, Alibaba).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200")
)
#: RFC 6052's well-known NAT64 prefix: the last 32 bits are an IPv4 address.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: IETF protocol assignments: Python 3.11 counts a few as global, none is a web server.
_PROTOCOL_ASSIGNMENTS = ipaddress.ip_network("192.0.0.0/24")
#: Characters of an IPv4 literal in any form inet_aton accepts (decimal, octal, hex, 1-4 parts).
_IPV4_LITERAL_CHARS = frozenset(string.hexdigits + "xX.")


@dataclass(frozen=True)
class AllowedHost:
    """A FETCH_ALLOW_HOSTS entry: this host, on any port (port None) or on that port only."""

    host: str
    port: int | None = None

    @classmethod
    def parse(cls, entry: str) -> AllowedHost:
        """Parse `host`, `host:port`, `[v6]` or `[v6]:port`; raise ValueError when malformed."""
        entry = entry.strip().lower()
        host, port = entry, None
        if entry.startswith("["):
            host, _, rest = entry[1:].partition("]")
            if rest:
                port = _port(rest.removeprefix(":"), entry)
        elif entry.count(":") == 1:
            host, raw_port = entry.split(":")
            port = _port(raw_port, entry)
        if not host:
            raise ValueError(f"FETCH_ALLOW_HOSTS entry {entry!r} names no host")
        return cls(host.rstrip("."), port)

    def admits(self, host: str, port: int) -> bool:
        """Tell whether this entry admits `host` (as written in the URL) on `port`."""
        return self.host == host.lower().rstrip(".") and self.port in (None, port)


def _port(raw: str, entry: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(f"FETCH_ALLOW_HOSTS entry {entry!r} has no valid port")
    return int(raw)


def parse_allow_hosts(raw: str) -> tuple[AllowedHost, ...]:
    """Parse the comma- or space-separated FETCH_ALLOW_HOSTS value."""
    return tuple(AllowedHost.parse(entry) for entry in raw.replace(",", " ").split())


def is_allowed(allowed: Iterable[AllowedHost], host: str, port: int) -> bool:
    """Tell whether a FETCH_ALLOW_HOSTS entry admits `host` on `port`."""
    return any(entry.admits(host, port) for entry in allowed)


def literal_address(host: str) -> IPAddress | None:
    """Return the address `host` denotes when it is an IP literal in any form, else None."""
    bare = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if not bare or not set(bare) <= _IPV4_LITERAL_CHARS or not bare[0].isdigit():
        return None
    try:
        # The forms resolvers and browsers accept: 2130706433, 0x7f000001, 0177.0.0.1, 127.1.
        return ipaddress.IPv4Address(socket.inet_aton(bare))
    except OSError:
        return None


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv4-mapped, 6to4, Teredo or NAT64 address leads to."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's address, where the traffic ends up
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress) -> str | None:
    """Return why `address` must not be fetched from (a short phrase), or None if it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            reason = refusal(inner)
            return f"{reason} (inside an IPv6 address)" if reason else None
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    checks = (
        ("an unspecified address", address.is_unspecified),
        ("a loopback address", address.is_loopback),
        ("a link-local address", address.is_link_local),
        ("a multicast address", address.is_multicast),
        ("a private network address", address.is_private),
        ("a reserved address", address.is_reserved or address in _PROTOCOL_ASSIGNMENTS),
        # What is left and still not global: shared address space (100.64/10), documentation, ...
        ("not a public address", not address.is_global),
    )
    return next((phrase for phrase, applies in checks if applies), None)
