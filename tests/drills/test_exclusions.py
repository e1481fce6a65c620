"""A drill is practice: no report, gauge, repeat count, on-call health figure, status page,
postmortem requirement or SLO burn counts it. Each test has a real incident beside the
drill, counted, to show the figure would move."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from tests.drills.conftest import utc
from tests.notify.conftest import firing
from tocsin.domain.incident_updates import UpdateParts
from tocsin.errors import InputError
from tocsin.services.incident_comms import PublicUpdate
from tocsin.services.incident_slos import burned_during
from tocsin.services.repeats import repeats_of
from tocsin.store import repeats as repeat_store
from tocsin.store.learning_tables import postmortems
from tocsin.store.oncall_pages import pages_between
from tocsin.store.tables import alerts, incident_alerts

SLO = """\
slos:
  - service: api
    name: availability
    objective: 99.9
    window: 30d
    sli: {builtin: {}}
    alerting: {page_alert: {disable: true}, ticket_alert: {disable: true}}
"""


def both(d: Any, severity: str = "SEV1", **kw: Any) -> tuple[int, int]:
    """A real incident and a drill, alike: (real, drill)."""
    incidents = d.runtime.incidents
    real = incidents.declare(title="Checkout down", severity=severity, actor="ann", **kw)
    drill = incidents.declare(
        title="Checkout down", severity=severity, actor="ann", drill=True, **kw
    )
    d.settle()
    return real.id, drill.id


def test_incident_reports_and_the_alert_review_leave_drills_out(drills: Any) -> None:
    d = drills()
    real, drill = both(d, policy="platform")
    d.later(minutes=3)
    d.runtime.incidents.acknowledge(real, "ann")
    d.runtime.incidents.acknowledge(drill, "ann")
    d.later(minutes=10)
    d.runtime.incidents.resolve(real, "ann")
    d.runtime.incidents.resolve(drill, "ann")
    report = d.runtime.reports.incidents(utc(2026, 3, 1), utc(2026, 3, 2))
    assert report.volume.total == 1
    assert report.metrics.overall.incidents == 1
    # The same alert joined both: the alert review counts the real incident only.
    d.h.post(firing("CheckoutDown", service="checkout"))
    d.settle()
    with d.runtime.db.write() as conn:
        fingerprint = conn.execute(
            select(alerts.c.fingerprint).where(
                alerts.c.labels["alertname"].as_string() == "CheckoutDown"
            )
        ).scalar_one()
        for incident_id in (real, drill):
            conn.execute(
                incident_alerts.insert().values(
                    incident_id=incident_id,
                    fingerprint=fingerprint,
                    firing=True,
                    added_at=utc(2026, 3, 1, 12, 1),
                    alertname="CheckoutDown",
                )
            )
    review = d.runtime.reports.alerts(utc(2026, 3, 1), utc(2026, 3, 2))
    [row] = [r for r in review.rows if r.alertname == "CheckoutDown"]
    assert row.incidents == 1


def test_the_metrics_gauges_leave_drills_out(drills: Any) -> None:
    d = drills()
    both(d)
    text = d.h.client.get("/metrics").text
    found = re.search(r'^tocsin_incidents_open\{severity="SEV1"\} (\S+)$', text, re.M)
    assert found is not None
    assert float(found.group(1)) == 1.0


def test_repeats_leave_drills_out(drills: Any) -> None:
    d = drills()
    real, drill = both(d)
    with d.runtime.db.read() as conn:
        ids = [f.id for f in repeat_store.facts(conn, since=utc(2026, 3, 1))]
    assert ids == [real]
    assert repeats_of(d.runtime.db, d.runtime.routing, drill) == []


def test_oncall_health_counts_no_drill_page(drills: Any) -> None:
    d = drills()
    real, drill = both(d, policy="platform")
    with d.runtime.db.read() as conn:
        pages = pages_between(conn, utc(2026, 3, 1), utc(2026, 3, 2))
    assert {p.incident for p in pages} == {real}
    report = d.runtime.oncall_health.report(utc(2026, 2, 28), utc(2026, 3, 2))
    ann = [p for p in report.people if p.person == "ann"]
    assert all(p.pages == 1 for p in ann)


def test_a_drill_never_reaches_the_status_page(drills: Any) -> None:
    d = drills()
    real, drill = both(d)
    public = PublicUpdate(status="investigating", body="Checkout is down", name="Checkout")
    d.runtime.comms.post_update(real, "ann", UpdateParts(message="looking"), public=public)
    with pytest.raises(InputError, match="never on the status page"):
        d.runtime.comms.post_update(drill, "ann", UpdateParts(message="looking"), public=public)
    with pytest.raises(InputError, match="never on the status page"):
        d.runtime.status_page.publish(drill, "Checkout", "investigating", "Down", None, {}, "ann")


def test_a_drill_needs_no_postmortem(drills: Any) -> None:
    d = drills()  # postmortems are required for SEV1 and SEV2 by default
    real, drill = both(d)
    d.runtime.incidents.resolve(real, "ann")
    d.runtime.incidents.resolve(drill, "ann")
    d.later(minutes=2)
    with d.runtime.db.read() as conn:
        drafted = set(conn.execute(select(postmortems.c.incident_id)).scalars())
    assert drafted == {real}


def test_a_drill_burns_no_slo(drills: Any) -> None:
    d = drills(SLO)
    real, drill = both(d, service="api")
    # An alert of the SLO's burn rate links it to either incident.
    burn_alert: Any = SimpleNamespace(labels={"slo": "api-availability"}, starts_at=d.h.clock.now())
    slos = d.runtime.slos
    with_real = burned_during(slos, d.runtime.incidents.get(real), [burn_alert])
    with_drill = burned_during(slos, d.runtime.incidents.get(drill), [burn_alert])
    assert [b.slo_id for b in with_real.slos] == ["api-availability"]
    assert with_drill.slos == ()
