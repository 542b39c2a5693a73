"""Facts about this machine, for an engine that certainly runs on it.

The Engine API tells a host's name but not its addresses. When the engine is
reached through a local unix socket and reports this machine's host name, the
asset is this machine, and its FQDN, addresses and MAC can be read here. Only
what is certain is returned (DESIGN.md, Asset Identification): the interfaces
that carry a default route, their global addresses, and an FQDN only when the
resolver gives one that extends the host name. Everything else is left out.

Linux only (procfs and sysfs); elsewhere every fact is simply unknown.
"""

from __future__ import annotations

import fcntl
import logging
import re
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PROC_ROUTE = Path("/proc/net/route")
PROC_IPV6_ROUTE = Path("/proc/net/ipv6_route")
PROC_IF_INET6 = Path("/proc/net/if_inet6")
SYS_NET = Path("/sys/class/net")

# ioctl(2) request that reads an interface's primary IPv4 address (linux/sockios.h).
SIOCGIFADDR = 0x8915
# /proc/net/if_inet6 scope of global addresses (linux/include/net/ipv6.h).
SCOPE_GLOBAL = "00"

HOSTNAME = re.compile(r"^[\w\-]+(\.[\w\-]+)*$")
MAC = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
NO_MAC = "00:00:00:00:00:00"


@dataclass(frozen=True)
class LocalFacts:
    fqdn: str | None
    ip_addresses: tuple[str, ...]
    mac_addresses: tuple[str, ...]


def is_this_machine(engine_host_name: str) -> bool:
    """True when the engine reports the host name this machine has."""
    return engine_host_name.casefold() == socket.gethostname().casefold()


def local_facts() -> LocalFacts:
    """This machine's FQDN, addresses and MACs, each only when it is certain."""
    interfaces = _default_route_interfaces()
    addresses: list[str] = []
    macs: list[str] = []
    for name in interfaces:
        addresses.extend(_ipv4_addresses(name))
        addresses.extend(_ipv6_addresses(name))
        mac = _mac_address(name)
        if mac:
            macs.append(mac)

    log.debug("this machine: interfaces %s, %d address(es)", interfaces, len(addresses))
    return LocalFacts(_fqdn(), tuple(addresses), tuple(macs))


def _fqdn() -> str | None:
    """The resolver's FQDN when it is the host name plus a domain; else unknown."""
    host = socket.gethostname()
    try:
        fqdn = socket.getfqdn(host)
    except OSError:
        return None
    first, dot, domain = fqdn.partition(".")
    if not dot or first.casefold() != host.casefold() or not HOSTNAME.match(fqdn):
        return None
    if domain.casefold() in ("localdomain", "local", "localhost"):
        return None
    return fqdn


def _default_route_interfaces() -> list[str]:
    """Interfaces that carry an IPv4 or IPv6 default route, in routing-table order."""
    names: list[str] = []
    for line in _lines(PROC_ROUTE)[1:]:
        fields = line.split()
        if len(fields) > 1 and fields[1] == "00000000":
            names.append(fields[0])
    for line in _lines(PROC_IPV6_ROUTE):
        fields = line.split()
        if len(fields) == 10 and fields[0] == "0" * 32 and fields[1] == "00":
            names.append(fields[9])
    return list(dict.fromkeys(name for name in names if name != "lo"))


def _ipv4_addresses(interface: str) -> list[str]:
    request = struct.pack("256s", interface.encode()[:15])
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            answer = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, request)
    except OSError:
        return []
    return [socket.inet_ntoa(answer[20:24])]


def _ipv6_addresses(interface: str) -> list[str]:
    """Global addresses, in the full eight-group form Asset Identification requires."""
    found = []
    for line in _lines(PROC_IF_INET6):
        fields = line.split()
        if len(fields) == 6 and fields[5] == interface and fields[3] == SCOPE_GLOBAL:
            digits = fields[0].lower()
            found.append(":".join(digits[i : i + 4] for i in range(0, 32, 4)))
    return found


def _mac_address(interface: str) -> str | None:
    try:
        mac = (SYS_NET / interface / "address").read_text().strip().lower()
    except OSError:
        return None
    return mac if MAC.match(mac) and mac != NO_MAC else None


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text().splitlines()
    except OSError:
        return []
