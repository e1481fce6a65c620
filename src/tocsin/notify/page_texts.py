"""What a page says: short enough for an SMS, complete enough to act on at 3 a.m."""

from __future__ import annotations

from collections.abc import Sequence

from tocsin.domain.drills import mark
from tocsin.domain.incidents import Incident
from tocsin.notify.runbook_links import PagedRunbook, page_lines
from tocsin.store.incidents import IncidentAlert

__all__ = ["page_text", "test_page_text"]


def page_text(
    incident: Incident,
    alerts: Sequence[IncidentAlert],
    reason: str,
    runbooks: Sequence[PagedRunbook] = (),
) -> tuple[str, str]:
    """(subject, body) of a page for ``incident``; ``reason`` says why this person (e.g.
    "level 1 of platform"); ``runbooks``: those the incident's alerts matched (their links
    and quick assessments end the body). Links and the SMS reply code are added by each
    sender."""
    service = f" {incident.service}:" if incident.service else ""
    subject = f"[{incident.severity.value}]{service} {incident.title} (#{incident.id})"
    firing = [a for a in alerts if a.firing]
    lines = [
        f"Incident #{incident.id} is {incident.status.value}, {incident.severity.value}, "
        f"{incident.urgency.value} urgency.",
    ]
    if incident.summary:
        lines.append(incident.summary)
    if firing:
        names = sorted({a.alertname for a in firing})
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        lines.append(f"{len(firing)} alert(s) firing: {shown}.")
    lines.append(f"You are paged as {reason}.")
    lines += page_lines(runbooks)
    if incident.drill:  # docs/drills.md: every page of a drill says so, first
        return mark(subject, "\n".join(lines))
    return subject, "\n".join(lines)


def test_page_text(user: str) -> tuple[str, str]:
    return (
        "Tocsin test page",
        f"This is a test page for {user}. If you got it, this contact method works; "
        "nothing needs doing.",
    )
