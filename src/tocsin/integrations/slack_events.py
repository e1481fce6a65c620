"""Slack's other inbound requests, read into plain values (their signatures are checked with
``slack_inbound.verify_slack_request`` first):

* a slash command (https://api.slack.com/interactivity/slash-commands): a form with
  ``command``, ``text``, ``user_id``, ``channel_id``, ``team_id``, ``response_url`` and
  ``trigger_id``;
* an Events API callback (https://api.slack.com/apis/events-api): JSON, either
  ``{"type": "url_verification", "challenge": ...}`` when the request URL is set, or
  ``{"type": "event_callback", "event_id": ..., "event": {...}}``; Tocsin reads
  ``reaction_added`` (``{"user", "reaction", "item": {"type": "message", "channel", "ts"}}``)
  and ``pin_added`` (``{"user", "channel_id", "item": {"type": "message", "message":
  {"text", "user", "ts"}}}``);
* a modal's submission (``view_submission``), in the interactivity form's ``payload``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson

from tocsin.integrations.slack_inbound import SlackRequestError

__all__ = [
    "MarkedMessage",
    "SlashCommand",
    "Submission",
    "parse_event",
    "parse_slash_command",
    "parse_submission",
    "slack_plain",
]


_MARKUP = re.compile(r"<([@#!])?([^<>|]+)(?:\|([^<>]*))?>")


def slack_plain(text: str) -> str:
    """Slack's message markup as plain text (https://api.slack.com/reference/surfaces/
    formatting#escaping): ``<@U123|ann>`` -> ``@ann``, ``<#C123|ops>`` -> ``#ops``,
    ``<!here>`` -> ``@here``, ``<https://x|docs>`` -> ``docs (https://x)``, and ``&amp;``,
    ``&lt;``, ``&gt;`` as the characters they stand for."""

    def one(match: re.Match[str]) -> str:
        sigil, target, label = match.group(1), match.group(2), match.group(3)
        if sigil == "@":
            return "@" + (label or target)
        if sigil == "#":
            return "#" + (label or target)
        if sigil == "!":
            return "@" + (label or target.split("^", 1)[0])
        return f"{label} ({target})" if label and label != target else target

    plain = _MARKUP.sub(one, text)
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@dataclass(frozen=True)
class SlashCommand:
    command: str
    text: str
    slack_user_id: str
    channel_id: str
    trigger_id: str | None


def _form(body: bytes) -> dict[str, str]:
    try:
        form = parse_qs(
            body.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=50
        )
    except (UnicodeDecodeError, ValueError):
        raise SlackRequestError("the body is not a UTF-8 form") from None
    return {k: v[0] for k, v in form.items() if v}


def parse_slash_command(body: bytes) -> SlashCommand:
    form = _form(body)
    missing = [k for k in ("command", "user_id", "channel_id") if not form.get(k)]
    if missing:
        raise SlackRequestError(f"the command lacks {', '.join(missing)}")
    return SlashCommand(
        command=form["command"],
        text=form.get("text", ""),
        slack_user_id=form["user_id"],
        channel_id=form["channel_id"],
        trigger_id=form.get("trigger_id") or None,
    )


@dataclass(frozen=True)
class MarkedMessage:
    """Someone marked a message (with a reaction, or by pinning it)."""

    how: str  # "reaction" or "pin"
    #: Who marked it.
    slack_user_id: str
    channel_id: str
    ts: str
    #: The emoji's name (reactions).
    reaction: str = ""
    #: The message, when the event carries it (pins).
    text: str | None = None
    author: str | None = None


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise SlackRequestError("the body is not JSON") from None
    if not isinstance(data, dict):
        raise SlackRequestError("the body is not a JSON object")
    return data


def parse_event(body: bytes) -> str | MarkedMessage | None:
    """A URL verification's challenge (str), a marked message, or None for events Tocsin
    does not act on."""
    data = _json(body)
    kind = data.get("type")
    if kind == "url_verification":
        challenge = data.get("challenge")
        if not isinstance(challenge, str):
            raise SlackRequestError("url_verification without a challenge")
        return challenge
    if kind != "event_callback":
        return None
    event = data.get("event")
    if not isinstance(event, dict):
        raise SlackRequestError("event_callback without an event")
    item = event.get("item") if isinstance(event.get("item"), dict) else {}
    assert isinstance(item, dict)
    user = event.get("user")
    if event.get("type") == "reaction_added" and item.get("type") == "message":
        channel, ts = item.get("channel"), item.get("ts")
        if not all(isinstance(v, str) and v for v in (user, channel, ts)):
            raise SlackRequestError("reaction_added lacks user, item.channel or item.ts")
        return MarkedMessage(
            "reaction", str(user), str(channel), str(ts), reaction=str(event.get("reaction", ""))
        )
    if event.get("type") == "pin_added" and item.get("type") == "message":
        message = item.get("message") if isinstance(item.get("message"), dict) else {}
        assert isinstance(message, dict)
        channel = event.get("channel_id") or item.get("channel")
        ts = message.get("ts") or item.get("ts")
        if not all(isinstance(v, str) and v for v in (user, channel, ts)):
            raise SlackRequestError("pin_added lacks user, channel_id or the message's ts")
        return MarkedMessage(
            "pin",
            str(user),
            str(channel),
            str(ts),
            text=str(message["text"]) if isinstance(message.get("text"), str) else None,
            author=str(message["user"]) if isinstance(message.get("user"), str) else None,
        )
    return None


@dataclass(frozen=True)
class Submission:
    """A modal Tocsin opened, submitted."""

    callback_id: str
    private_metadata: str
    slack_user_id: str
    #: block_id -> action_id -> the value typed or chosen.
    values: dict[str, dict[str, str]]


def _value(state: dict[str, Any]) -> str:
    selected = state.get("selected_option")
    if isinstance(selected, dict) and isinstance(selected.get("value"), str):
        return str(selected["value"])
    for key in ("value", "selected_user", "selected_conversation"):
        if isinstance(state.get(key), str):
            return str(state[key])
    return ""


def parse_submission(payload: dict[str, Any]) -> Submission:
    view = payload.get("view")
    user = payload.get("user")
    if not isinstance(view, dict) or not isinstance(user, dict) or not user.get("id"):
        raise SlackRequestError("view_submission lacks view or user")
    state = (view.get("state") or {}).get("values") or {}
    values = {
        block: {action: _value(v) for action, v in actions.items() if isinstance(v, dict)}
        for block, actions in state.items()
        if isinstance(actions, dict)
    }
    return Submission(
        callback_id=str(view.get("callback_id") or ""),
        private_metadata=str(view.get("private_metadata") or ""),
        slack_user_id=str(user["id"]),
        values=values,
    )
