"""Status page webhooks go only to public addresses: a subscriber's URL is chosen by whoever
adds it, so it is guarded as any URL a user gives (``tocsin.outbound``, ``Trust.USER``).

It is checked when the subscriber is added (``problem``) and again at every connection:
the host is resolved once, every address checked, and the connection made to a checked
address (no DNS rebinding); redirects are not followed. ``TOCSIN_OUTBOUND_ALLOW`` lists
networks and hosts they may reach anyway; ``allow_private`` (the setting
``TOCSIN_STATUS_WEBHOOKS_ALLOW_PRIVATE``) lets them reach loopback and private addresses,
never link-local or cloud metadata ones (unless listed).
"""

from __future__ import annotations

from tocsin.outbound import ALLOW_SETTING, Guard, Refused, Resolver, system_resolver
from tocsin.outbound_rules import Allowlist, Rule

__all__ = ["SETTING", "WebhookGuard"]

#: The environment variable that allows private addresses.
SETTING = "TOCSIN_STATUS_WEBHOOKS_ALLOW_PRIVATE"
_HINT = (
    f"status page webhooks go to public addresses only: list others in {ALLOW_SETTING}, "
    f"or set {SETTING}=true to allow private ones"
)


class WebhookGuard(Guard):
    def __init__(
        self,
        allow_private: bool,
        resolve: Resolver = system_resolver,
        *,
        allow: Allowlist = Allowlist(),
    ) -> None:
        super().__init__(Rule(private=allow_private, allow=allow), resolve)

    def addresses(self, host: str, port: int, timeout: float | None = None) -> list[str]:
        try:
            return super().addresses(host, port, timeout)
        except Refused as exc:
            raise Refused(f"{exc}; {_HINT}") from None
