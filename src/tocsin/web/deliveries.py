"""Pages: the delivery log. Everything Tocsin sent, or tried to: notifications to receivers
(webhooks, Slack, email ... as routed) and messages to people (pages, handoffs, shift
reminders, swaps, test pages), newest first, each with what became of it.

The two are kept apart in the database (a receiver notification has its attempts recorded
one by one; a message to a person has a count and the last error), so each has its own
detail page: ``/deliveries/{id}`` and ``/deliveries/messages/{id}``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from tocsin.notify.content import counts
from tocsin.services.notifications import MESSAGE_STATUSES, STATUSES
from tocsin.services.runtime import Runtime
from tocsin.store.deliveries import DeliveryRow
from tocsin.store.messages import Message
from tocsin.web.contact_words import method_words, shown
from tocsin.web.render import page
from tocsin.web.routing import RowId, web_router
from tocsin.web.session import Viewer, runtime_of, viewing

__all__ = ["router"]

router = web_router()

#: Every status either kind of entry can have, with what it means.
STATUS_WORDS = {
    "pending": "waiting to be sent, or to be tried again",
    "sent": "the receiver or provider accepted it",
    "failed": "gave up: the error says why",
    "superseded": "a newer notification for the same group replaced it before it went out",
    "cancelled": "not needed any more: the incident was acknowledged before it went out",
    "dropped": "not sent: the receiver is no longer configured",
}
ALL_STATUSES = tuple(dict.fromkeys([*STATUSES, *MESSAGE_STATUSES, "dropped"]))
KIND_WORDS = {
    "notification": "Notification",
    "page": "Page",
    "handoff": "On-call handoff",
    "shift-reminder": "Shift reminder",
    "swap-offered": "Shift swap offered",
    "swap-taken": "Shift swap taken",
    "test": "Test page",
}
LIMITS = (50, 200, 1000)


@dataclass(frozen=True)
class Entry:
    """One line of the log, whichever kind it is."""

    href: str
    at: datetime
    #: Receiver name or person id.
    to: str
    to_person: bool
    method: str
    kind: str
    detail: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class Filters:
    status: str = ""
    #: ``receiver:NAME`` or ``person:ID``.
    to: str = ""
    kind: str = ""
    limit: int = 50

    @property
    def receiver(self) -> str | None:
        return self.to.removeprefix("receiver:") if self.to.startswith("receiver:") else None

    @property
    def person(self) -> str | None:
        return self.to.removeprefix("person:") if self.to.startswith("person:") else None

    @property
    def any(self) -> bool:
        return bool(self.status or self.to or self.kind)


def _about(content: Mapping[str, Any]) -> str:
    """The group a notification is about, by its labels."""
    labels = content.get("group_labels") or {}
    text = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return text or "(all alerts)"


def notification_entry(d: DeliveryRow) -> Entry:
    firing, resolved = counts(d.content)
    what = f"{_about(d.content)}: {firing} firing, {resolved} resolved ({d.reason})"
    return Entry(
        href=f"/deliveries/{d.id}",
        at=d.created_at,
        to=d.receiver,
        to_person=False,
        method=d.integration,
        kind="notification",
        detail=what,
        status=d.status,
        attempts=d.attempts,
        last_error=d.last_error,
        next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
    )


def message_entry(m: Message) -> Entry:
    return Entry(
        href=f"/deliveries/messages/{m.id}",
        at=m.created_at,
        to=m.user,
        to_person=True,
        method=method_words(m.method),
        kind=m.kind,
        detail=m.subject,
        status=m.status,
        attempts=m.attempts,
        last_error=m.last_error,
        next_attempt_at=None,
    )


def log(runtime: Runtime, f: Filters) -> list[Entry]:
    """The newest ``f.limit`` entries of both kinds that pass the filters."""
    entries: list[Entry] = []
    to_receivers = f.person is None and f.kind in ("", "notification")
    if to_receivers and (not f.status or f.status in (*STATUSES, "dropped")):
        found = runtime.notifications.recent(
            limit=f.limit, receiver=f.receiver, status=f.status or None
        )
        entries += [notification_entry(d) for d in found]
    to_people = f.receiver is None and f.kind != "notification"
    if to_people and (not f.status or f.status in MESSAGE_STATUSES):
        messages = runtime.notifications.messages(
            limit=f.limit, user=f.person, status=f.status or None, kind=f.kind or None
        )
        entries += [message_entry(m) for m in messages]
    entries.sort(key=lambda e: (e.at, e.href), reverse=True)
    return entries[: f.limit]


def _filters(status: str, to: str, kind: str, limit: int) -> Filters:
    """Unknown values are treated as "any" rather than refused: an old bookmark still works."""
    return Filters(
        status if status in ALL_STATUSES else "",
        to if to.startswith(("receiver:", "person:")) else "",
        kind if kind in KIND_WORDS else "",
        limit if limit in LIMITS else LIMITS[0],
    )


def _choices(runtime: Runtime) -> tuple[list[str], list[str]]:
    routing = runtime.routing
    receivers = sorted(routing.receivers) if routing else []
    people = sorted(routing.users) if routing else []
    return receivers, people


@router.get("/deliveries")
def deliveries_page(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewing)],
    status: str = "",
    to: str = "",
    kind: str = "",
    limit: int = 50,
) -> Response:
    runtime = runtime_of(request)
    f = _filters(status, to, kind, limit)
    receivers, people = _choices(runtime)
    entries = log(runtime, f)
    more = next((n for n in LIMITS if n > f.limit), None)
    return page(
        request,
        "deliveries/deliveries.html",
        viewer,
        title="Deliveries",
        entries=entries,
        f=f,
        receivers=receivers,
        people=people,
        statuses=ALL_STATUSES,
        status_words=STATUS_WORDS,
        kinds=KIND_WORDS,
        more=more if len(entries) >= f.limit else None,
    )


@router.get("/deliveries/{delivery_id}")
def delivery_page(
    request: Request, delivery_id: RowId, viewer: Annotated[Viewer, Depends(viewing)]
) -> Response:
    runtime = runtime_of(request)
    delivery, attempts = runtime.notifications.get(delivery_id)
    alerts = list(delivery.content.get("alerts", []))
    return page(
        request,
        "deliveries/delivery.html",
        viewer,
        title=f"Notification {delivery.id}",
        d=delivery,
        e=notification_entry(delivery),
        attempts=attempts,
        alerts=alerts,
        status_words=STATUS_WORDS,
    )


@router.get("/deliveries/messages/{message_id}")
def message_page(
    request: Request, message_id: RowId, viewer: Annotated[Viewer, Depends(viewing)]
) -> Response:
    runtime = runtime_of(request)
    message = runtime.notifications.message(message_id)
    address, hidden = shown(
        message.method, message.address, viewer.admin or viewer.user_id == message.user
    )
    return page(
        request,
        "deliveries/message.html",
        viewer,
        title=f"Message {message.id}",
        msg=message,
        e=message_entry(message),
        address=address,
        partly_hidden=hidden,
        kinds=KIND_WORDS,
        status_words=STATUS_WORDS,
    )
