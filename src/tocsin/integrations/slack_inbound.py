"""Slack's inbound requests: request signing and ``block_actions`` interactions.

Slack signs each request with the app's signing secret
(https://api.slack.com/authentication/verifying-requests-from-slack):
``X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:" + X-Slack-Request-Timestamp + ":" +
raw body)>``, the timestamp in epoch seconds. A request older (or newer) than five minutes is
refused so a captured one cannot be replayed later.

A button press arrives form-encoded as ``payload=<JSON>`` with ``"type": "block_actions"``
(https://api.slack.com/reference/interaction-payloads/block-actions).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import orjson

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "SlackAction",
    "SlackRequestError",
    "block_action",
    "interaction_payload",
    "parse_interaction",
    "slack_signature",
    "verify_slack_request",
]

TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class SlackRequestError(ValueError):
    """The request is not a genuine, current request from Slack, or not one Tocsin can read."""


def slack_signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Slack-Signature`` Slack sends with ``body`` at ``timestamp``."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def verify_slack_request(
    signing_secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    tolerance: timedelta = timedelta(minutes=5),
) -> None:
    """Return if Slack sent ``body`` with these headers within ``tolerance`` of ``now``
    (timezone-aware); SlackRequestError saying why not otherwise. ``body`` is the raw body,
    byte for byte as received."""
    if not signing_secret:
        raise ValueError("the Slack signing secret is empty")
    lowered = {name.lower(): value for name, value in headers.items()}
    timestamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    signature = lowered.get(SIGNATURE_HEADER.lower(), "")
    missing = [
        name
        for name, value in ((TIMESTAMP_HEADER, timestamp), (SIGNATURE_HEADER, signature))
        if not value
    ]
    if missing:
        raise SlackRequestError(f"missing header {' and '.join(missing)}")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise SlackRequestError(f"{TIMESTAMP_HEADER} {timestamp[:40]!r} is not epoch seconds")
    age = (now - _EPOCH) - timedelta(seconds=int(timestamp))
    if age > tolerance:
        raise SlackRequestError(f"the request is too old ({age} > {tolerance}): a replay?")
    if -age > tolerance:
        raise SlackRequestError(f"the request is dated {-age} in the future (> {tolerance})")
    expected = slack_signature(signing_secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise SlackRequestError(f"{SIGNATURE_HEADER} does not match the body")


@dataclass(frozen=True)
class SlackAction:
    """One button press (or menu choice) on a message Tocsin posted."""

    action_id: str
    #: The button's value ("" for a button without one; a menu's selected option's value).
    value: str
    slack_user_id: str
    #: Where to post a reply or an updated message (valid for 30 minutes, 5 uses).
    response_url: str | None
    channel_id: str | None
    #: The ``ts`` of the message the button is on.
    message_ts: str | None
    #: Lets the app open a modal in answer (valid for 3 seconds).
    trigger_id: str | None = None


def interaction_payload(body: bytes) -> dict[str, Any]:
    """The JSON ``payload`` of an interactivity request, which has a ``type``."""
    try:
        form = parse_qs(
            body.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=20
        )
    except (UnicodeDecodeError, ValueError):
        raise SlackRequestError("the body is not a UTF-8 form") from None
    fields = form.get("payload", [])
    if len(fields) != 1:
        raise SlackRequestError("the body has no single payload field")
    try:
        payload = orjson.loads(fields[0])
    except orjson.JSONDecodeError:
        raise SlackRequestError("payload is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        raise SlackRequestError("payload is not an object with a type")
    return payload


def parse_interaction(body: bytes) -> SlackAction | None:
    """The first action of a ``block_actions`` interaction; None for other interaction types
    (view submissions, shortcuts ...); SlackRequestError if the body is not an interaction
    payload or lacks what a ``block_actions`` one always has."""
    return block_action(interaction_payload(body))


def block_action(payload: dict[str, Any]) -> SlackAction | None:
    if payload["type"] != "block_actions":
        return None
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise SlackRequestError("payload.actions is not a non-empty list of objects")
    action: dict[str, Any] = actions[0]
    container = _object(payload, "container")
    return SlackAction(
        action_id=_required(action, "action_id", "payload.actions[0]"),
        value=_action_value(action),
        slack_user_id=_required(_object(payload, "user"), "id", "payload.user"),
        response_url=_optional(payload, "response_url"),
        channel_id=_optional(_object(payload, "channel"), "id")
        or _optional(container, "channel_id"),
        message_ts=_optional(_object(payload, "message"), "ts")
        or _optional(container, "message_ts"),
        trigger_id=_optional(payload, "trigger_id"),
    )


def _action_value(action: dict[str, Any]) -> str:
    value = action.get("value")
    if value is None:
        selected = action.get("selected_option")
        value = selected.get("value") if isinstance(selected, dict) else None
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SlackRequestError("payload.actions[0].value is not a string")
    return value


def _object(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SlackRequestError(f"payload.{key} is not an object")
    return value


def _required(parent: dict[str, Any], key: str, where: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str) or not value:
        raise SlackRequestError(f"{where}.{key} is missing")
    return value


def _optional(parent: dict[str, Any], key: str) -> str | None:
    value = parent.get(key)
    return value if isinstance(value, str) and value else None
