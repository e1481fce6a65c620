"""Asking for a run of a remediation action (docs/remediation.md), inside the caller's
transaction: a person's request (``services.remediation``) or a trigger's
(``notify.remediation_triggers``).

The run is recorded whatever happens to it, with an entry on the incident's timeline:

* a dry run (asked for, the action's ``dry_run``, or any run on a drill incident) is
  rendered and recorded, never run: a drill's timeline shows what would have run;
* over the action's rate limit it is recorded ``rate_limited`` (counted from the stored
  runs while the action's lock is held, so two requests cannot both take the last place);
* a dangerous action waits for a person's approval, and the incident's responders (who
  acknowledged it, who was paged) are told; the ``remediation.run`` timer waits with it,
  and expires it after ``approval_ttl``;
* otherwise it is queued: the ``remediation.run`` job runs it out of any transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from tocsin.domain.incidents import Incident
from tocsin.domain.remediation import (
    RemediationAction,
    RenderedRequest,
    RunState,
    frees_at,
    render_request,
)
from tocsin.domain.users import User
from tocsin.notify import messages
from tocsin.store import alerts as alert_store
from tocsin.store import audit
from tocsin.store import incidents as incident_store
from tocsin.store import remediation_runs as runs
from tocsin.store import timers as timer_store
from tocsin.store.remediation_runs import Run

__all__ = [
    "DRILL",
    "RUN",
    "Requested",
    "event",
    "ask_responders",
    "incident_labels",
    "queue",
    "request_run",
    "responders",
    "template_data",
]

#: The job that runs a queued run (key: the run's id).
RUN = "remediation.run"
#: Why a run on a drill incident is a dry run.
DRILL = "a drill: remediation is rendered and recorded, never run"


@dataclass(frozen=True)
class Requested:
    run: Run
    #: For a rate-limited run: when the action may run again.
    frees_at: datetime | None = None


def template_data(
    incident: Incident,
    action: RemediationAction,
    requested_by: str,
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    link: str,
) -> dict[str, Any]:
    """What a body template sees (``config.remediation.NAMES``)."""
    return {
        "labels": dict(labels),
        "annotations": dict(annotations),
        "incident": {
            "id": incident.id,
            "title": incident.title,
            "severity": incident.severity.value,
            "status": incident.status.value,
            "service": incident.service or "",
            "url": link,
        },
        "action": {"name": action.name, "description": action.description},
        "requested_by": requested_by,
    }


def event(
    conn: Connection,
    run: Run,
    kind: RunState | str,
    actor: str,
    text: str,
    now: datetime,
    **data: Any,
) -> None:
    """An entry on the run's incident's timeline, kind ``remediation.<kind>``."""
    incident_store.add_event(
        conn,
        run.incident_id,
        now,
        f"remediation.{kind}",
        actor,
        f"Remediation {run.action} (run {run.id}): {text}",
        {"run": run.id, "action": run.action, "state": str(kind), **data},
    )
    # Each step of a run is in the audit log too: asked for, approved, rejected, run...
    audit.record(
        conn,
        now,
        f"remediation.{kind}",
        "remediation_run",
        run.id,
        actor=actor,
        after={"action": run.action, "incident_id": run.incident_id, "state": str(kind), **data},
    )


def request_run(
    conn: Connection,
    users: Mapping[str, User],
    incident: Incident,
    action: RemediationAction,
    requested_by: str,
    *,
    dry_run: bool,
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    link: str,
    now: datetime,
    approval_ttl: timedelta = timedelta(hours=1),
) -> Requested:
    runs.lock_action(conn, action.name)
    drill = incident.drill and not (dry_run or action.dry_run)
    dry = dry_run or action.dry_run or incident.drill
    data = template_data(incident, action, requested_by, labels, annotations, link)

    def record(state: RunState, request: RenderedRequest, reason: str | None = None) -> Run:
        return runs.create(
            conn,
            incident_id=incident.id,
            action=action.name,
            requested_by=requested_by,
            state=state,
            dry_run=dry,
            request=request,
            labels=labels,
            now=now,
            reason=reason,
        )

    try:
        rendered = render_request(action, data)
    except ValueError as exc:
        run = record(RunState.REFUSED, RenderedRequest(), f"the body did not render: {exc}")
        event(conn, run, run.state, requested_by, f"refused: {run.reason}", now)
        return Requested(run)
    if dry:
        run = record(RunState.DRY_RUN, rendered, DRILL if drill else None)
        body = f" with body {rendered.body}" if rendered.body else ""
        note = f" ({DRILL})" if drill else ""
        event(
            conn,
            run,
            run.state,
            requested_by,
            f"dry run by {requested_by}{note}: would run {rendered.what}{body}",
            now,
        )
        return Requested(run)
    limit = action.rate_limit
    if limit is not None:
        free = frees_at(runs.counted_since(conn, action.name, now - limit.per), limit, now)
        if free is not None:
            reason = f"rate limit of {limit} reached; the next run may start at {free:%H:%M:%S}Z"
            run = record(RunState.RATE_LIMITED, rendered, reason)
            event(conn, run, run.state, requested_by, f"not run: {reason}", now)
            return Requested(run, free)
    if action.dangerous:
        run = record(RunState.AWAITING_APPROVAL, rendered)
        event(
            conn,
            run,
            "requested",
            requested_by,
            f"{rendered.what} requested by {requested_by}; dangerous: waiting for someone "
            "else to approve it",
            now,
        )
        ask_responders(conn, users, incident, run, requested_by, link, now)
        timer_store.schedule(conn, RUN, str(run.id), now + approval_ttl)  # expires it
        return Requested(run)
    run = record(RunState.QUEUED, rendered)
    event(conn, run, "requested", requested_by, f"{rendered.what} requested by {requested_by}", now)
    queue(conn, run, now)
    return Requested(run)


def incident_labels(conn: Connection, incident_id: int) -> tuple[dict[str, str], dict[str, str]]:
    """The labels and annotations the incident's alerts (firing ones, else all) share."""
    linked = incident_store.alerts_of(conn, [incident_id])[incident_id]
    chosen = [a.fingerprint for a in linked if a.firing] or [a.fingerprint for a in linked]
    heads = list(alert_store.load_heads(conn, chosen).values())
    return _common([dict(a.labels) for a in heads]), _common([dict(a.annotations) for a in heads])


