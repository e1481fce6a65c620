"""What an incident page shows of remediation (``incidents/_remediation.html``): the
actions that can be run, runs waiting for approval, and the recent runs with their output.
The forms post to ``web.remediation``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tocsin.domain.incidents import Incident
from tocsin.domain.remediation import RemediationAction, RunState
from tocsin.store.remediation_runs import Run

if TYPE_CHECKING:
    from tocsin.services.runtime import Runtime

__all__ = ["RemediationPanel", "remediation_of"]

#: Runs shown on an incident's page (the API and CLI list them all).
SHOWN = 20


@dataclass(frozen=True)
class RemediationPanel:
    actions: list[RemediationAction]
    waiting: list[Run]
    runs: list[Run]

    @property
    def shown(self) -> bool:
        return bool(self.actions or self.runs)


def remediation_of(runtime: Runtime, incident: Incident) -> RemediationPanel:
    actions = runtime.remediation.actions()
    runs = runtime.remediation.runs(incident.id, limit=SHOWN)
    waiting = [r for r in runs if r.state is RunState.AWAITING_APPROVAL]
    return RemediationPanel(actions, waiting, runs)
