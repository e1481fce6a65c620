"""Generic JSON webhook: ``POST /integrations/webhook/{token}``.

Default shape (every field but ``title`` optional)::

    {"title": "Disk almost full", "status": "firing", "dedup_key": "db-1/disk",
     "severity": "warning", "labels": {"service": "db"}, "annotations": {"runbook_url": "..."},
     "description": "...", "url": "https://...", "starts_at": "2026-01-01T00:00:00Z",
     "details": {...}}

``status`` is ``firing`` (default), ``acknowledged`` or ``resolved``. Without ``dedup_key`` the
alert is identified by its labels (title included). Senders that cannot change what they send
get a per-integration *mapping*: for each field a dotted path into their JSON (``alert.name``,
``items.0.id``), plus ``status_values`` to translate their words (``{"ok": "resolved"}``).
"""

from __future__ import annotations

from typing import Any

import orjson
import pydantic

from tocsin.config.validation import problems_of
from tocsin.domain.alerts import Action, AlertEvent, Identity
from tocsin.domain.labels import fingerprint, normalise_labels, scoped_key
from tocsin.errors import FieldProblem, InputError
from tocsin.integrations.fields import (
    AnnotationMap,
    JsonObject,
    LabelMap,
    LabelName,
    OptionalTime,
    Text,
)
from tocsin.integrations.json_input import decode

__all__ = ["DefaultPayload", "WebhookMapping", "parse_webhook"]

_ACTIONS = {
    "firing": Action.TRIGGER,
    "trigger": Action.TRIGGER,
    "triggered": Action.TRIGGER,
    "acknowledged": Action.ACKNOWLEDGE,
    "acknowledge": Action.ACKNOWLEDGE,
    "resolved": Action.RESOLVE,
    "resolve": Action.RESOLVE,
}


class DefaultPayload(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="ignore")

    title: str = pydantic.Field(min_length=1, max_length=1024)
    status: str = "firing"
    dedup_key: Text | None = pydantic.Field(default=None, min_length=1, max_length=255)
    severity: str | None = None
    labels: LabelMap = pydantic.Field(default_factory=dict)
    annotations: AnnotationMap = pydantic.Field(default_factory=dict)
    description: str | None = None
    url: Text | None = None
    starts_at: OptionalTime = None
    details: JsonObject | None = None

    @pydantic.field_validator("status")
    @classmethod
    def _known_status(cls, value: str) -> str:
        if value.lower() not in _ACTIONS:
            raise ValueError(f"unknown status {value!r}: use firing, acknowledged or resolved")
        return value.lower()


class WebhookMapping(pydantic.BaseModel):
    """Where a sender's JSON keeps each field (dotted paths)."""

    model_config = pydantic.ConfigDict(extra="forbid")

    title: str
    status: str | None = None
    status_values: dict[str, str] = pydantic.Field(default_factory=dict)
    dedup_key: str | None = None
    severity: str | None = None
    description: str | None = None
    url: str | None = None
    labels: dict[LabelName, str] = pydantic.Field(default_factory=dict)
    annotations: dict[LabelName, str] = pydantic.Field(default_factory=dict)

    @pydantic.field_validator("status_values")
    @classmethod
    def _status_words(cls, value: dict[str, str]) -> dict[str, str]:
        for word, status in value.items():
            if status not in ("firing", "acknowledged", "resolved"):
                raise ValueError(f"{word!r} maps to {status!r}: use firing, acknowledged, resolved")
        return value


_DEFAULT = pydantic.TypeAdapter(DefaultPayload)
_MISSING = object()


def _lookup(document: Any, path: str) -> Any:
    node = document
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _apply_mapping(body: bytes, mapping: WebhookMapping) -> DefaultPayload:
    """Build the default shape from a sender's own JSON, naming any path that is missing."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InputError(FieldProblem("body", f"is not valid JSON ({exc})")) from None
    problems: list[FieldProblem] = []

    def get(path: str | None, field: str, required: bool = False) -> str | None:
        if path is None:
            return None
        value = _lookup(document, path)
        if value is _MISSING or value is None:
            if required:
                problems.append(FieldProblem(path, f"is required (mapped to {field})"))
            return None
        return _scalar(value)

    shaped: dict[str, Any] = {"title": get(mapping.title, "title", required=True)}
    status = get(mapping.status, "status")
    if status is not None:
        shaped["status"] = mapping.status_values.get(status, status)
    for name in ("dedup_key", "severity", "description", "url"):
        value = get(getattr(mapping, name), name)
        if value is not None:
            shaped[name] = value
    shaped["labels"] = {
        k: v for k, p in mapping.labels.items() if (v := get(p, f"labels.{k}")) is not None
    }
    shaped["annotations"] = {
        k: v
        for k, p in mapping.annotations.items()
        if (v := get(p, f"annotations.{k}")) is not None
    }
    shaped["details"] = document if isinstance(document, dict) else {"body": document}
    if problems:
        raise InputError(problems)
    try:
        return DefaultPayload.model_validate(shaped)
    except pydantic.ValidationError as exc:
        raise InputError(problems_of(exc, "mapped")) from None


def parse_webhook(
    body: bytes, *, integration_id: int, mapping: WebhookMapping | None
) -> AlertEvent:
    payload = _apply_mapping(body, mapping) if mapping else decode(_DEFAULT, body)
    labels = dict(payload.labels)
    labels["alertname"] = payload.title
    if payload.severity:
        labels["severity"] = payload.severity
    labels = normalise_labels(labels)
    annotations = dict(payload.annotations)
    annotations.setdefault("summary", payload.title)
    if payload.description:
        annotations.setdefault("description", payload.description)
    dedup_key = payload.dedup_key or fingerprint(labels)
    return AlertEvent(
        fingerprint=scoped_key(str(integration_id), dedup_key),
        identity=Identity.DEDUP_KEY,
        action=_ACTIONS[payload.status],
        labels=labels,
        annotations=annotations,
        starts_at=payload.starts_at,
        generator_url=payload.url or "",
        dedup_key=dedup_key,
        details=payload.details,
    )
