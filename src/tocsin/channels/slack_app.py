"""Tocsin's Slack app (``paging.slack``: a bot token and a signing secret) as the incident
workflow uses it: channels, topics, invitations, cards, and the people behind Slack user ids.

Every method is one Web API call through slack_sdk (``base_url`` is ``api_url``, so tests
point it at a local server; its HTTP is Tocsin's guarded client, ``slack_web``) and raises
``SlackCallError`` for ``{"ok": false}``, with ``retryable`` set for rate limits, Slack's
own failures and transport errors. slack_sdk's own retry handlers are off: the engine
retries, with backoff, from what was recorded.

Scopes the app needs: ``channels:manage`` (``groups:write`` for private channels),
``channels:read``, ``chat:write``, ``users:read``, ``users:read.email``, ``pins:write``,
``channels:history`` (to read a message someone marked as a note), ``commands``.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from tocsin.channels.slack import DEFAULT_TIMEOUT, RETRYABLE_ERRORS, SLACK_API
from tocsin.channels.slack import _api_base as api_base
from tocsin.channels.slack_web import SlackWebClient

__all__ = ["SlackApp", "SlackCallError"]

#: How long a Slack user's email (or an email's user) is remembered.
PEOPLE_TTL = 600.0


#: Pages of conversations.list read looking for a channel by name (200 channels each).
MAX_LIST_PAGES = 10
#: Errors inviting one person that are about that person, not the channel or the app.
PERSON_ERRORS = frozenset(
    {"user_not_found", "cant_invite", "cant_invite_self", "user_is_restricted",
     "user_is_ultra_restricted", "ura_max_channels", "user_team_not_in_channel",
     "missing_scope_for_user", "no_user"}
)  # fmt: skip


class SlackCallError(Exception):
    def __init__(
        self, method: str, error: str, *, retryable: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(f"Slack {method}: {error}")
        self.method = method
        self.error = error
        self.retryable = retryable
        #: Slack's Retry-After (seconds) on a rate limit.
        self.retry_after = retry_after


class SlackApp:
    def __init__(
        self,
        bot_token: str,
        signing_secret: str | None,
        api_url: str = SLACK_API,
        timeout: float | None = None,
    ) -> None:
        self._token = bot_token
        self.signing_secret = signing_secret
        self.client = SlackWebClient(bot_token, api_base(api_url), timeout or DEFAULT_TIMEOUT)
        self._people: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SlackApp(api_url={self.client.base_url!r})"

    def call(self, method: str, fn: Callable[..., SlackResponse], **kwargs: Any) -> Any:
        """``fn(**kwargs)``'s data; SlackCallError when Slack says no or cannot be reached."""
        try:
            response = fn(**kwargs)
        except SlackApiError as exc:
            status = int(exc.response.status_code)
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            error = str(data.get("error") or f"HTTP {status}")
            retryable = status >= 500 or status == 429 or error in RETRYABLE_ERRORS
            wait = exc.response.headers.get("Retry-After") or exc.response.headers.get(
                "retry-after"
            )
            retry_after = float(wait) if wait and str(wait).isdigit() else None
            raise SlackCallError(
                method, error, retryable=retryable, retry_after=retry_after
            ) from None
        except (SlackClientError, OSError, http.client.HTTPException) as exc:
            text = f"{type(exc).__name__}: {exc}".rstrip(": ").replace(self._token, "<secret>")
            raise SlackCallError(method, text, retryable=True) from None
        return response.data

    # -- channels ----------------------------------------------------------------------------

    def create_channel(self, name: str, *, private: bool = False) -> dict[str, Any]:
        data = self.call(
            "conversations.create",
            self.client.conversations_create,
            name=name,
            is_private=private,
        )
        return dict(data["channel"])

    def find_channel(self, name: str) -> dict[str, Any] | None:
        """The unarchived channel called ``name`` the app can see, if any."""
        cursor: str | None = None
        for _ in range(MAX_LIST_PAGES):
            data = self.call(
                "conversations.list",
                self.client.conversations_list,
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=200,
                cursor=cursor,
            )
            for channel in data.get("channels", ()):
                if channel.get("name") == name:
                    return dict(channel)
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        return None

    def set_purpose(self, channel: str, purpose: str) -> None:
        self.call(
            "conversations.setPurpose",
            self.client.conversations_setPurpose,
            channel=channel,
            purpose=purpose,
        )

    def set_topic(self, channel: str, topic: str) -> None:
        self.call(
            "conversations.setTopic",
            self.client.conversations_setTopic,
            channel=channel,
            topic=topic,
        )

    def invite(self, channel: str, user: str) -> str | None:
        """Invite one person (one call each: without ``force``, one problem user fails the
        whole call). None when they are in; why not when the problem is theirs (no such
        user, a guest ...); SlackCallError for the rest."""
        try:
            self.call(
                "conversations.invite",
                self.client.conversations_invite,
                channel=channel,
                users=[user],
            )
        except SlackCallError as exc:
            if exc.error == "already_in_channel":
                return None
            if exc.error in PERSON_ERRORS:
                return exc.error
            raise
        return None

    def bot_user_id(self) -> str:
        """The app's own Slack user (``auth.test``)."""

        def find() -> str | None:
            return str(self.call("auth.test", self.client.auth_test)["user_id"])

        found = self._remembered("bot", find)
        assert found is not None
        return found

    def whisper(self, channel: str, user: str, text: str) -> None:
        """A message only ``user`` sees (``chat.postEphemeral``)."""
        self.call(
            "chat.postEphemeral",
            self.client.chat_postEphemeral,
            channel=channel,
            user=user,
            text=text,
        )

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None) -> str:
        """Post a message; its ts."""
        data = self.call(
            "chat.postMessage",
            self.client.chat_postMessage,
            channel=channel,
            text=text,
            blocks=blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(data["ts"])

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self.call(
            "chat.update", self.client.chat_update, channel=channel, ts=ts, text=text, blocks=blocks
        )

    def pin(self, channel: str, ts: str) -> None:
        try:
            self.call("pins.add", self.client.pins_add, channel=channel, timestamp=ts)
        except SlackCallError as exc:
            if exc.error != "already_pinned":
                raise

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The message at ``ts`` in ``channel`` (for a reaction that marks it a note)."""
        data = self.call(
            "conversations.history",
            self.client.conversations_history,
            channel=channel,
            latest=ts,
            inclusive=True,
            limit=1,
        )
        for message in data.get("messages", ()):
            if message.get("ts") == ts:
                return dict(message)
        # A reply in a thread is not in the channel's history; replies takes any message
        # of a thread, the reply itself included.
        try:
            thread = self.call(
                "conversations.replies",
                self.client.conversations_replies,
                channel=channel,
                ts=ts,
                limit=200,
            )
        except SlackCallError as exc:
            if exc.error == "thread_not_found":
                return None
            raise
        for message in thread.get("messages", ()):
            if message.get("ts") == ts:
                return dict(message)
        return None

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        self.call("views.open", self.client.views_open, trigger_id=trigger_id, view=view)

    # -- people ------------------------------------------------------------------------------

    def _remembered(self, key: str, find: Callable[[], str | None]) -> str | None:
        now = time.monotonic()
        with self._lock:
            hit = self._people.get(key)
        if hit is not None and now - hit[0] < PEOPLE_TTL:
            return hit[1]
        value = find()
        with self._lock:
            self._people[key] = (now, value)
        return value

    def user_by_email(self, email: str) -> str | None:
        """The Slack user id with this email; None when Slack has nobody by it."""

        def find() -> str | None:
            try:
                data = self.call(
                    "users.lookupByEmail", self.client.users_lookupByEmail, email=email
                )
            except SlackCallError as exc:
                if exc.error == "users_not_found":
                    return None
                raise
            return str(data["user"]["id"])

        return self._remembered("email:" + email.lower(), find)

    def email_of(self, slack_user_id: str) -> str | None:
        """The email on a Slack user's profile (None: none, or no such user)."""

        def find() -> str | None:
            try:
                data = self.call("users.info", self.client.users_info, user=slack_user_id)
            except SlackCallError as exc:
                if exc.error == "user_not_found":
                    return None
                raise
            email = (data.get("user", {}).get("profile") or {}).get("email")
            return str(email) if email else None

        return self._remembered("user:" + slack_user_id, find)
