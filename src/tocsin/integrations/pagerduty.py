"""PagerDuty Events API v2 intake: ``POST /v2/enqueue``.

Field names, limits and semantics follow PagerDuty's documentation: dedup is scoped to the
routing key; a trigger on an open dedup_key appends to that alert; after a resolve, a trigger
with the same key opens a new alert and acknowledges/resolves for the old one are dropped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import pydantic

from tocsin.domain.alerts import Action, AlertEvent, Identity
from tocsin.domain.labels import scoped_key
from tocsin.errors import FieldProblem, InputError
from tocsin.integrations.fields import OptionalTime, StorableJson, Text
from tocsin.integrations.json_input import decode

__all__ = ["PagerDutyEvent", "parse_event", "routing_key_of"]

Severity = Literal["critical", "error", "warning", "info"]


class Payload(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="ignore")

    summary: str = pydantic.Field(min_length=1, max_length=1024)
    source: str = pydantic.Field(min_length=1, max_length=255)
    severity: Severity
    timestamp: OptionalTime = None
    component: str | None = None
    group: str | None = None
    # "class" is a Python keyword.
    class_: str | None = pydantic.Field(default=None, alias="class")
    custom_details: StorableJson = None


class Link(pydantic.BaseModel):
    href: str
    text: str | None = None


class Image(pydantic.BaseModel):
    src: str
    href: str | None = None
    alt: str | None = None


class PagerDutyEvent(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="ignore")

    routing_key: str = pydantic.Field(min_length=1)
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: Text | None = pydantic.Field(default=None, min_length=1, max_length=255)
    payload: Payload | None = None
    client: str | None = None
    client_url: Text | None = None
    links: list[Link] = pydantic.Field(default_factory=list)
    images: list[Image] = pydantic.Field(default_factory=list)


_ADAPTER = pydantic.TypeAdapter(PagerDutyEvent)


class _RoutingKeyOnly(pydantic.BaseModel):
    routing_key: str


def routing_key_of(body: bytes) -> str | None:
    """The routing key, if the body is an object that has one (to authenticate first)."""
    try:
        return _RoutingKeyOnly.model_validate_json(body).routing_key
    except (pydantic.ValidationError, ValueError):
        return None


def parse_event(
    body: bytes, *, integration_id: int, new_dedup_key: str, now: datetime
) -> tuple[AlertEvent, str]:
    """Validate one event; return it as an AlertEvent and the dedup_key in effect."""
    event = decode(_ADAPTER, body)
    action = Action(event.event_action)
    if action is not Action.TRIGGER and event.dedup_key is None:
        raise InputError(
            FieldProblem("dedup_key", f"is required when event_action is {event.event_action!r}")
        )
    if action is Action.TRIGGER and event.payload is None:
        raise InputError(FieldProblem("payload", "is required when event_action is 'trigger'"))
    dedup_key = event.dedup_key or new_dedup_key
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    details: dict[str, Any] | None = None
    if event.payload is not None:
        p = event.payload
        labels = {"alertname": p.summary, "severity": p.severity, "source": p.source}
        for name, value in (("component", p.component), ("group", p.group), ("class", p.class_)):
            if value:
                labels[name] = value
        annotations = {"summary": p.summary}
        details = {}
        if p.custom_details is not None:
            details["custom_details"] = p.custom_details
        if event.links:
            details["links"] = [link.model_dump(exclude_none=True) for link in event.links]
        if event.images:
            details["images"] = [image.model_dump(exclude_none=True) for image in event.images]
        if event.client:
            details["client"] = event.client
        details = details or None
    return (
        AlertEvent(
            fingerprint=scoped_key(str(integration_id), dedup_key),
            identity=Identity.DEDUP_KEY,
            action=action,
            labels=dict(sorted(labels.items())),
            annotations=annotations,
            starts_at=event.payload.timestamp if event.payload else None,
            generator_url=event.client_url or "",
            dedup_key=dedup_key,
            details=details,
        ),
        dedup_key,
    )
