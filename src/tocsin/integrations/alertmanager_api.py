"""Alertmanager API v2 intake: ``POST /api/v2/alerts``, exactly what Prometheus sends."""

from __future__ import annotations

from datetime import datetime, timedelta

import pydantic

from tocsin.domain.alerts import Action, AlertEvent, Identity
from tocsin.domain.labels import fingerprint
from tocsin.errors import FieldProblem, InputError
from tocsin.integrations.fields import AnnotationMap, LabelMap, OptionalTime, Text
from tocsin.integrations.json_input import decode

__all__ = ["PostableAlert", "parse_postable_alerts"]


class PostableAlert(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="ignore")

    labels: LabelMap
    annotations: AnnotationMap = pydantic.Field(default_factory=dict)
    startsAt: OptionalTime = None
    endsAt: OptionalTime = None
    generatorURL: Text = ""


_ADAPTER = pydantic.TypeAdapter(list[PostableAlert])


def parse_postable_alerts(
    body: bytes, *, now: datetime, resolve_timeout: timedelta
) -> list[AlertEvent]:
    """Validate a list of postable alerts and normalise each as Alertmanager's API does.

    Unlike Alertmanager, one invalid alert rejects the whole request, so that a 4xx always
    means nothing was stored.
    """
    alerts = decode(_ADAPTER, body)
    problems: list[FieldProblem] = []
    events: list[AlertEvent] = []
    for i, alert in enumerate(alerts):
        if not alert.labels:
            problems.append(FieldProblem(f"[{i}].labels", "at least one label pair required"))
            continue
        starts_at, ends_at = alert.startsAt, alert.endsAt
        is_timeout = False
        if starts_at is None:
            starts_at = ends_at if ends_at is not None else now
        if ends_at is None:
            ends_at, is_timeout = now + resolve_timeout, True
        if ends_at < starts_at:
            problems.append(FieldProblem(f"[{i}].endsAt", "must not be before startsAt"))
            continue
        events.append(
            AlertEvent(
                fingerprint=fingerprint(alert.labels),
                identity=Identity.LABELS,
                action=Action.RESOLVE if ends_at <= now else Action.TRIGGER,
                labels=alert.labels,
                annotations=alert.annotations,
                starts_at=starts_at,
                ends_at=ends_at,
                ends_at_is_timeout=is_timeout,
                generator_url=alert.generatorURL,
            )
        )
    if problems:
        raise InputError(problems)
    return events
