"""The escalation-policy receiver: an alert group routed to ``escalation_policy: NAME`` opens
an incident, or updates the open incident of that group (alerts fired and resolved on its
timeline; auto-resolved when all of them have resolved, if the policy says so).

Runs in the group's tick, after muting: silenced, inhibited or held alerts page nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.alerts import Alert, AlertStatus, effective_status
from tocsin.domain.incidents import Severity, severity_of
from tocsin.notify.incident_desk import Desk, Opening
from tocsin.notify.paging import ENGINE
from tocsin.store import incidents as store
from tocsin.store.groups import GroupRow

__all__ = ["IncidentStage"]


def _title(alerts: Sequence[Alert], group: GroupRow) -> str:
    first = alerts[0]
    summary = first.annotations.get("summary") or first.annotations.get("title")
    name = first.labels.get("alertname", "alert")
    if summary:
        return summary if summary.startswith(name) else f"{name}: {summary}"
    shown = ", ".join(f"{k}={v}" for k, v in sorted(group.labels.items()) if k != "alertname")
    return f"{name} ({shown})" if shown else name


def _rank(severity: Severity) -> int:
    return int(severity.value[-1])


class IncidentStage:
    def __init__(self, routing: Callable[[], RoutingConfig | None], desk: Desk) -> None:
        self.routing = routing
        self.desk = desk

    def sync(
        self,
        conn: Connection,
        config: RoutingConfig,
        group: GroupRow,
        policy: str,
        alerts: Sequence[Alert],
        now: datetime,
        *,
        held: bool = False,
    ) -> None:
        """Open or update the group's incident; ``held``: too few alerts, or not firing long
        enough yet (the route's ``min_alerts`` / ``min_firing_for``) to open one."""
        firing = [a for a in alerts if effective_status(a, now) is not AlertStatus.RESOLVED]
        incident = store.open_by_group(conn, [group.ident]).get(group.ident)
        rules = config.incidents
        if incident is None:
            if not firing or held:
                return
            severity = min((severity_of(a.labels, rules) for a in firing), key=_rank)
            service = group.labels.get(rules.service_label) or firing[0].labels.get(
                rules.service_label
            )
            incident = self.desk.open(
                conn,
                Opening(
                    title=_title(firing, group),
                    severity=severity,
                    service=service,
                    policy=policy,
                    group_ident=group.ident,
                    summary=firing[0].annotations.get("description", ""),
                ),
                ENGINE,
                now,
            )
        linked = {a.fingerprint: a for a in store.alerts_of(conn, [incident.id])[incident.id]}
        added: list[tuple[str, str]] = []
        changed: list[tuple[str, bool, datetime | None]] = []
        for alert in alerts:
            name = alert.labels.get("alertname", "")
            is_firing = alert in firing
            known = linked.get(alert.fingerprint)
            if known is None:
                if not is_firing:
                    continue
                added.append((alert.fingerprint, name))
                text = f"Alert fired: {name} " + _labels(alert)
                store.add_event(
                    conn,
                    incident.id,
                    now,
                    "alert-fired",
                    ENGINE,
                    text,
                    {"fingerprint": alert.fingerprint},
                )
            elif known.firing != is_firing:
                changed.append((alert.fingerprint, is_firing, None if is_firing else now))
                kind = "alert-fired" if is_firing else "alert-resolved"
                verb = "fired again" if is_firing else "resolved"
                store.add_event(
                    conn,
                    incident.id,
                    now,
                    kind,
                    ENGINE,
                    f"Alert {verb}: {name} " + _labels(alert),
                    {"fingerprint": alert.fingerprint},
                )
        store.set_alerts(conn, incident.id, added, changed, now)
        if firing:
            worst = min((severity_of(a.labels, rules) for a in firing), key=_rank)
            if _rank(worst) < _rank(incident.severity):
                self.desk.set_severity(conn, incident.id, worst, ENGINE, now)
        still = {fp for fp, a in linked.items() if a.firing}
        still |= {fp for fp, _ in added}
        for fp, is_firing, _ in changed:
            (still.add if is_firing else still.discard)(fp)
        if not still and rules.auto_resolve and incident.is_open:
            self.desk.resolve(
                conn, incident.id, ENGINE, now, note="all of its alerts resolved", via="alerts"
            )


def _labels(alert: Alert) -> str:
    shown = {k: v for k, v in alert.labels.items() if k != "alertname"}
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(shown.items())) + "}"
