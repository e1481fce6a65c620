"""Which addresses a status page webhook may be sent to.

Anyone an administrator lets subscribe a webhook makes Tocsin POST to an address of their
choosing, from inside the network Tocsin runs in: without a rule it is a way to reach the
loopback interface, the cloud's metadata service (169.254.169.254) or the private network
(server-side request forgery). So, unless the operator allows more, a webhook goes only to
a public (globally routable) unicast address; ``refusal`` says why another is not. The
classification is every outbound request's (``tocsin.outbound_rules``).
"""

from __future__ import annotations

from tocsin.outbound_rules import Rule

__all__ = ["refusal"]

_PUBLIC_ONLY = Rule()


def refusal(address: str) -> str | None:
    """Why a webhook may not go to IP ``address`` (None: it may): loopback, link-local,
    cloud metadata, private, multicast, unspecified, reserved or otherwise not global. An
    IPv4 address inside IPv6 (``::ffff:127.0.0.1``, NAT64, 6to4, Teredo) counts as the IPv4
    one."""
    return _PUBLIC_ONLY.refusal(address)