def _common(maps: list[dict[str, str]]) -> dict[str, str]:
    if not maps:
        return {}
    return {k: v for k, v in maps[0].items() if all(m.get(k) == v for m in maps[1:])}


def queue(conn: Connection, run: Run, now: datetime) -> None:
    timer_store.schedule(conn, RUN, str(run.id), now)


def responders(conn: Connection, incident: Incident) -> list[str]:
    """Who acknowledged the incident and who was paged for it."""
    found: list[str] = []
    if incident.acknowledged_by:
        found.append(incident.acknowledged_by)
    found += incident.assignees
    for e in incident_store.events(conn, incident.id, kinds=["escalated"]):
        found += [str(u) for u in (e.data or {}).get("users", [])]
    return list(dict.fromkeys(found))


def ask_responders(
    conn: Connection,
    users: Mapping[str, User],
    incident: Incident,
    run: Run,
    requested_by: str,
    link: str,
    now: datetime,
) -> None:
    for user in responders(conn, incident):
        if user == requested_by or user not in users:
            continue
        messages.post(
            conn,
            users,
            user=user,
            kind="remediation.approval",
            subject=f"Approve {run.action} on incident #{incident.id}?",
            body=(
                f"{requested_by} asked to run {run.action} ({run.request.what}) for incident "
                f"#{incident.id} {incident.title}. It is marked dangerous: it runs only once "
                f"someone approves it.\nApprove or reject it: {link}#remediation\n"
                f"or: tocsin remediation approve {run.id}"
            ),
            dedup=f"remediation-approval/{run.id}/{user}",
            now=now,
            incident_id=incident.id,
        )
