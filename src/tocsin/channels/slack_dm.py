"""A message to one person in Slack, posted by Tocsin's Slack app (a bot token) with
``chat.postMessage``; the address is a user id (``U123``: a DM from the app) or a channel.

The message is a Block Kit section (the subject in bold, then the body, escaped for mrkdwn so
that text cannot ping ``<!channel>`` or forge a link) and, for an incident, buttons:
``Acknowledge`` (``action_id`` ``tocsin_ack``, primary) and ``Resolve`` (``tocsin_resolve``),
whose ``value`` is the incident id, and ``Open in Tocsin`` (a link button, ``tocsin_open``).
A ``resolved`` message has no ack/resolve buttons. ``text`` carries the subject as the
notification's fallback.

Answers are read as the Slack receiver's (``slack``): ``ratelimited`` and Slack's own
errors are retried, the rest (``channel_not_found``, ``invalid_auth``...) are not; ``ts``
and ``channel`` are kept in the result's details.
"""

from __future__ import annotations

import http.client
from typing import Any, ClassVar

import httpx
from slack_sdk.errors import SlackApiError, SlackClientError

from tocsin.channels.contact import ContactMethod, PersonalMessage
from tocsin.channels.notification import SendResult
from tocsin.channels.slack import DEFAULT_TIMEOUT, SLACK_API
from tocsin.channels.slack import _api_answer as api_answer
from tocsin.channels.slack import _api_base as api_base
from tocsin.channels.slack_web import SlackWebClient

__all__ = ["SlackDirect", "blocks"]

#: Slack's limit for a section's text.
MAX_SECTION = 3000


def mrkdwn_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _button(text: str, action_id: str, **extra: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        **extra,
    }


def blocks(message: PersonalMessage) -> list[dict[str, Any]]:
    text = f"*{mrkdwn_escape(message.subject)}*"
    if message.body:
        text += "\n" + mrkdwn_escape(message.body)
    if len(text) > MAX_SECTION:
        text = text[: MAX_SECTION - 1] + "…"
    out: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    buttons: list[dict[str, Any]] = []
    if message.incident_id is not None and message.kind != "resolved":
        value = str(message.incident_id)
        buttons.append(_button("Acknowledge", "tocsin_ack", value=value, style="primary"))
        buttons.append(_button("Resolve", "tocsin_resolve", value=value))
    if message.link:
        buttons.append(_button("Open in Tocsin", "tocsin_open", url=message.link))
    if buttons:
        out.append({"type": "actions", "elements": buttons})
    return out


class SlackDirect:
    method: ClassVar[ContactMethod] = ContactMethod.SLACK

    def __init__(
        self, bot_token: str, api_url: str = SLACK_API, timeout: float | None = None
    ) -> None:
        self._token = bot_token
        self.bot = SlackWebClient(bot_token, api_base(api_url), timeout or DEFAULT_TIMEOUT)

    def __repr__(self) -> str:
        return f"SlackDirect(api_url={self.bot.base_url!r})"

    def send(self, address: str, message: PersonalMessage, client: httpx.Client) -> SendResult:
        try:
            response = self.bot.chat_postMessage(
                channel=address,
                text=mrkdwn_escape(message.subject),
                blocks=blocks(message),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            answer = exc.response
            return self._blank(api_answer(int(answer.status_code), answer.data))
        except (SlackClientError, OSError, http.client.HTTPException) as exc:
            return self._blank(SendResult.failure(f"{type(exc).__name__}: {exc}".rstrip(": ")))
        return self._blank(api_answer(response.status_code, response.data))

    def _blank(self, result: SendResult) -> SendResult:
        if result.error and self._token and self._token in result.error:
            return SendResult.failure(
                result.error.replace(self._token, "<secret>"),
                retryable=result.retryable,
                status_code=result.status_code,
            )
        return result
