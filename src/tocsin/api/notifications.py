"""Tocsin's notification record: ``GET /api/v1/notifications`` and one with its attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.notify.content import counts
from tocsin.store.deliveries import Attempt, DeliveryRow

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["Notifications"])


def _time(value: datetime | None) -> str | None:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z") if value else None


def summary(d: DeliveryRow) -> dict[str, Any]:
    firing, resolved = counts(d.content)
    return {
        "id": d.id,
        "receiver": d.receiver,
        "integration": d.integration,
        "groupKey": d.group_key,
        "groupLabels": d.content.get("group_labels", {}),
        "status": d.status,
        "reason": d.reason,
        "firing": firing,
        "resolved": resolved,
        "attempts": d.attempts,
        "lastError": d.last_error,
        "createdAt": _time(d.created_at),
        "nextAttemptAt": _time(d.next_attempt_at) if d.status == "pending" else None,
        "sentAt": _time(d.sent_at),
    }


def attempt(a: Attempt) -> dict[str, Any]:
    return {
        "attemptedAt": _time(a.attempted_at),
        "ok": a.ok,
        "statusCode": a.status_code,
        "error": a.error,
        "durationMs": a.duration_ms,
    }


@router.get("/notifications", summary="Recent notifications, newest first")
async def list_notifications(
    request: Request,
    receiver: str | None = None,
    status: Literal["pending", "sent", "failed", "superseded"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Response:
    found = runtime_of(request).notifications.recent(limit=limit, receiver=receiver, status=status)
    return json_response([summary(d) for d in found])


@router.get("/notifications/{notification_id}", summary="One notification and its attempts")
async def get_notification(
    request: Request, notification_id: Annotated[int, Path(ge=1, le=2**53)]
) -> Response:
    delivery, attempts = runtime_of(request).notifications.get(notification_id)
    return json_response(
        {
            **summary(delivery),
            "alerts": delivery.content.get("alerts", []),
            "attemptsMade": [attempt(a) for a in attempts],
        }
    )
