"""Opsgenie Alert API intake: create, close and acknowledge, as Opsgenie's clients send them.

The alias is Opsgenie's dedup key: a create with the alias of an open alert adds to it.
Priorities map to severities (P1 critical, P2 error, P3 warning, P4/P5 info) and both are
kept as labels; tags become one sorted, comma-separated ``tags`` label.
"""

from __future__ import annotations

from typing import Any, Literal

import pydantic

from tocsin.domain.alerts import Action, AlertEvent, Identity
from tocsin.domain.labels import scoped_key
from tocsin.integrations.fields import Text
from tocsin.integrations.json_input import decode

__all__ = ["CreateAlert", "parse_action", "parse_create"]

SEVERITY_OF_PRIORITY = {
    "P1": "critical",
    "P2": "error",
    "P3": "warning",
    "P4": "info",
    "P5": "info",
}


class CreateAlert(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="ignore")

    message: str = pydantic.Field(min_length=1, max_length=130)
    alias: Text | None = pydantic.Field(default=None, min_length=1, max_length=512)
    description: str | None = pydantic.Field(default=None, max_length=15000)
    responders: list[Any] = pydantic.Field(default_factory=list)
    visibleTo: list[Any] = pydantic.Field(default_factory=list)
    actions: list[str] = pydantic.Field(default_factory=list)
    tags: list[str] = pydantic.Field(default_factory=list, max_length=20)
    details: dict[str, str] = pydantic.Field(default_factory=dict)
    entity: str | None = pydantic.Field(default=None, max_length=512)
    source: str | None = pydantic.Field(default=None, max_length=100)
    priority: Literal["P1", "P2", "P3", "P4", "P5"] = "P3"
    user: str | None = pydantic.Field(default=None, max_length=100)
    note: str | None = pydantic.Field(default=None, max_length=25000)


class ActionBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="ignore")

    user: str | None = pydantic.Field(default=None, max_length=100)
    source: str | None = pydantic.Field(default=None, max_length=100)
    note: str | None = pydantic.Field(default=None, max_length=25000)


_CREATE = pydantic.TypeAdapter(CreateAlert)
_ACTION = pydantic.TypeAdapter(ActionBody)


def parse_create(body: bytes, *, integration_id: int, new_alias: str) -> AlertEvent:
    alert = decode(_CREATE, body)
    alias = alert.alias or new_alias
    labels = {
        "alertname": alert.message,
        "priority": alert.priority,
        "severity": SEVERITY_OF_PRIORITY[alert.priority],
    }
    if alert.entity:
        labels["entity"] = alert.entity
    if alert.source:
        labels["source"] = alert.source
    if alert.tags:
        labels["tags"] = ",".join(sorted(set(alert.tags)))
    annotations = {"summary": alert.message}
    if alert.description:
        annotations["description"] = alert.description
    details: dict[str, Any] = {}
    if alert.details:
        details["details"] = alert.details
    if alert.actions:
        details["actions"] = alert.actions
    if alert.user:
        details["user"] = alert.user
    return AlertEvent(
        fingerprint=alias_fingerprint(integration_id, alias),
        identity=Identity.DEDUP_KEY,
        action=Action.TRIGGER,
        labels=dict(sorted(labels.items())),
        annotations=annotations,
        dedup_key=alias,
        details=details or None,
        note=alert.note,
    )


def alias_fingerprint(integration_id: int, alias: str) -> str:
    return scoped_key(str(integration_id), alias)


def parse_action(
    body: bytes, *, action: Action, fingerprint: str, dedup_key: str | None
) -> AlertEvent:
    """A close (resolve) or acknowledge for the alert already identified by ``fingerprint``."""
    extra = decode(_ACTION, body) if body.strip() else ActionBody()
    return AlertEvent(
        fingerprint=fingerprint,
        identity=Identity.DEDUP_KEY,
        action=action,
        labels={},
        dedup_key=dedup_key,
        note=extra.note,
    )
