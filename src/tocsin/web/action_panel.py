"""What an incident page shows of learning from it: its action items (with the add and
status forms, handled by ``web.action_items``) and the earlier incidents it repeats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tocsin.domain.action_items import ItemStatus
from tocsin.domain.incidents import Incident
from tocsin.domain.repeats import Repeat
from tocsin.services.action_items import ItemView
from tocsin.services.repeats import repeats_of

if TYPE_CHECKING:
    from tocsin.services.runtime import Runtime

__all__ = ["ActionPanel", "actions_of"]


@dataclass(frozen=True)
class ActionPanel:
    items: list[ItemView]
    repeats: list[Repeat]
    #: (value, label) of every status, for the status forms.
    statuses: list[tuple[str, str]]


def actions_of(runtime: Runtime, incident: Incident) -> ActionPanel:
    return ActionPanel(
        items=runtime.action_items.items(incident_id=incident.id),
        repeats=repeats_of(runtime.db, runtime.current.routing, incident.id),
        statuses=[(s.value, s.label) for s in ItemStatus],
    )
