"""An incident's Slack channel, made to match the incident (``domain/incident_rooms``).

One sync does, in order, only what is missing: create the channel (``conversations.create``)
and mark it as the incident's with its purpose (``Tocsin incident #12: ...``); if the name is
taken by a channel so marked (made by an interrupted sync) it is adopted, else the fallback
name (with the incident id) is used; tell the announce channel, set the topic when it
changed, invite who is not in yet (people without a Slack user id are found by email), post
the incident card and pin it, or update it when it changed (``chat.update``). Whatever was
done is kept in the returned state even when a later step fails, so the next sync carries
on from there.

The card is Block Kit: a header with severity and title, the status, roles and links, and
buttons whose ``value`` is the incident id: ``tocsin_ack`` (Acknowledge), ``tocsin_mitigate``
(Mitigated), ``tocsin_resolve`` (Resolve), ``tocsin_page`` (Page someone: a modal); only those
the status allows. Text from the incident is escaped for mrkdwn.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from tocsin.channels.slack_app import SlackApp, SlackCallError
from tocsin.channels.slack_dm import mrkdwn_escape
from tocsin.domain.drills import DRILL_TAG
from tocsin.domain.incident_rooms import (
    IncidentCard,
    RoomPost,
    RoomResult,
    RoomState,
    RoomWish,
    tried,
)

__all__ = ["card_blocks", "card_text", "post_text", "purpose", "sync_slack_room"]

_DOT = {"SEV1": "🔴", "SEV2": "🟠", "SEV3": "🟡", "SEV4": "🔵"}
MAX_SECTION = 3000
#: How a channel's purpose marks it as an incident's room.
MARK = "Tocsin incident #"


def _link(url: str | None, text: str) -> str | None:
    if not url or not url.startswith(("http://", "https://")):
        return None
    return f"<{url.replace('|', '%7C').replace('>', '%3E')}|{text}>"


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if style:
        out["style"] = style
    return out


def card_text(card: IncidentCard) -> str:
    """The card's fallback (notifications, screen readers); Slack reads it as mrkdwn too,
    so the title is escaped: it may come from an alert's labels."""
    return f"{card.severity} #{card.incident_id} {mrkdwn_escape(card.title)} ({card.status})"


def card_blocks(card: IncidentCard) -> list[dict[str, Any]]:
    header = f"{_DOT.get(card.severity, '')} {card.severity} · #{card.incident_id} {card.title}"
    fields = [f"*Status*\n{card.status.capitalize()}", f"*Severity*\n{card.severity}"]
    for role, names in card.roles.items():
        if names:
            fields.append(f"*{role}*\n{mrkdwn_escape(', '.join(names))}")
    if card.acknowledged_by:
        fields.append(f"*Acknowledged by*\n{mrkdwn_escape(card.acknowledged_by)}")
    if card.service:
        fields.append(f"*Service*\n{mrkdwn_escape(card.service)}")
    if card.alerts_firing:
        fields.append(f"*Alerts firing*\n{card.alerts_firing}")
    if card.next_update_at is not None and card.is_open:
        stamp = int(card.next_update_at.timestamp())
        fields.append(f"*Next update*\n<!date^{stamp}^{{time}}|{card.next_update_at:%H:%M} UTC>")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header[:150]}},
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f[:2000]} for f in fields[:10]],
        },
    ]
    if card.summary:
        summary = mrkdwn_escape(card.summary)
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": summary[:MAX_SECTION]}}
        )
    links = [
        link
        for link in (
            _link(card.link, "Open in Tocsin"),
            _link(card.runbook_url, "Runbook"),
            _link(card.dashboard_url, "Dashboard"),
        )
        if link
    ]
    if links:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(links)}]}
        )
    value = str(card.incident_id)
    buttons: list[dict[str, Any]] = []
    if card.status == "triggered":
        buttons.append(_button("Acknowledge", "tocsin_ack", value, "primary"))
    if card.status in ("triggered", "acknowledged"):
        buttons.append(_button("Mitigated", "tocsin_mitigate", value))
    if card.is_open:
        buttons.append(_button("Resolve", "tocsin_resolve", value))
        buttons.append(_button("Page someone", "tocsin_page", value))
    if buttons:
        blocks.append({"type": "actions", "block_id": "tocsin_incident", "elements": buttons})
    return blocks


class _Progress:
    def __init__(self, state: RoomState, deadline: float) -> None:
        self.state = state
        self.events: list[str] = []
        self.deadline = deadline

    def result(self) -> RoomResult:
        return RoomResult(self.state, tuple(self.events))

    def late(self) -> bool:
        return time.monotonic() >= self.deadline


class _OutOfTime(Exception):
    pass


def purpose(incident_id: int, title: str) -> str:
    """The channel's purpose, which also marks it as this incident's room."""
    return f"{MARK}{incident_id}: {title}"[:250]


def _is_ours(app: SlackApp, channel: dict[str, Any], wish: RoomWish) -> bool:
    """A channel made by Tocsin's app for this incident (an earlier sync's), as private as
    asked; anyone could name a channel so, or give it such a purpose."""
    text = str((channel.get("purpose") or {}).get("value") or "")
    return (
        text.startswith(f"{MARK}{wish.card.incident_id}:")
        and channel.get("creator") == app.bot_user_id()
        and bool(channel.get("is_private")) == wish.private
    )


#: The channel cannot be used any more: make a new one.
_GONE = frozenset({"is_archived", "channel_not_found", "not_in_channel", "channel_is_archived"})


