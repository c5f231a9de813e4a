"""Which of this machine's addresses a phone on the LAN should be sent to, and which ones the
certificate must name. Read from the interfaces themselves (ifaddr), so no default route, DNS or
internet is needed: a desktop and a phone on a home Wi-Fi without an uplink pair all the same."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import ifaddr

# The addresses of a home or office LAN (RFC 1918): what a phone on the same Wi-Fi has too.
PRIVATE_V4 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
# Interfaces of containers, virtual machines and VPNs: private addresses too, but no phone is on them.
VIRTUAL_PREFIXES = (
    "docker",
    "br-",
    "veth",
    "virbr",
    "vmnet",
    "vboxnet",
    "lxcbr",
    "lxdbr",
    "podman",
    "cni",
    "flannel",
    "tun",
    "tap",
    "wg",
    "tailscale",
    "zt",
    "utun",
)
LOOPBACK = ("127.0.0.1", "::1")
IFF_UP = 0x1
SYS_NET = Path("/sys/class/net")


@dataclass(frozen=True)
class InterfaceAddress:
    """One address of one network interface."""

    interface: str
    address: str  # without an IPv6 zone
    up: bool = True


def machine_addresses() -> list[InterfaceAddress]:
    """Every address of every interface of this machine, in the system's order."""
    found = []
    for adapter in ifaddr.get_adapters():
        up = _is_up(adapter.name)
        for ip in adapter.ips:
            address = ip.ip if isinstance(ip.ip, str) else ip.ip[0]
            found.append(InterfaceAddress(adapter.name, address.split("%")[0], up))
    return found


def _is_up(name: str) -> bool:
    """Whether an interface is up (Linux says so in sysfs; elsewhere an interface with an address is
    taken as up)."""
    try:
        flags = (SYS_NET / name.split(":")[0] / "flags").read_text()
    except OSError:
        return True
    try:
        return bool(int(flags, 16) & IFF_UP)
    except ValueError:
        return True


def _rank(address: str) -> int | None:
    """How likely a phone reaches this address (lower: likelier); None: never (loopback, IPv6
    link-local, which a URL cannot name without its zone, multicast, unspecified)."""
    ip = ipaddress.ip_address(address)
    if ip.is_loopback or ip.is_multicast or ip.is_unspecified:
        return None
    if ip.version == 4:
        if any(ip in net for net in PRIVATE_V4):
            return 0
        return 3 if ip.is_link_local else 1
    return None if ip.is_link_local else 2


def _virtual(interface: str) -> bool:
    return interface.lower().startswith(VIRTUAL_PREFIXES)


def phone_addresses(addresses: Sequence[InterfaceAddress]) -> list[str]:
    """The addresses to offer phones, best first: private IPv4 (RFC 1918), then other IPv4, then IPv6,
    then IPv4 link-local; within each, real interfaces before virtual ones (containers, VMs, VPNs),
    else in the system's order. Interfaces that are down are left out; loopback only when no other
    address is left, so the list is never empty."""
    ranked = []
    for order, entry in enumerate(addresses):
        rank = _rank(entry.address) if entry.up else None
        if rank is not None:
            ranked.append(((rank, _virtual(entry.interface), order), entry.address))
    best = _unique(address for _, address in sorted(ranked))
    return best or [LOOPBACK[0]]


def certificate_addresses(addresses: Iterable[InterfaceAddress]) -> list[str]:
    """Every address the server may be reached at, for the certificate's names: each interface's
    (up or not, since an interface may come up later; not IPv6 link-local, which no URL names), and
    loopback."""
    usable = [e.address for e in addresses if not _v6_link_local(e.address)]
    return sorted(_unique([*LOOPBACK, *usable]), key=lambda a: (ipaddress.ip_address(a).version, a))


def _v6_link_local(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.version == 6 and ip.is_link_local


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def url_host(address: str) -> str:
    """An address as the host part of a URL (IPv6 in brackets)."""
    return f"[{address}]" if ":" in address else address
