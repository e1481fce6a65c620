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
from tocsin.domain.incidents import Incident, Severity, severity_of
from tocsin.notify import incident_rooms as rooms
from tocsin.notify import runbook_links
from tocsin.notify.incident_desk import Desk, Opening
from tocsin.notify.paging import ENGINE
from tocsin.store import incidents as store
from tocsin.store.groups import GroupRow
from tocsin.store.incidents import IncidentAlert

__all__ = ["IncidentStage", "OnJoined"]


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


#: Told of the alerts that just joined an open incident (remediation triggers).
OnJoined = Callable[[Connection, Incident, Sequence[Alert], datetime], None]


class IncidentStage:
    def __init__(
        self,
        routing: Callable[[], RoutingConfig | None],
        desk: Desk,
        on_joined: OnJoined | None = None,
    ) -> None:
        self.routing = routing
        self.desk = desk
        self.on_joined = on_joined

    def sync(
        self,
        conn: Connection,
        config: RoutingConfig,
        group: GroupRow,
        policy: str,
        visible: Sequence[Alert],
        alerts: Sequence[Alert],
        now: datetime,
        *,
        held: bool = False,
    ) -> None:
        """Open or update the group's incident. Only ``visible`` alerts (not muted, not held
        as flapping) open an incident or join one; every alert of the group (``alerts``)
        keeps the state of the ones already linked current, so one that resolves while
        silenced still resolves its incident. ``held``: too few alerts, or not firing long
        enough yet (the route's ``min_alerts`` / ``min_firing_for``), to open one."""
        firing_now = {
            a.fingerprint for a in alerts if effective_status(a, now) is not AlertStatus.RESOLVED
        }
        firing = [a for a in visible if a.fingerprint in firing_now]
        rules = config.incidents
        incident = store.latest_by_group(conn, [group.ident]).get(group.ident)
        if incident is not None and not incident.is_open:
            linked = {a.fingerprint: a for a in store.alerts_of(conn, [incident.id])[incident.id]}
            self._update(conn, incident, linked, (), alerts, firing_now, now)
            # Alerts the last incident already had, still in the same firing, were dealt with
            # when it was resolved (by hand, say): only a new firing opens a new incident.
            resolved_at = incident.resolved_at or now
            firing = [
                a
                for a in firing
                if a.fingerprint not in linked
                or not linked[a.fingerprint].firing
                or a.starts_at > resolved_at
            ]
            incident = None
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
                    service=service[:200] if service else None,
                    policy=policy,
                    group_ident=group.ident,
                    summary=firing[0].annotations.get("description", ""),
                ),
                ENGINE,
                now,
            )
        linked = {a.fingerprint: a for a in store.alerts_of(conn, [incident.id])[incident.id]}
        joining = [a for a in firing if a.fingerprint not in linked]
        still = self._update(conn, incident, linked, firing, alerts, firing_now, now)
        if joining:  # the runbooks they match, for its page, its pages and their review
            runbook_links.record(conn, config, incident.id, joining, now)
        if firing:
            worst = min((severity_of(a.labels, rules) for a in firing), key=_rank)
            if _rank(worst) < _rank(incident.severity):
                self.desk.set_severity(conn, incident.id, worst, ENGINE, now)
        if not still and rules.auto_resolve:
            self.desk.resolve(
                conn, incident.id, ENGINE, now, note="all of its alerts resolved", via="alerts"
            )

    def _update(
        self,
        conn: Connection,
        incident: Incident,
        linked: dict[str, IncidentAlert],
        joining: Sequence[Alert],
        alerts: Sequence[Alert],
        firing_now: set[str],
        now: datetime,
    ) -> set[str]:
        """Link the ``joining`` alerts and bring the linked ones' states up to date, each
        change on the timeline; the fingerprints still firing."""
        added: list[tuple[str, str]] = []
        changed: list[tuple[str, bool, datetime | None]] = []
        for alert in joining:
            if alert.fingerprint in linked:
                continue
            name = alert.labels.get("alertname", "")
            added.append((alert.fingerprint, name[:200]))
            self._event(conn, incident, "alert-fired", f"Alert fired: {name}", alert, now)
        joined = {a.fingerprint for a in joining}
        for alert in alerts:
            known = linked.get(alert.fingerprint)
            is_firing = alert.fingerprint in firing_now
            if known is None or known.firing == is_firing:
                continue
            if is_firing and alert.fingerprint not in joined:
                continue  # fired again but muted: it rejoins when it shows
            changed.append((alert.fingerprint, is_firing, None if is_firing else now))
            name = alert.labels.get("alertname", "")
            verb = "fired again" if is_firing else "resolved"
            kind = "alert-fired" if is_firing else "alert-resolved"
            self._event(conn, incident, kind, f"Alert {verb}: {name}", alert, now)
        store.set_alerts(conn, incident.id, added, changed, now)
        if added and self.on_joined is not None and incident.is_open:
            fresh = {fp for fp, _ in added}
            self.on_joined(conn, incident, [a for a in joining if a.fingerprint in fresh], now)
        if added or changed:
            rooms.touch(conn, incident.id, now)  # the card counts the alerts firing
        still = {fp for fp, a in linked.items() if a.firing} | {fp for fp, _ in added}
        for fp, is_firing, _ in changed:
            (still.add if is_firing else still.discard)(fp)
        return still if incident.is_open else set()

    @staticmethod
    def _event(
        conn: Connection, incident: Incident, kind: str, text: str, alert: Alert, now: datetime
    ) -> None:
        store.add_event(
            conn,
            incident.id,
            now,
            kind,
            ENGINE,
            f"{text} {_labels(alert)}",
            {"fingerprint": alert.fingerprint},
        )


def _labels(alert: Alert) -> str:
    shown = {k: v for k, v in alert.labels.items() if k != "alertname"}
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(shown.items())) + "}"
