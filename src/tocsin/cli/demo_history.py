"""Three days of made-up history for the demo, so the board is populated from the first
look: incidents that were acknowledged, escalated, mitigated and resolved, a declared SEV1
with roles and notes, silences and an override.

It is played through the real intake and services on a clock that starts three days ago
and is moved forward step by step (the engine runs what falls due at each step), so every
timeline entry, page and escalation is one Tocsin really made. Only an empty database is
seeded."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson

from tocsin.domain.incident_updates import UpdateParts
from tocsin.domain.integrations import Integration, IntegrationKind
from tocsin.domain.matchers import parse_matchers
from tocsin.engine.clock import FakeClock, SystemClock
from tocsin.integrations.alertmanager_api import parse_postable_alerts
from tocsin.services.incident_comms import PublicUpdate
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings
from tocsin.store import timers as timer_store

__all__ = ["seed_history"]

SCHEDULE = "follow-the-sun"


class _Story:
    def __init__(self, runtime: Runtime, clock: FakeClock, integration: Integration):
        self.runtime = runtime
        self.clock = clock
        self.integration = integration
        self.start = clock.now()
        #: Checkout's requests are recorded up to here (hours from the start).
        self.traffic = 0.0

    def at(self, hours: float) -> None:
        """Jump to ``hours`` after the start; what fell due on the way runs there (late)."""
        self.clock.set(self.start + timedelta(hours=hours))
        _checkout_requests(self)
        self.runtime.runner.run_due()

    def through(self, hours: float) -> None:
        """Move to ``hours`` after the start timer by timer, so each runs at its minute
        (escalations fire when the policy says, not all at the end)."""
        target = self.start + timedelta(hours=hours)
        while self.clock.now() < target:
            with self.runtime.db.read() as conn:
                due = timer_store.next_due_at(conn)
            now = self.clock.now()
            if due is not None and due <= now:  # left over: move on a minute
                due = now + timedelta(minutes=1)
            self.clock.set(target if due is None else min(target, due))
            _checkout_requests(self)
            self.runtime.runner.run_due()

    def alert(self, name: str, service: str, severity: str, summary: str, *, ends: str) -> None:
        now = self.clock.now()
        end = {"firing": now + timedelta(minutes=30), "resolved": now}.get(ends)
        body = [
            {
                "labels": {
                    "alertname": name,
                    "service": service,
                    "instance": f"{service}-1:9100",
                    "job": service,
                    "severity": severity,
                },
                "annotations": {
                    "summary": f"{service}: {summary}",
                    "runbook_url": f"https://runbooks.example.com/{name}",
                    "dashboard_url": f"https://grafana.example.com/d/{service}",
                },
                "startsAt": now.isoformat(),
                "endsAt": (end or datetime.fromisoformat(ends)).isoformat(),
                "generatorURL": f"http://prometheus.example.com/graph?g0.expr={name}",
            }
        ]
        events = parse_postable_alerts(
            orjson.dumps(body), now=now, resolve_timeout=self.runtime.resolve_timeout
        )
        asyncio.run(self.runtime.intake.submit(self.integration, events))
        self.runtime.runner.run_due()
        self.clock.advance(timedelta(seconds=10))  # past the pager route's group_wait
        self.runtime.runner.run_due()

    def latest(self) -> int:
        return self.runtime.incidents.incidents(limit=1)[0].id

    def oncall(self) -> str:
        return self.runtime.schedules.oncall(SCHEDULE) or "sam"

    def act(self, work: Callable[[], Any]) -> None:
        work()
        self.runtime.runner.run_due()


def _status_page(s: _Story) -> dict[str, int]:
    """The public status page's components (docs/status-page.md), by name."""
    page = s.runtime.status_page
    out: dict[str, int] = {}
    for group, names in (
        ("Storefront", ("Checkout", "Search")),
        ("Platform", ("Payments API", "Inventory")),
    ):
        group_id = page.create_group(group).id
        for name in names:
            out[name] = page.create_component(name, group_id=group_id).id
    return out


