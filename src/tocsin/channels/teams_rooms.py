"""An incident's card in Microsoft Teams, through an incoming webhook or a Workflows URL
(``incidents.teams.webhook_url``).

The card is an Adaptive Card (1.4) in the Workflows envelope, which both Workflows and the
newer incoming webhooks take: a heading with severity and title (red while triggered,
amber while acknowledged or mitigated, green once resolved), the summary, a fact set
(status, severity, roles, service, next update) and buttons that open the incident, its
runbook and its dashboard.

Neither an incoming webhook nor a Workflows trigger can edit a message it posted (that
takes a bot registered with the Bot Framework), so "keeping the card updated" means
posting the card again whenever what it shows changes, and never when it does not: the
channel reads as the incident's history, newest card last.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx

from tocsin.channels.msteams import ADAPTIVE_CARD, teams_answer
from tocsin.channels.notification import transport_failure
from tocsin.domain.drills import DRILL_TAG
from tocsin.domain.incident_rooms import IncidentCard, RoomResult, RoomState, RoomWish

__all__ = ["sync_teams_room", "teams_card"]

_COLOR = {"triggered": "Attention", "resolved": "Good"}


def _plain(text: str) -> str:
    """Text from an incident (or an alert's labels) for a TextBlock, which reads Markdown:
    ``[Open](https://elsewhere)`` must not become a link, so ``](`` is broken apart."""
    return text.replace("](", "]\u200b(")


def _open(title: str, url: str | None) -> dict[str, Any] | None:
    if not url or not url.startswith(("http://", "https://")):
        return None
    return {"type": "Action.OpenUrl", "title": title, "url": url}


def teams_card(card: IncidentCard) -> dict[str, Any]:
    facts = [
        {"title": "Status", "value": card.status.capitalize()},
        {"title": "Severity", "value": card.severity},
    ]
    facts += [{"title": role, "value": ", ".join(names)} for role, names in card.roles.items()]
    if card.acknowledged_by:
        facts.append({"title": "Acknowledged by", "value": card.acknowledged_by})
    if card.service:
        facts.append({"title": "Service", "value": card.service})
    if card.next_update_at is not None and card.is_open:
        stamp = card.next_update_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        facts.append({"title": "Next update", "value": f"{{{{TIME({stamp})}}}}"})
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": f"{card.severity} · #{card.incident_id} {_plain(card.title)}",
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
            "style": "heading",
            "color": _COLOR.get(card.status, "Warning"),
        }
    ]
    if card.summary:
        body.append({"type": "TextBlock", "text": _plain(card.summary), "wrap": True})
    body.append({"type": "FactSet", "facts": facts})
    actions = [
        a
        for a in (
            _open("Open in Tocsin", card.link),
            _open("Runbook", card.runbook_url),
            _open("Dashboard", card.dashboard_url),
        )
        if a
    ]
    content: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "msteams": {"width": "full"},
    }
    if actions:
        content["actions"] = actions
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": content}],
    }


def _send(client: httpx.Client, url: str, body: dict[str, Any]) -> None:
    """Post ``body``; _Failed saying why Teams did not take it."""
    try:
        response = client.post(url, json=body)
    except httpx.HTTPError as exc:
        failed = transport_failure(exc)
        raise _Failed(f"Teams: {failed.error}", failed.retryable) from None
    answer = teams_answer(response)
    if not answer.ok:
        raise _Failed(answer.error or "Teams refused the message", answer.retryable)


class _Failed(Exception):
    def __init__(self, error: str, retryable: bool) -> None:
        super().__init__(error)
        self.error = error
        self.retryable = retryable


def _message(text: str) -> dict[str, Any]:
    content = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": text, "wrap": True}],
    }
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": content}],
    }


def sync_teams_room(client: httpx.Client, url: str, state: RoomState, wish: RoomWish) -> RoomResult:
    """Post the card if it shows something new, then the updates and reminders owed."""
    events: list[str] = []
    try:
        digest = wish.card.digest()
        if state.card_hash != digest:
            _send(client, url, teams_card(wish.card))
            if state.card_hash is None:
                events.append("Posted the incident card to Teams")
            state = replace(state, card_hash=digest)
        for post in wish.posts:
            if post.event_id in state.posted:
                continue
            tag = f"{DRILL_TAG} " if post.drill else ""
            head = (
                f"**{tag}Update from {post.author}**\n\n"
                if post.kind == "status-update"
                else f"⏰ {tag}"
            )
            _send(client, url, _message(head + _plain(post.text)))
            state = replace(state, posted=(*state.posted, post.event_id))
    except _Failed as exc:
        return RoomResult(state, tuple(events)).failed(exc.error, retryable=exc.retryable)
    return RoomResult(state, tuple(events), more=wish.more_posts)