def sync_slack_room(
    app: SlackApp, state: RoomState, wish: RoomWish, budget: float = 20.0
) -> RoomResult:
    """Make the channel match ``wish``, within about ``budget`` seconds (what is left is
    reported as ``more``)."""
    p = _Progress(state, time.monotonic() + budget)
    try:
        _channel(app, p, wish)
        _topic(app, p, wish)
        _invite(app, p, wish)
        _card(app, p, wish)
        _posts(app, p, wish)
    except _OutOfTime:
        return replace(p.result(), more=True)
    except SlackCallError as exc:
        if exc.error in _GONE and p.state.channel_id is not None:
            gone = p.state.channel_name
            p.state = p.state.gone()
            p.events.append(f"The Slack channel #{gone} is gone ({exc.error}): making a new one")
            return replace(p.result(), more=True)
        return p.result().failed(str(exc), retryable=exc.retryable, retry_after=exc.retry_after)
    return replace(p.result(), more=wish.more_posts)


def _make(app: SlackApp, name: str, wish: RoomWish) -> dict[str, Any] | None:
    """A new channel called ``name``, or the one an interrupted earlier sync made; None
    when the name belongs to another channel."""
    try:
        return app.create_channel(name, private=wish.private)
    except SlackCallError as exc:
        if exc.error != "name_taken":
            raise
    found = app.find_channel(name)
    return found if found is not None and _is_ours(app, found, wish) else None


def _channel(app: SlackApp, p: _Progress, wish: RoomWish) -> None:
    if p.state.channel_id:
        return
    channel = _make(app, wish.name, wish) or _make(app, wish.fallback_name, wish)
    if channel is None:
        raise SlackCallError(
            "conversations.create",
            f"#{wish.name} and #{wish.fallback_name} are other channels' names",
            retryable=False,
        )
    # Recorded at once: a failure after this carries on with this channel next time.
    p.state = replace(
        p.state, channel_id=str(channel["id"]), channel_name=str(channel["name"]), topic=None
    )
    p.events.append(f"Created Slack channel #{channel['name']}")
    if wish.announce:
        try:
            app.post(
                wish.announce,
                f"{wish.card.severity} incident #{wish.card.incident_id}: "
                f"{mrkdwn_escape(wish.card.title)}. Join <#{channel['id']}>.",
            )
        except SlackCallError as exc:
            p.events.append(f"Could not announce the channel in {wish.announce}: {exc.error}")


def _topic(app: SlackApp, p: _Progress, wish: RoomWish) -> None:
    channel = p.state.channel_id
    if p.state.topic == wish.topic or channel is None:
        return
    if p.state.topic is None:  # a new channel: mark it as the incident's first
        app.set_purpose(channel, purpose(wish.card.incident_id, wish.card.title))
    app.set_topic(channel, wish.topic)
    p.state = replace(p.state, topic=wish.topic)


def _invite(app: SlackApp, p: _Progress, wish: RoomWish) -> None:
    channel = p.state.channel_id
    assert channel is not None
    joined: list[str] = []
    todo = sorted(wish.to_invite(p.state).items())
    cut_short = False
    for done, (user, how) in enumerate(todo, 1):
        slack_id, email = how
        why = "no Slack id or email in Tocsin"
        if slack_id is None and email:
            slack_id = app.user_by_email(email)
            why = f"nobody in Slack has the email {email}"
        problem = app.invite(channel, slack_id) if slack_id is not None else why
        if problem is None:
            assert slack_id is not None
            joined.append(user)
            p.state = replace(p.state, members={**p.state.members, user: slack_id})
        else:
            p.state = replace(p.state, unknown={**p.state.unknown, user: tried(how)})
            p.events.append(f"Could not invite {user} to the channel: {problem}")
        if done < len(todo) and p.late():  # each sync gets at least one done
            cut_short = True
            break
    if joined:
        p.events.append("Invited " + ", ".join(joined) + " to the channel")
    if cut_short:
        raise _OutOfTime


def post_text(post: RoomPost, members: Mapping[str, str]) -> str:
    """A timeline entry as the room reads it."""
    text = mrkdwn_escape(post.text)
    tag = f"{DRILL_TAG} " if post.drill else ""
    if post.kind == "status-update":
        return f"*{tag}Update from {mrkdwn_escape(post.author)}*\n{text}"[:MAX_SECTION]
    mentions = " ".join(f"<@{members[u]}>" for u in post.mention if u in members)
    return f":alarm_clock: {tag}{mentions} {text}".replace("  ", " ")[:MAX_SECTION]


def _posts(app: SlackApp, p: _Progress, wish: RoomWish) -> None:
    channel = p.state.channel_id
    assert channel is not None
    owed = [post for post in wish.posts if post.event_id not in p.state.posted]
    for done, post in enumerate(owed, 1):
        app.post(channel, post_text(post, p.state.members))
        p.state = replace(p.state, posted=(*p.state.posted, post.event_id))
        if done < len(owed) and p.late():  # each sync gets at least one done
            raise _OutOfTime


def _card(app: SlackApp, p: _Progress, wish: RoomWish) -> None:
    channel = p.state.channel_id
    assert channel is not None
    digest = wish.card.digest()
    if p.state.card_hash == digest and p.state.card_ref:
        return
    text, blocks = card_text(wish.card), card_blocks(wish.card)
    if p.state.card_ref:
        try:
            app.update(channel, p.state.card_ref, text, blocks)
        except SlackCallError as exc:
            if exc.error != "message_not_found":
                raise
            p.state = replace(p.state, card_ref=None)  # deleted in Slack: post a new one
    if not p.state.card_ref:
        ts = app.post(channel, text, blocks)
        p.state = replace(p.state, card_ref=ts)
        try:
            app.pin(channel, ts)
        except SlackCallError as exc:  # the card is there; a missing pin is no reason to stop
            p.events.append(f"Could not pin the card: {exc.error}")
    p.state = replace(p.state, card_hash=digest)