def _play(s: _Story, real_now: datetime) -> None:
    inc = s.runtime.incidents
    s.at(0)
    components = _status_page(s)
    # Day 1: an error spike, acknowledged in four minutes, fixed by a rollback.
    s.at(2)
    s.alert("HighErrorRate", "checkout", "critical", "5xx ratio above 5%", ends="firing")
    first, who = s.latest(), s.oncall()
    s.through(2.07)
    s.act(lambda: inc.acknowledge(first, who, via="web"))
    s.act(lambda: inc.add_note(first, "Deploy 4812 went out at 11:58; rolling it back.", who))
    s.at(2.3)
    s.alert("HighErrorRate", "checkout", "critical", "5xx ratio above 5%", ends="resolved")
    # Day 1 night: nobody answers level 1; level 2 acknowledges and mitigates.
    s.at(9)
    s.alert("InstanceDown", "payments", "critical", "target unreachable", ends="firing")
    second = s.latest()
    s.through(9.2)  # 12 minutes: level 1 timed out, level 2 was paged
    s.act(lambda: inc.acknowledge(second, "sam", via="sms"))
    s.act(lambda: inc.mitigate(second, "sam", "Failed over to the standby node."))
    s.at(9.7)
    s.alert("InstanceDown", "payments", "critical", "target unreachable", ends="resolved")
    # Day 2: a declared SEV1 with roles, notes, and a resolution.
    s.at(20)
    sev1 = inc.declare(
        title="Checkout failing for EU customers",
        severity="SEV1",
        actor="lena",
        summary="Card payments from EU issuers are declined since 20:00 UTC.",
        service="checkout",
        team="sre",
    ).id
    s.runtime.runner.run_due()
    s.act(lambda: inc.acknowledge(sev1, "lena", via="web"))
    s.act(lambda: inc.assign_role(sev1, "commander", "lena", "lena"))
    s.act(lambda: inc.assign_role(sev1, "communications", "jonas", "lena"))
    checkout = components["Checkout"]
    s.at(20.1)
    s.act(
        lambda: s.runtime.comms.post_update(
            sev1,
            "jonas",
            UpdateParts(
                affected="Checkout (EU card payments)",
                status="Investigating",
                impact="Card payments from EU issuers are declined.",
                actions="Asking the payment provider; preparing to reroute.",
            ),
            public=PublicUpdate(
                "investigating",
                "Some card payments in Europe are failing. We are investigating.",
                name="Card payments failing in Europe",
                impact="major",
                components={checkout: "partial_outage"},
            ),
        )
    )
    s.act(
        lambda: inc.add_note(
            sev1, "The payment provider confirms an outage on their side.", "jonas"
        )
    )
    s.at(20.75)
    s.act(lambda: inc.mitigate(sev1, "lena", "Routed EU card payments to the second provider."))
    s.act(
        lambda: s.runtime.comms.post_update(
            sev1,
            "jonas",
            UpdateParts(
                status="Mitigated; monitoring", actions="EU cards go to the second provider."
            ),
            public=PublicUpdate(
                "monitoring",
                "Payments work again through a second provider. We are monitoring.",
                components={checkout: "degraded_performance"},
            ),
        )
    )
    s.at(22)
    s.act(lambda: inc.resolve(sev1, "lena", "The provider fixed their outage; routing restored."))
    s.act(
        lambda: s.runtime.comms.post_update(
            sev1,
            "jonas",
            UpdateParts(status="Resolved", message="The provider fixed their outage."),
            public=PublicUpdate(
                "resolved",
                "Card payments in Europe have worked normally since 22:00 UTC.",
                components={checkout: "operational"},
            ),
        )
    )
    # Day 2: a warning for the team channel only (no incident).
    s.at(30)
    s.alert("DiskWillFillIn4Hours", "inventory", "warning", "disk fills within 4h", ends="firing")
    s.at(31)
    s.alert("DiskWillFillIn4Hours", "inventory", "warning", "disk fills within 4h", ends="resolved")
    # Day 3: still going: an acknowledged latency incident whose alert fires for two more hours.
    s.at(68)
    ends = (real_now + timedelta(hours=2)).isoformat()
    s.alert("HighLatency", "search", "critical", "p99 latency above 800ms", ends=ends)
    open_one, who = s.latest(), s.oncall()
    s.through(68.1)
    s.act(lambda: inc.acknowledge(open_one, who, via="push"))
    s.act(lambda: inc.add_note(open_one, "Index rebuild running; latency should recover.", who))
    # Maintenance on inventory tonight, and sam covering the next eight hours of the rotation.
    s.at(71.5)
    now = s.clock.now()
    s.runtime.silences.save(
        tuple(parse_matchers('service="inventory"')),
        now,
        now + timedelta(hours=6),
        "jonas",
        "Database migration on inventory: planned maintenance.",
    )
    s.runtime.schedules.add_override(
        SCHEDULE, "sam", now + timedelta(hours=1), now + timedelta(hours=9), "maria"
    )
    s.runtime.status_page.schedule_maintenance(
        "Inventory database migration",
        "Stock levels may be a few minutes late while the inventory database is migrated.",
        now + timedelta(hours=2),
        now + timedelta(hours=5),
        [components["Inventory"]],
        "jonas",
    )
    _checkout_requests(s)


#: Checkout's error share in the half hours that went wrong (the error spike at 2 h and
#: the SEV1 from 20 h to its mitigation); none otherwise.
_ERRORS = {2.0: 0.05, 20.0: 0.03, 20.5: 0.03}


def _checkout_requests(s: _Story) -> None:
    """Checkout's requests for its SLO (docs/slos.md), 3,000 every half hour, recorded as
    the story's clock moves, so the postmortems drafted on the way see the budget their
    incidents burned: the spike and the SEV1 burn most of the first three days' budget."""
    while s.start + timedelta(hours=s.traffic) <= s.clock.now():
        bad = round(3000 * _ERRORS.get(s.traffic, 0.0))
        at = s.start + timedelta(hours=s.traffic)
        s.runtime.slos.record("checkout-requests", 3000 - bad, 3000, at)
        s.traffic += 0.5


def seed_history(settings: Settings, token: str) -> bool:
    """Play the story into an empty database; False when it already has incidents."""
    real_now = SystemClock().now().replace(second=0, microsecond=0)
    clock = FakeClock(real_now - timedelta(hours=72))
    # Housekeeping only every few hours while the story plays (it would wake every 30 s).
    quiet = settings.model_copy(update={"housekeeping_interval": timedelta(hours=6)})
    runtime = Runtime.build(quiet, clock=clock, run_engine=False)
    runtime.start()
    try:
        if runtime.incidents.incidents(limit=1):
            return False
        prometheus = runtime.integrations.authenticate(token, {IntegrationKind.ALERTMANAGER})
        _play(_Story(runtime, clock, prometheus), real_now)
        return True
    finally:
        runtime.stop()
