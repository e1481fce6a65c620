"""Which addresses a status page webhook may be sent to.

Anyone an administrator lets subscribe a webhook makes Tocsin POST to an address of their
choosing, from inside the network Tocsin runs in: without a rule it is a way to reach the
loopback interface, the cloud's metadata service (169.254.169.254) or the private network
(server-side request forgery). So, unless the operator allows private addresses (a
self-hosted setup whose receivers are on the private network), a webhook goes only to a
public (globally routable) unicast address; ``refusal`` says why another is not.
"""

from __future__ import annotations

import ipaddress

__all__ = ["refusal"]


def refusal(address: str) -> str | None:
    """Why a webhook may not go to IP ``address`` (None: it may): loopback, link-local,
    private, multicast, unspecified, reserved or otherwise not global. An IPv4 address
    inside IPv6 (``::ffff:127.0.0.1``) counts as the IPv4 one."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is not None:
            return refusal(str(inner))
    for kind, test in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if test:
            return f"{ip} is a {kind} address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None
