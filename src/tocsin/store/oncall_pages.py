"""The pages people got, as on-call health reads them from ``messages``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from tocsin.domain.oncall_health import Page
from tocsin.store.tables import incidents, messages

__all__ = ["PAGE_KINDS", "pages_between"]

#: The kinds of message that page a person about an incident: an escalation level (or an
#: assignee) reaching them, and a responder someone asked for. Not ``update-due`` (a
#: reminder to post an update) or channel posts (their user starts with ``#``).
PAGE_KINDS = ("page", "responder")
#: A page no longer needed: the incident was acknowledged before it went out.
_CANCELLED = "cancelled"


def pages_between(conn: Connection, start: datetime, end: datetime) -> list[Page]:
    """Each message paging a person created in [start, end), with its incident's severity;
    messages of one person, incident and instant (one step's contact methods) once."""
    query = (
        select(
            messages.c.user_id,
            messages.c.created_at,
            messages.c.incident_id,
            incidents.c.severity,
        )
        .join(incidents, incidents.c.id == messages.c.incident_id)
        .where(
            messages.c.created_at >= start,
            messages.c.created_at < end,
            messages.c.kind.in_(PAGE_KINDS),
            messages.c.status != _CANCELLED,
            ~messages.c.user_id.startswith("#", autoescape=True),
            incidents.c.drill.is_(False),  # a drill is practice, not load (docs/drills.md)
        )
        .distinct()
    )
    return [
        Page(row.user_id, row.created_at, row.incident_id, row.severity)
        for row in conn.execute(query)
    ]
