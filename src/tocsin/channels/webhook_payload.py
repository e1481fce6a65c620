"""Alertmanager's webhook payload, version "4", byte-for-byte in meaning.

Existing webhook consumers keep working when Tocsin replaces Alertmanager, so this follows
Alertmanager exactly: alerts sorted by ``job``, then ``instance``, then the whole label set;
firing alerts carry Go's zero time as ``endsAt``; times in Go's RFC 3339 form;
``commonLabels`` and ``commonAnnotations`` are the pairs every alert of the payload shares
(after ``max_alerts`` truncation).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["PayloadAlert", "build_payload", "go_time"]

GO_ZERO_TIME = "0001-01-01T00:00:00Z"


def go_time(value: datetime | None) -> str:
    """A UTC time as Go's ``time.Time`` marshals to JSON (RFC 3339, trailing zeros trimmed)."""
    if value is None:
        return GO_ZERO_TIME
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


@dataclass(frozen=True)
class PayloadAlert:
    fingerprint: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str
    firing: bool


def _label_set_before(a: Mapping[str, str], b: Mapping[str, str]) -> bool:
    """Prometheus ``LabelSet.Before``: fewer labels first, then by sorted names and values."""
    if len(a) != len(b):
        return len(a) < len(b)
    for name in sorted({*a, *b}):
        if name not in a:
            return True
        if name not in b:
            return False
        if a[name] != b[name]:
            return a[name] < b[name]
    return False


def _compare(x: PayloadAlert, y: PayloadAlert) -> int:
    """Alertmanager's ``AlertSlice.Less``: job, then instance, then the label set."""
    for key in ("job", "instance"):
        in_x, in_y = key in x.labels, key in y.labels
        if not in_x and not in_y:
            continue
        if not in_x:
            return 1
        if not in_y:
            return -1
        if x.labels[key] != y.labels[key]:
            return -1 if x.labels[key] < y.labels[key] else 1
    if _label_set_before(x.labels, y.labels):
        return -1
    return 1 if _label_set_before(y.labels, x.labels) else 0


def _common(maps: Sequence[Mapping[str, str]]) -> dict[str, str]:
    if not maps:
        return {}
    first = maps[0]
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in maps[1:])}


def build_payload(
    *,
    receiver: str,
    group_key: str,
    group_labels: Mapping[str, str],
    alerts: Sequence[PayloadAlert],
    external_url: str,
    max_alerts: int = 0,
    reason: str | None = None,
) -> dict[str, Any]:
    """The payload; ``reason`` is Alertmanager 0.32's ``notification_reason`` (left out
    when None, as older Alertmanagers do)."""
    ordered = sorted(alerts, key=functools.cmp_to_key(_compare))
    truncated = 0
    if max_alerts and len(ordered) > max_alerts:
        truncated = len(ordered) - max_alerts
        ordered = ordered[:max_alerts]
    payload = {
        "receiver": receiver,
        "status": "firing" if any(a.firing for a in ordered) else "resolved",
        "alerts": [
            {
                "status": "firing" if a.firing else "resolved",
                "labels": dict(a.labels),
                "annotations": dict(a.annotations),
                "startsAt": go_time(a.starts_at),
                "endsAt": GO_ZERO_TIME if a.firing else go_time(a.ends_at),
                "generatorURL": a.generator_url,
                "fingerprint": a.fingerprint,
            }
            for a in ordered
        ],
        "groupLabels": dict(group_labels),
        "commonLabels": _common([a.labels for a in ordered]),
        "commonAnnotations": _common([a.annotations for a in ordered]),
        "externalURL": external_url,
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": truncated,
    }
    if reason is not None:
        payload["notification_reason"] = reason
    return payload
