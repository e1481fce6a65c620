"""What every channel is given and what it answers: the shared contract of ``channels/``.

A ``Notification`` is a group's state at one tick, after muting: the alerts to report (firing
and not-yet-reported resolved ones) and the group they belong to. A ``Channel`` turns it into
one vendor's wire format and sends it; it reports how that went as a ``SendResult`` and never
raises for a failure of the far end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

import httpx

from tocsin.channels.webhook_payload import PayloadAlert
from tocsin.outbound import Refused, TooLarge
from tocsin.redaction import redact

__all__ = [
    "Channel",
    "ChannelSpec",
    "Notification",
    "PayloadAlert",
    "SendResult",
    "post_json",
    "transport_failure",
]


@dataclass(frozen=True)
class Notification:
    receiver: str
    group_key: str
    group_labels: Mapping[str, str]
    alerts: Sequence[PayloadAlert]
    #: Tocsin's own address (Alertmanager's ``ExternalURL``), for links back.
    external_url: str
    #: Why it is sent: Alertmanager's ``notification_reason`` ("first notification", ...).
    reason: str = ""
    #: When it is being sent (the engine's clock; channels never read the wall clock).
    sent_at: datetime | None = None

    @property
    def firing(self) -> list[PayloadAlert]:
        return [a for a in self.alerts if a.firing]

    @property
    def resolved(self) -> list[PayloadAlert]:
        return [a for a in self.alerts if not a.firing]

    @property
    def status(self) -> str:
        return "firing" if self.firing else "resolved"


@dataclass(frozen=True)
class SendResult:
    """How one delivery attempt went. ``retryable`` failures are tried again with backoff;
    the others (a 4xx: the request itself is wrong) wait for the group's next change."""

    ok: bool
    retryable: bool = False
    status_code: int | None = None
    error: str | None = None
    #: Anything worth keeping from the answer (e.g. Slack's message ts).
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def success(cls, status_code: int | None = None, **details: Any) -> SendResult:
        return cls(ok=True, status_code=status_code, details=details)

    @classmethod
    def failure(
        cls, error: str, *, retryable: bool = True, status_code: int | None = None
    ) -> SendResult:
        # No secret in a stored error, even one the far end echoed (docs/security.md#secrets).
        text = redact(error)[:2000]
        return cls(ok=False, retryable=retryable, status_code=status_code, error=text)

    @classmethod
    def from_response(cls, response: httpx.Response) -> SendResult:
        """Alertmanager's rule: 2xx is success, 5xx and 429 are retried, other 4xx are not."""
        if response.is_success:
            return cls.success(response.status_code)
        code = response.status_code
        body = response.text[:500]
        return cls.failure(
            f"HTTP {code}: {body}".strip(),
            retryable=code >= 500 or code == 429,
            status_code=code,
        )


class Channel(Protocol):
    """One configured integration of a receiver (e.g. ``webhook_configs[0]``)."""

    #: The configuration key it comes from, e.g. "webhook_configs".
    kind: ClassVar[str]
    #: Whether resolved alerts are reported (Alertmanager's ``send_resolved``).
    send_resolved: bool

    def send(self, notification: Notification, client: httpx.Client) -> SendResult:
        """Deliver once. Network errors are returned as retryable failures, not raised."""
        ...


@dataclass(frozen=True)
class ChannelSpec:
    """A configured integration as the pipeline knows it: receiver, name and channel."""

    receiver: str
    #: Unique within the receiver, Alertmanager's ``<kind>[<index>]`` e.g. "webhook[0]".
    name: str
    channel: Channel


def transport_failure(exc: httpx.HTTPError, blank: Callable[[str], str] = str) -> SendResult:
    """A request that got no usable answer, its text passed through ``blank`` (secrets out):
    refused by the outbound guard, or an answer too large (not retried: the same would
    happen again), or a transport failure (connection refused, timeout, TLS: retried)."""
    if isinstance(exc, Refused):
        return SendResult.failure(blank(f"refused: {exc}"), retryable=False)
    text = blank(f"{type(exc).__name__}: {exc}".rstrip(": "))
    return SendResult.failure(text, retryable=not isinstance(exc, TooLarge))


def post_json(
    client: httpx.Client,
    url: str,
    body: Any,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    answer: Callable[[httpx.Response], SendResult] = SendResult.from_response,
    secret: str = "",
    follow_redirects: bool | None = None,
) -> SendResult:
    """POST a JSON body and read the answer with ``answer``; a request that got no answer is
    a ``transport_failure``, with ``secret`` (e.g. a token in the URL) blanked. Redirects
    are followed when ``follow_redirects`` (each hop checked by the guarded client)."""
    try:
        response = client.post(
            url,
            json=body,
            headers=dict(headers or {}),
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            follow_redirects=(
                follow_redirects if follow_redirects is not None else httpx.USE_CLIENT_DEFAULT
            ),
        )
    except httpx.HTTPError as exc:
        return transport_failure(exc, lambda t: t.replace(secret, "<secret>") if secret else t)
    return answer(response)
