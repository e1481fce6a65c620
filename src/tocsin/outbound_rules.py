"""Which addresses Tocsin's outbound requests may reach: the pure rules, no I/O.

Every outbound HTTP request (``tocsin.outbound``) resolves its host and checks each address
against a ``Rule`` before connecting. An address is sorted into one ``Kind``:

- never called: the unspecified address (0.0.0.0, ``::``) and multicast;
- link-local (169.254.0.0/16, fe80::/10) and cloud metadata services (169.254.169.254,
  fd00:ec2::254, 100.100.100.200, ...): refused unless the rule allows link-local;
- loopback, private (RFC 1918, unique local fc00::/7) and other non-public ranges
  (carrier-grade NAT 100.64.0.0/10, documentation, benchmarking, reserved): refused unless
  the rule allows private addresses;
- public: allowed.

An IPv6 address carrying an IPv4 one is judged by the IPv4 address too: IPv4-mapped
(``::ffff:a.b.c.d``), IPv4-compatible (``::a.b.c.d``), NAT64 (``64:ff9b::/96``,
``64:ff9b:1::/48``), 6to4 (``2002::/16``) and Teredo (``2001::/32``). A zone index
(``fe80::1%eth0``) does not hide an address.

An ``Allowlist`` (the operator's ``TOCSIN_OUTBOUND_ALLOW``: networks, addresses and host
names) lets any address through except the never-called ones.

This module is a root module (stdlib only) so the domain (remediation, status page
webhooks) and the transport share one classification.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "METADATA_ADDRESSES",
    "METADATA_HOSTS",
    "Allowlist",
    "Kind",
    "Rule",
    "embedded_ipv4",
    "kind_of",
    "parse_ip",
]

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Cloud metadata and credential services: AWS/GCP/Azure/OpenStack/DigitalOcean/Oracle
#: (169.254.169.254, AWS's IPv6 fd00:ec2::254), AWS ECS task credentials (169.254.170.2),
#: EKS Pod Identity (169.254.170.23, fd00:ec2::23), Alibaba (100.100.100.200), Oracle
#: Cloud Classic (192.0.0.192).
METADATA_ADDRESSES = frozenset(
    {
        "169.254.169.254",
        "fd00:ec2::254",
        "169.254.170.2",
        "169.254.170.23",
        "fd00:ec2::23",
        "100.100.100.200",
        "192.0.0.192",
    }
)
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})
#: IPv6 prefixes that carry an IPv4 address in their last 32 bits: NAT64 (RFC 6052, and
#: RFC 8215's local use) and IPv4-compatible addresses (deprecated, ``::a.b.c.d``).
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_COMPATIBLE = ipaddress.IPv6Network("::/96")
#: IPv4-translated addresses (RFC 2765, ``::ffff:0:a.b.c.d``).
_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
#: Site-local addresses (deprecated by RFC 3879, still routed inside some networks).
_SITE_LOCAL = ipaddress.IPv6Network("fec0::/10")


class Kind(StrEnum):
    PUBLIC = "public"
    UNSPECIFIED = "unspecified"
    MULTICAST = "multicast"
    METADATA = "cloud metadata"
    LINK_LOCAL = "link-local"
    LOOPBACK = "loopback"
    PRIVATE = "private"
    #: Not globally reachable otherwise: CGNAT, documentation, benchmarking, reserved.
    OTHER = "not public"

    @property
    def never(self) -> bool:
        return self in (Kind.UNSPECIFIED, Kind.MULTICAST)

    @property
    def link_local(self) -> bool:
        return self in (Kind.METADATA, Kind.LINK_LOCAL)

    @property
    def private(self) -> bool:
        return self in (Kind.LOOPBACK, Kind.PRIVATE, Kind.OTHER)


def kind_of(ip: IP) -> Kind:
    """The address's own kind (not looking at an IPv4 address it may carry)."""
    if ip.is_unspecified:
        return Kind.UNSPECIFIED
    if ip.is_multicast:
        return Kind.MULTICAST
    if str(ip) in METADATA_ADDRESSES:
        return Kind.METADATA
    if ip.is_link_local:
        return Kind.LINK_LOCAL
    if ip.is_loopback:
        return Kind.LOOPBACK
    if ip.is_private or (isinstance(ip, ipaddress.IPv6Address) and ip in _SITE_LOCAL):
        return Kind.PRIVATE
    if not ip.is_global:
        return Kind.OTHER
    return Kind.PUBLIC


