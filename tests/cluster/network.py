"""The cluster's network: one namespace per node, joined by veth pairs to a bridge in a hub
namespace. No interface ever appears in the host's namespace, and nothing routes out of them."""

from __future__ import annotations

import logging

from tests.cluster.topology import BRIDGE, HUB_NETNS, PREFIX, PREFIX_LENGTH
from tests.swarm.cli import run

logger = logging.getLogger(__name__)


def ip(*args: str, check: bool = True) -> str:
    """Run `ip args...` and return its output."""
    return run(["ip", *args], check=check, timeout_s=30).stdout


def our_namespaces() -> list[str]:
    """Return the network namespaces with our prefix (this run's or an interrupted run's)."""
    names = [line.split()[0] for line in ip("netns", "list").splitlines() if line.strip()]
    return [name for name in names if name.startswith(PREFIX)]


def create_hub(mtu: int = 1500) -> None:
    """Create the hub namespace holding the bridge every node's link plugs into."""
    ip("netns", "add", HUB_NETNS)
    ip("-n", HUB_NETNS, "link", "set", "lo", "up")
    ip("-n", HUB_NETNS, "link", "add", BRIDGE, "mtu", str(mtu), "type", "bridge")
    ip("-n", HUB_NETNS, "link", "set", BRIDGE, "up")


def port_name(netns: str) -> str:
    """Return the name of a namespace's link on the hub's side (15 characters at most)."""
    return "v-" + netns.removeprefix(PREFIX)[:13]


def add_host(netns: str, address: str) -> None:
    """Create a namespace with loopback and one eth0 at address, plugged into the hub."""
    ip("netns", "add", netns)
    ip("-n", netns, "link", "set", "lo", "up")
    # Created in the hub and moved straight into the node: the root namespace never sees it.
    port = port_name(netns)
    ip("-n", HUB_NETNS, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", netns)
    ip("-n", HUB_NETNS, "link", "set", port, "master", BRIDGE, "up")
    ip("-n", netns, "addr", "add", f"{address}/{PREFIX_LENGTH}", "dev", "eth0")
    ip("-n", netns, "link", "set", "eth0", "up")


def set_link(netns: str, *, up: bool) -> None:
    """Plug a namespace's cable in or pull it out (a network partition), on the hub's side."""
    ip("-n", HUB_NETNS, "link", "set", port_name(netns), "up" if up else "down")


def delete_all() -> None:
    """Delete every namespace of ours; their links and the bridge go with them."""
    for name in our_namespaces():
        ip("netns", "delete", name, check=False)
