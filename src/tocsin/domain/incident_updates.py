"""A stakeholder update's parts, and the draft an update form starts from.

The template is the one incident communication guides agree on (PagerDuty's and Atlassian's
incident handbooks): what is affected, the current status, the impact on customers, what is
being done, and when the next update comes. Each part is plain text; ``text`` joins the
parts given into the message posted to the timeline and the incident's room.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from tocsin.domain.incidents import Incident, Status

__all__ = ["PARTS", "UpdateParts", "draft"]

#: (field, label) in the order an update reads.
PARTS = (
    ("affected", "Affected"),
    ("status", "Status"),
    ("impact", "Impact"),
    ("actions", "Actions"),
)
MAX_PART = 4000

_STATUS_WORDS = {
    Status.TRIGGERED: "Investigating",
    Status.ACKNOWLEDGED: "Investigating",
    Status.MITIGATED: "Mitigated; monitoring",
    Status.RESOLVED: "Resolved",
}


@dataclass(frozen=True)
class UpdateParts:
    affected: str = ""
    status: str = ""
    impact: str = ""
    actions: str = ""
    #: Free text, e.g. from ``/tocsin update ...``.
    message: str = ""

    def too_long(self) -> list[str]:
        """The parts longer than ``MAX_PART``."""
        return [name for name, value in asdict(self).items() if len(value) > MAX_PART]

    @property
    def empty(self) -> bool:
        return not any(v.strip() for v in asdict(self).values())

    def text(self, next_update_at: datetime | None) -> str:
        lines = [self.message.strip()] if self.message.strip() else []
        lines += [
            f"{label}: {getattr(self, name).strip()}"
            for name, label in PARTS
            if getattr(self, name).strip()
        ]
        if next_update_at is not None:
            lines.append(f"Next update: {next_update_at:%H:%M} UTC")
        return "\n".join(lines)

    def as_data(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v.strip()}


def draft(incident: Incident, alert_names: Sequence[str]) -> UpdateParts:
    """An update to start from: filled from the incident and its firing alerts."""
    affected = incident.service or ""
    if alert_names:
        names = sorted(set(alert_names))
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        affected = f"{affected} ({shown})" if affected else shown
    return UpdateParts(
        affected=affected,
        status=_STATUS_WORDS[incident.status],
        impact=incident.summary,
        actions="",
    )
