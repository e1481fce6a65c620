"""Status page webhooks go only to public addresses (``domain.status_webhooks``), checked
when a subscriber is added and again at each send.

At send time the host is resolved once, every address it resolves to is checked, and the
request goes to the checked address itself (the URL's host in the ``Host`` header and, for
https, in TLS's server name and certificate check): a name that resolved to a public
address when it was checked cannot resolve to a private one when connecting (DNS
rebinding). Redirects are never followed. ``allow_private`` (the setting
``TOCSIN_STATUS_WEBHOOKS_ALLOW_PRIVATE``) turns all of this off for a self-hosted setup
whose receivers are on its own network.

Other outbound calls use the same guard with their own rule: ``refusal`` says why an
address may not be called (remediation actions: ``domain.remediation.address_refusal``,
which refuses link-local and cloud metadata addresses but may allow private ones). With a
rule of its own the guard always checks and pins.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tocsin.domain.status_webhooks import refusal

__all__ = ["SETTING", "Refusal", "Refused", "Resolver", "Target", "WebhookGuard", "system_resolver"]

#: The environment variable that allows private addresses.
SETTING = "TOCSIN_STATUS_WEBHOOKS_ALLOW_PRIVATE"
#: host, port -> the IP addresses it resolves to (raises OSError when it does not).
Resolver = Callable[[str, int], list[str]]
#: IP address -> why it may not be called, or None.
Refusal = Callable[[str], str | None]


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Target:
    """Where to send: the URL to connect to and what goes with it."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)


class Refused(Exception):
    """The address may not be sent to; the message says why."""


def _status_refusal(address: str) -> str | None:
    reason = refusal(address)
    return None if reason is None else f"{reason}; set {SETTING}=true to allow private addresses"


class WebhookGuard:
    def __init__(
        self,
        allow_private: bool,
        resolve: Resolver = system_resolver,
        *,
        refusal: Refusal | None = None,
    ) -> None:
        self.allow_private = allow_private and refusal is None
        self.resolve = resolve
        self.refusal = refusal or _status_refusal

    def _addresses(self, url: httpx.URL) -> list[str]:
        host = url.host
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        port = url.port or (443 if url.scheme == "https" else 80)
        return self.resolve(host, port)

    def _check(self, addresses: list[str]) -> None:
        if not addresses:
            raise Refused("the host has no address")
        for address in addresses:
            reason = self.refusal(address)
            if reason is not None:
                raise Refused(reason)

    def problem(self, url: str) -> str | None:
        """When a subscriber is added: why ``url`` may not be sent to, or None. A host that
        does not resolve now is let through (it is checked again at each send)."""
        if self.allow_private:
            return None
        try:
            addresses = self._addresses(httpx.URL(url))
        except (OSError, UnicodeError, httpx.InvalidURL):
            return None
        try:
            self._check(addresses)
        except Refused as exc:
            return str(exc)
        return None

    def target(self, url: str) -> Target:
        """At send time: where to connect for ``url``, pinned to a checked address.
        Raises ``Refused``, or OSError when the host does not resolve."""
        if self.allow_private:
            return Target(url)
        parsed = httpx.URL(url)
        addresses = self._addresses(parsed)
        self._check(addresses)
        host = parsed.host
        pinned = parsed.copy_with(host=addresses[0])
        headers = {"Host": parsed.netloc.decode("ascii")}
        extensions: dict[str, Any] = {}
        if parsed.scheme == "https":
            extensions["sni_hostname"] = host
        return Target(str(pinned), headers, extensions)
