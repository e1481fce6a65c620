"""Alertmanager webhook receiver (payload version "4"), alert by alert.

Each alert in the notification keeps its own status: a group notification with three firing
and one resolved alert resolves exactly that one. Deliveries repeated by an Alertmanager HA
pair apply the same state twice, which changes nothing the second time.
"""

from __future__ import annotations

from typing import Literal

import pydantic

from tocsin.domain.alerts import Action, AlertEvent, Identity
from tocsin.domain.labels import fingerprint
from tocsin.errors import FieldProblem, InputError
from tocsin.integrations.fields import AnnotationMap, LabelMap, OptionalTime, Text
from tocsin.integrations.json_input import decode

__all__ = ["WebhookMessage", "parse_webhook_message"]


class WebhookAlert(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: LabelMap
    annotations: AnnotationMap = pydantic.Field(default_factory=dict)
    startsAt: OptionalTime = None
    endsAt: OptionalTime = None
    generatorURL: Text = ""
    fingerprint: str = ""


class WebhookMessage(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="ignore")

    version: str = "4"
    groupKey: str = ""
    truncatedAlerts: int = 0
    status: Literal["firing", "resolved"] = "firing"
    receiver: str = ""
    groupLabels: dict[str, str] = pydantic.Field(default_factory=dict)
    commonLabels: dict[str, str] = pydantic.Field(default_factory=dict)
    commonAnnotations: dict[str, str] = pydantic.Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[WebhookAlert]


_ADAPTER = pydantic.TypeAdapter(WebhookMessage)


def parse_webhook_message(body: bytes) -> list[AlertEvent]:
    message = decode(_ADAPTER, body)
    if message.version != "4":
        raise InputError(FieldProblem("version", f"unsupported version {message.version!r}"))
    events: list[AlertEvent] = []
    problems: list[FieldProblem] = []
    for i, alert in enumerate(message.alerts):
        if not alert.labels:
            problems.append(FieldProblem(f"alerts[{i}].labels", "at least one label pair required"))
            continue
        resolved = alert.status == "resolved"
        events.append(
            AlertEvent(
                fingerprint=fingerprint(alert.labels),
                identity=Identity.LABELS,
                action=Action.RESOLVE if resolved else Action.TRIGGER,
                labels=alert.labels,
                annotations=alert.annotations,
                starts_at=alert.startsAt,
                # A firing alert from a webhook fires until a resolved notification comes.
                ends_at=alert.endsAt if resolved else None,
                generator_url=alert.generatorURL,
            )
        )
    if problems:
        raise InputError(problems)
    return events