def _described(ip: IP, kind: Kind) -> str:
    if kind is Kind.METADATA:
        where = " (link-local)" if ip.is_link_local else ""
        return f"{ip} is a cloud metadata address{where}"
    if kind.never:
        return f"{ip} is not an address to call ({kind.value})"
    if kind is Kind.OTHER:
        return f"{ip} is not a public address"
    return f"{ip} is a {kind.value} address"


def embedded_ipv4(ip: IP) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 one leads to: IPv4-mapped (``::ffff:a.b.c.d``),
    IPv4-compatible (``::a.b.c.d``), IPv4-translated (``::ffff:0:a.b.c.d``), NAT64
    (``64:ff9b::a.b.c.d``), 6to4 (``2002:AABB:CCDD::``) and Teredo (its server and client
    addresses)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    low = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if (ip in _COMPATIBLE and int(ip) > 1) or ip in _TRANSLATED:  # not :: or ::1
        found.append(low)
    if any(ip in net for net in _NAT64):
        found.append(low)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found += list(ip.teredo)
    return found


def parse_ip(address: str) -> IP:
    """An IP address, brackets and zone index (``%eth0``) dropped; ValueError otherwise."""
    return ipaddress.ip_address(address.strip().strip("[]").split("%", 1)[0])


@dataclass(frozen=True)
class Allowlist:
    """Networks, addresses and host names the operator lets any outbound request reach."""

    networks: tuple[Network, ...] = ()
    #: Lower case, no trailing dot; ``*.corp.example``: any name under corp.example.
    hosts: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, entries: str | Iterable[str]) -> Allowlist:
        """From ``"10.0.0.0/8, 127.0.0.1, hooks.internal, *.corp.example"`` (ValueError
        naming the entry that is none of these)."""
        items = entries.split(",") if isinstance(entries, str) else list(entries)
        networks: list[Network] = []
        hosts: set[str] = set()
        for raw in items:
            entry = raw.strip().lower().rstrip(".")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            name = entry[2:] if entry.startswith("*.") else entry
            labels = name.split(".")
            if not all(label and _LABEL.issuperset(label) for label in labels) or "/" in entry:
                raise ValueError(
                    f"{raw.strip()!r} is not an address, a network (10.0.0.0/8) "
                    "or a host name (hooks.internal, *.corp.example)"
                )
            hosts.add(entry)
        return cls(tuple(networks), frozenset(hosts))

    def __bool__(self) -> bool:
        return bool(self.networks or self.hosts)

    def has_address(self, ip: IP) -> bool:
        return any(ip.version == net.version and ip in net for net in self.networks)

    def has_host(self, host: str) -> bool:
        name = host.lower().rstrip(".")
        if name in self.hosts:
            return True
        return any(h.startswith("*.") and name.endswith(h[1:]) for h in self.hosts)


_LABEL = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True)
class Rule:
    """What one kind of destination may reach. ``private``: loopback, private and other
    non-public addresses; ``link_local``: link-local and cloud metadata addresses;
    ``allow``: anything in it (never unspecified or multicast); ``explicit``: addresses
    allowed even when private (not link-local). The hints end a refusal: how to allow it."""

    private: bool = False
    link_local: bool = False
    allow: Allowlist = Allowlist()
    explicit: frozenset[str] = frozenset()
    private_hint: str = ""
    link_local_hint: str = ""

    def refusal(self, address: str) -> str | None:
        """Why ``address`` (an IP address) may not be called, or None."""
        try:
            ip = parse_ip(address)
        except ValueError:
            return f"{address!r} is not an IP address"
        return self._judge(ip)

    def _judge(self, ip: IP) -> str | None:
        kind = kind_of(ip)
        if kind.never:
            return _described(ip, kind)
        if self.allow.has_address(ip):
            return None
        inner = embedded_ipv4(ip)
        for carried in inner:
            reason = self._judge(carried)
            if reason is not None:
                return f"{ip} carries {carried}: {reason}"
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            return None  # the IPv4 address itself, judged above
        if kind.link_local and not self.link_local:
            return _described(ip, kind) + self.link_local_hint
        if kind.private and not (self.private or str(ip) in self.explicit):
            return _described(ip, kind) + self.private_hint
        return None

    def host_refusal(self, host: str) -> str | None:
        """Why the host named in a URL may not be called before resolving it: a literal
        address this rule refuses, or a cloud metadata service's name."""
        name = host.lower().rstrip(".").strip("[]")
        try:
            parse_ip(name)
        except ValueError:
            if name in METADATA_HOSTS and not self.link_local and not self.allow.has_host(name):
                return f"{name} is a cloud metadata service{self.link_local_hint}"
            return None
        return self.refusal(name)
