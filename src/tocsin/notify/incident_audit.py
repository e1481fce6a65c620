"""The audit log of incidents: each action of the incident desk (and the engine's paging)
records what it changed, in the transaction that changed it.

``audited`` wraps a method whose arguments name the transaction (``conn``), the time
(``now``), the incident and, usually, the ``actor``. It reads the incident before and after
and records the fields that changed, with the details the action was given (a note's text,
the role and person, a snooze's length). An action that changed nothing (the severity it
already had, a Slack message noted twice) records nothing; one that changes no field but
adds to the timeline (a note, a stakeholder update, a responder paged) is recorded too."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Connection

from tocsin.domain.incidents import Incident
from tocsin.origin import ENGINE_ACTOR
from tocsin.store import audit
from tocsin.store import incidents as store

__all__ = ["FIELDS", "audited", "fields_of", "opened", "row_locked", "timer_incident"]

P = ParamSpec("P")
R = TypeVar("R")

#: What the audit log shows of an incident (not its bookkeeping: epoch, updated_at...).
FIELDS = (
    "title",
    "status",
    "severity",
    "urgency",
    "service",
    "team",
    "policy",
    "assignees",
    "roles",
    "acknowledged_by",
    "resolved_by",
    "snoozed_until",
    "merged_into",
    "level",
    "loop",
    "drill",
)


def fields_of(incident: Incident | None) -> dict[str, Any]:
    if incident is None:
        return {}
    return {name: getattr(incident, name) for name in FIELDS}


def _desk_locked(owner: Any, conn: Connection, incident_id: int) -> Incident | None:
    """The incident read under the desk's own locks (its timers, then its row: the order
    every action and the engine take them in), so no change can slip in between the
    "before" read here and the action."""
    found: Incident = owner.get(conn, incident_id, lock=True)
    return found


def row_locked(_: Any, conn: Connection, incident_id: int) -> Incident | None:
    """The incident read with its row locked (what the engine's handlers take first)."""
    return store.get(conn, incident_id, lock=True)


def audited(
    action: str | Callable[[Mapping[str, Any], Any], str],
    *,
    incident: str | Callable[[Mapping[str, Any]], int] = "incident_id",
    details: Sequence[str] = (),
    actor: str | None = None,
    read: Callable[[Any, Connection, int], Incident | None] = _desk_locked,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Record ``action`` (or what ``action(arguments, result)`` names) for the incident in
    argument ``incident`` (or what ``incident(arguments)`` gives; none: a new incident, the
    result); ``details``: arguments recorded as given; ``actor``: instead of the argument;
    ``read(self, conn, id)``: the incident before, locked as the method locks it."""

    def wrap(method: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(method)

        @functools.wraps(method)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            given = bound.arguments
            conn: Connection = given["conn"]
            target = incident(given) if callable(incident) else given.get(incident)
            before = read(given["self"], conn, target) if target is not None else None
            mark = store.last_event_id(conn, target) if target is not None else 0
            result = method(*args, **kwargs)
            if target is None:
                target = getattr(result, "id", None)
                if target is None:
                    return result
            after = store.get(conn, target)
            if after is None:
                return result  # no such incident: nothing changed
            old, new = audit.changes(fields_of(before), fields_of(after))
            quiet = before is not None and not old and not new
            if quiet and store.last_event_id(conn, target) == mark:
                return result  # nothing happened
            shown = {name: given[name] for name in details if given.get(name) not in (None, "")}
            audit.record(
                conn,
                given["now"],
                action(given, result) if callable(action) else action,
                "incident",
                target,
                actor=actor or given.get("actor"),
                before=old if before is not None else None,
                after={**new, **audit.plain(shown)},
            )
            return result

        return run

    return wrap


def opened(given: Mapping[str, Any], _: object) -> str:
    """By hand, an incident is declared; from alerts (the engine), opened; a drill, by
    hand or on schedule, started."""
    if getattr(given.get("opening"), "drill", False):
        return "drill.started"
    return "incident.opened" if given.get("actor") == ENGINE_ACTOR else "incident.declared"


def timer_incident(given: Mapping[str, Any]) -> int:
    """The incident of an engine timer (keyed by the incident's id)."""
    return int(given["timer"].key)
