"""Finished days kept by the engine (``status_component_days``): written after each local
midnight, caught up after days without an engine, redone for a new time zone, read by the
page, and exactly what working them out from the history gives."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select, update

from tests.status_page.conftest import Status
from tocsin.domain.status_page import ComponentStatus
from tocsin.domain.status_uptime import UPTIME_DAYS, Day, daily
from tocsin.domain.wallclock import start_of_day
from tocsin.store import status_page as pages
from tocsin.store.status_tables import status_component_days as days_table

STATUSES = ["operational", "degraded_performance", "partial_outage", "major_outage"]


def _page_days(status: Status) -> dict[int, list[Day]]:
    """What the page shows, nothing kept in memory (the first view of a day)."""
    service = status.runtime.status_page
    service._days.clear()
    return service.uptime(service.snapshot())


def _from_history(status: Status) -> dict[int, list[Day]]:
    """The same, worked out from the whole history."""
    snapshot = status.runtime.status_page.snapshot()
    today = snapshot.now.astimezone(snapshot.zone).date()
    first = today - timedelta(days=UPTIME_DAYS - 1)
    ids = [c.id for c in snapshot.components if c.showcase]
    with status.runtime.db.read() as conn:
        changes = pages.history(conn, start_of_day(first, snapshot.zone), ids)
    return {
        i: daily(
            changes.get(i, []), first=first, days=UPTIME_DAYS, now=snapshot.now, zone=snapshot.zone
        )
        for i in ids
    }


def _kept(status: Status) -> dict[tuple[int, str], set[date]]:
    with status.runtime.db.read() as conn:
        rows = conn.execute(select(days_table.c.component_id, days_table.c.zone, days_table.c.day))
        out: dict[tuple[int, str], set[date]] = {}
        for component_id, zone, ordinal in rows:
            out.setdefault((component_id, zone), set()).add(date.fromordinal(ordinal))
    return out


def _live(status: Status, days: int, seed: int, ids: list[int]) -> None:
    """``days`` days of outages and recoveries, the engine running throughout."""
    rnd = random.Random(seed)
    for _ in range(days * 3):
        status.tick(rnd.randint(600, 16 * 3600))
        component = rnd.choice(ids)
        status.api("POST", f"/components/{component}/status", {"status": rnd.choice(STATUSES)})


def test_kept_days_give_exactly_what_the_history_gives(status: Status):
    status.api("PATCH", "", {"time_zone": "Europe/Berlin"}, expect=200)
    ids = [status.component(f"C{n}") for n in range(3)]
    _live(status, 12, 7, ids)
    kept = _kept(status)
    today = status.clock.now().astimezone(status.runtime.status_page.snapshot().zone).date()
    window = {today - timedelta(days=n) for n in range(1, UPTIME_DAYS)}
    for i in ids:
        assert kept[(i, "Europe/Berlin")] == window  # every finished day of the window
    assert {zone for _, zone in kept} == {"Europe/Berlin"}
    assert _page_days(status) == _from_history(status)
    status.tick(3 * 3600)  # later today, nothing changed: still the same
    assert _page_days(status) == _from_history(status)


def test_the_page_reads_the_kept_days(status: Status):
    api = status.component("API")
    status.tick(2 * 86400)
    yesterday = status.clock.now().date() - timedelta(days=1)
    with status.runtime.db.write() as conn:
        conn.execute(
            update(days_table)
            .where(days_table.c.component_id == api, days_table.c.day == yesterday.toordinal())
            .values(major=3600.0, worst="major_outage")
        )
    shown = _page_days(status)[api]
    assert (shown[-2].day, shown[-2].major, shown[-2].worst) == (
        yesterday,
        3600.0,
        ComponentStatus.MAJOR,
    )


def test_a_component_missing_kept_days_is_worked_out_from_its_history(status: Status):
    old = status.component("Old")
    status.tick(3 * 86400)
    new = status.component("New")  # made today: nothing kept for it until midnight
    status.api("POST", f"/components/{new}/status", {"status": "major_outage"})
    status.tick(600)
    assert (new, "Etc/UTC") not in _kept(status)
    assert _page_days(status) == _from_history(status)
    assert _page_days(status)[old] == _from_history(status)[old]


def test_days_missed_without_an_engine_are_caught_up(status: Status):
    ids = [status.component("A"), status.component("B")]
    status.tick()
    status.api("POST", f"/components/{ids[0]}/status", {"status": "partial_outage"})
    status.clock.advance(timedelta(days=5, hours=3))  # no engine for five days
    assert _page_days(status) == _from_history(status)
    status.tick()
    today = status.clock.now().date()
    for i in ids:
        assert today - timedelta(days=1) in _kept(status)[(i, "Etc/UTC")]
    assert _page_days(status) == _from_history(status)


def test_a_new_time_zone_has_its_days_worked_out_again(status: Status):
    ids = [status.component("A"), status.component("B")]
    _live(status, 4, 11, ids)
    assert {zone for _, zone in _kept(status)} == {"Etc/UTC"}
    status.api("PATCH", "", {"time_zone": "Pacific/Auckland"}, expect=200)
    assert _page_days(status) == _from_history(status)  # from the history meanwhile
    status.tick()
    assert {zone for _, zone in _kept(status)} == {"Pacific/Auckland"}
    assert _page_days(status) == _from_history(status)


def test_a_deleted_components_days_go_with_it(status: Status):
    gone = status.component("Gone")
    status.tick(2 * 86400)
    assert (gone, "Etc/UTC") in _kept(status)
    status.api("DELETE", f"/components/{gone}", expect=204)
    assert _kept(status) == {}
