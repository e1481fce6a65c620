"""A notification as stored in the outbox: the group and its alerts as they were at the tick
(so a retry sends what was decided, and what was sent is on record)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from tocsin.channels.notification import Notification, PayloadAlert

__all__ = ["counts", "decode", "encode", "resolved_in"]


def _alert(a: PayloadAlert) -> dict[str, Any]:
    return {
        "fingerprint": a.fingerprint,
        "labels": dict(a.labels),
        "annotations": dict(a.annotations),
        "starts_at": a.starts_at.isoformat(),
        "ends_at": a.ends_at.isoformat() if a.ends_at is not None else None,
        "generator_url": a.generator_url,
        "firing": a.firing,
    }


def encode(
    *,
    group_labels: Mapping[str, str],
    alerts: Sequence[PayloadAlert],
    firing: Sequence[str],
    resolved: Sequence[str],
    repeat_seconds: float,
) -> dict[str, Any]:
    """``alerts``: what is sent; ``firing``/``resolved``: what the log records once sent
    (Alertmanager logs resolved alerts even for receivers that do not get them)."""
    return {
        "group_labels": dict(group_labels),
        "alerts": [_alert(a) for a in alerts],
        "firing": sorted(firing),
        "resolved": sorted(resolved),
        "repeat_seconds": repeat_seconds,
    }


def decode(
    content: Mapping[str, Any],
    *,
    receiver: str,
    group_key: str,
    external_url: str,
    reason: str = "",
    sent_at: datetime | None = None,
) -> Notification:
    alerts = [
        PayloadAlert(
            fingerprint=a["fingerprint"],
            labels=a["labels"],
            annotations=a["annotations"],
            starts_at=datetime.fromisoformat(a["starts_at"]),
            ends_at=datetime.fromisoformat(a["ends_at"]) if a["ends_at"] else None,
            generator_url=a["generator_url"],
            firing=a["firing"],
        )
        for a in content["alerts"]
    ]
    return Notification(receiver, group_key, content["group_labels"], alerts, external_url, reason)


def resolved_in(content: Mapping[str, Any]) -> set[str]:
    """The fingerprints of the resolved alerts a notification reports."""
    return {a["fingerprint"] for a in content["alerts"] if not a["firing"]}


def counts(content: Mapping[str, Any]) -> tuple[int, int]:
    """How many (firing, resolved) alerts a notification carries."""
    alerts = content.get("alerts", [])
    firing = sum(1 for a in alerts if a["firing"])
    return firing, len(alerts) - firing
