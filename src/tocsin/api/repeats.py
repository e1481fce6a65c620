"""Repeat incidents in API answers: the earlier incidents an incident repeats."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from tocsin.api.runtime import runtime_of
from tocsin.api.schedules import iso
from tocsin.services.repeats import repeats_of

__all__ = ["repeats_json"]


def repeats_json(request: Request, incident_id: int) -> list[dict[str, Any]]:
    """``[{"incidentId": 12, "createdAt": ..., "reasons": [...], "category": "deploy",
    "fingerprints": [...], "text": "same service and category: deploy"}]``, newest first."""
    runtime = runtime_of(request)
    return [
        {
            "incidentId": r.earlier_id,
            "createdAt": iso(r.earlier_at),
            "reasons": [reason.value for reason in r.reasons],
            "category": r.category,
            "fingerprints": list(r.fingerprints),
            "text": r.describe(),
        }
        for r in repeats_of(runtime.db, runtime.current.routing, incident_id)
    ]
