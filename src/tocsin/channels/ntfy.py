"""Push notifications through ntfy (https://ntfy.sh or a self-hosted server); the address is
the topic the person's phone subscribes to.

The message is published as JSON to the server's root URL::

    {"topic": "...", "title": "<subject>", "message": "<body>", "priority": 5,
     "tags": ["rotating_light"], "click": "<link>",
     "actions": [{"action": "http", "label": "Acknowledge", "url": "...", "method": "POST",
                  "clear": true},
                 {"action": "view", "label": "Open", "url": "..."}]}

Priority 5 (urgent: overrides do-not-disturb on Android) for ``urgency: high``, else 3. Tags
(shown as emoji): ``rotating_light`` for pages, ``white_check_mark`` for ``resolved``,
``bell`` otherwise. Ack and resolve links become ``http`` buttons that POST from the phone (the
links are signed and act on POST); ``open`` becomes a ``view`` button; ntfy shows at most
three. Auth: an access token (Bearer) or a username and password (Basic).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx

from tocsin.channels.contact import Action, ContactMethod, PersonalMessage
from tocsin.channels.notification import SendResult, transport_failure

__all__ = ["NTFY_URL", "NtfySender"]

NTFY_URL = "https://ntfy.sh"
#: ntfy turns a longer message into an attachment.
MAX_MESSAGE_BYTES = 4096
MAX_ACTIONS = 3
TAGS = {"page": "rotating_light", "resolved": "white_check_mark"}


def _action(action: Action) -> dict[str, Any]:
    if action.kind in ("ack", "resolve"):
        return {
            "action": "http",
            "label": action.label,
            "url": action.url,
            "method": "POST",
            "clear": True,
        }
    return {"action": "view", "label": action.label, "url": action.url}


def _cut_bytes(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


@dataclass(frozen=True)
class NtfySender:
    method: ClassVar[ContactMethod] = ContactMethod.PUSH
    base_url: str = NTFY_URL
    token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    #: Seconds; None uses the client's.
    timeout: float | None = None

    def headers(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.username:
            pair = f"{self.username}:{self.password or ''}".encode()
            return {"Authorization": f"Basic {base64.b64encode(pair).decode()}"}
        return {}

    def body(self, topic: str, message: PersonalMessage) -> dict[str, Any]:
        body: dict[str, Any] = {
            "topic": topic,
            "title": message.subject,
            "message": _cut_bytes(message.body or message.subject, MAX_MESSAGE_BYTES),
            "priority": 5 if message.urgency == "high" else 3,
            "tags": [TAGS.get(message.kind, "bell")],
        }
        if message.link:
            body["click"] = message.link
        actions = [_action(a) for a in message.actions[:MAX_ACTIONS]]
        if actions:
            body["actions"] = actions
        return body

    def send(self, address: str, message: PersonalMessage, client: httpx.Client) -> SendResult:
        try:
            response = client.post(
                self.base_url.rstrip("/") + "/",
                json=self.body(address, message),
                headers=self.headers(),
                timeout=self.timeout if self.timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            return transport_failure(exc, self._blank)
        if response.is_success:
            return SendResult.success(response.status_code, id=_answer(response).get("id"))
        result = SendResult.from_response(response)
        return SendResult.failure(
            self._blank(result.error or ""),
            retryable=result.retryable,
            status_code=result.status_code,
        )

    def _blank(self, text: str) -> str:
        for secret in (self.token, self.password):
            if secret:
                text = text.replace(secret, "<secret>")
        return text


def _answer(response: httpx.Response) -> Mapping[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, Mapping) else {}
