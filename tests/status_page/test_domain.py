"""The page's top-level status and the uptime per day: tables, then invariants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.domain import status_links
from tocsin.domain.status_page import (
    ComponentStatus,
    Impact,
    control_character,
    held,
    impact_of,
    overall,
)
from tocsin.domain.status_uptime import (
    PARTIAL_WEIGHT,
    Change,
    Day,
    daily,
    extend_today,
    finished,
    level,
    period_uptime,
    today_from,
)
from tocsin.domain.status_webhooks import refusal

OK = ComponentStatus.OPERATIONAL
DEG = ComponentStatus.DEGRADED
PART = ComponentStatus.PARTIAL
MAJ = ComponentStatus.MAJOR
MAINT = ComponentStatus.MAINTENANCE
UTC_ZONE = ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("components", "impacts", "busy", "indicator", "description"),
    [
        ([], [], False, "none", "All Systems Operational"),
        ([], [Impact.MINOR], False, "minor", "Minor Service Outage"),
        ([], [Impact.CRITICAL, Impact.MINOR], False, "critical", "Major System Outage"),
        ([OK, OK], [], False, "none", "All Systems Operational"),
        ([MAJ], [], False, "critical", "Major System Outage"),
        ([MAJ, MAJ], [], False, "critical", "Major System Outage"),
        ([MAJ, OK], [], False, "major", "Partial System Outage"),
        ([PART], [], False, "major", "Partial System Outage"),
        ([PART, OK], [], False, "minor", "Minor Service Outage"),
        ([DEG], [], False, "minor", "Degraded System Service"),
        ([DEG, OK], [], False, "minor", "Partially Degraded Service"),
        ([MAINT, OK], [], False, "maintenance", "Service Under Maintenance"),
        ([OK], [], True, "maintenance", "Service Under Maintenance"),
        # An incident worse than the components raises the indicator ...
        ([DEG, OK], [Impact.CRITICAL], False, "critical", "Major System Outage"),
        ([MAINT, OK], [Impact.MINOR], False, "minor", "Minor Service Outage"),
        # ... one milder does not lower it.
        ([MAJ, OK], [Impact.MINOR], False, "major", "Partial System Outage"),
        ([OK], [Impact.NONE], False, "none", "All Systems Operational"),
    ],
)
def test_overall(components, impacts, busy, indicator, description):
    found = overall(components, impacts, maintenance_in_progress=busy)
    assert (found.indicator, found.description) == (indicator, description)


@pytest.mark.parametrize(
    ("statuses", "impact"),
    [
        ([], Impact.NONE),
        ([OK, MAINT], Impact.NONE),
        ([DEG, OK], Impact.MINOR),
        ([PART, DEG], Impact.MAJOR),
        ([MAJ, PART], Impact.CRITICAL),
    ],
)
def test_impact_from_components(statuses, impact):
    assert impact_of(statuses) is impact


D0 = datetime(2026, 3, 1, tzinfo=UTC)


def at(day: int, hour: float = 0) -> datetime:
    return D0 + timedelta(days=day, hours=hour)


@pytest.mark.parametrize(
    ("changes", "now", "expected"),
    [
        # Created on day 1 at noon: day 0 has no data, day 1 counts from noon.
        ([(at(1, 12), OK)], at(3), [(None, None), (OK, 1.0), (OK, 1.0)]),
        # A major outage of 6 hours on day 0: 75 % that day.
        (
            [(at(0), OK), (at(0, 6), MAJ), (at(0, 12), OK)],
            at(3),
            [(MAJ, 0.75), (OK, 1.0), (OK, 1.0)],
        ),
        # A partial outage counts 30 %: 12 hours of it is 3.6 hours down.
        ([(at(0), PART), (at(0, 12), OK)], at(3), [(PART, 1 - 0.3 * 0.5), (OK, 1.0), (OK, 1.0)]),
        # Degraded performance and maintenance colour the day but cost no uptime.
        ([(at(0), DEG), (at(1), MAINT), (at(2), OK)], at(3), [(DEG, 1.0), (MAINT, 1.0), (OK, 1.0)]),
        # An outage across midnight is split between the days.
        (
            [(at(0), OK), (at(0, 18), MAJ), (at(1, 6), OK)],
            at(3),
            [(MAJ, 0.75), (MAJ, 0.75), (OK, 1.0)],
        ),
        # Today counts only up to now; tomorrow has no data yet.
        ([(at(0), OK), (at(1, 6), MAJ)], at(1, 12), [(OK, 1.0), (MAJ, 0.5), (None, None)]),
        # Set just now: today already shows it.
        ([(at(0), OK), (at(1, 12), MAJ)], at(1, 12), [(OK, 1.0), (MAJ, 1.0), (None, None)]),
        # A status held for no time at all does not colour the day.
        ([(at(0), OK), (at(0, 5), MAJ), (at(0, 5), OK)], at(3), [(OK, 1.0), (OK, 1.0), (OK, 1.0)]),
        # History before the window still sets the first day's status.
        ([(at(-30), MAJ)], at(1, 6), [(MAJ, 0.0), (MAJ, 0.0), (None, None)]),
        # Changes after now are ignored.
        ([(at(0), OK), (at(2), MAJ)], at(1, 6), [(OK, 1.0), (OK, 1.0), (None, None)]),
    ],
)
def test_daily(changes, now, expected):
    days = daily(
        [Change(t, s) for t, s in changes], first=D0.date(), days=3, now=now, zone=UTC_ZONE
    )
    got = [(d.worst, None if d.uptime is None else round(d.uptime, 6)) for d in days]
    assert got == [(w, None if u is None else round(u, 6)) for w, u in expected]
    assert [d.day for d in days] == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]


def test_days_follow_the_page_time_zone_across_daylight_saving():
    berlin = ZoneInfo("Europe/Berlin")
    # 29 March 2026 is 23 hours long in Berlin; a major outage all that day is 0 % uptime.
    start = datetime(2026, 3, 28, 23, tzinfo=UTC)  # 00:00 on the 29th in Berlin
    days = daily(
        [Change(start, MAJ), Change(datetime(2026, 3, 29, 22, tzinfo=UTC), OK)],
        first=date(2026, 3, 29),
        days=2,
        now=datetime(2026, 3, 31, tzinfo=UTC),
        zone=berlin,
    )
    assert days[0].observed == 23 * 3600 and days[0].uptime == 0.0
    assert days[1].worst is OK and days[1].observed == 24 * 3600


def test_period_uptime_weights_days_by_time_observed():
    days = daily(
        [Change(at(0, 12), OK), Change(at(1), MAJ), Change(at(1, 12), OK)],
        first=D0.date(),
        days=2,
        now=at(2),
        zone=UTC_ZONE,
    )
    assert period_uptime(days) == pytest.approx(1 - 12 / 36)
    assert period_uptime(days[:0]) is None


statuses = st.sampled_from(list(ComponentStatus))


@st.composite
def histories(draw):
    count = draw(st.integers(0, 25))
    offsets = sorted(
        draw(st.lists(st.integers(-3 * 1440, 8 * 1440), min_size=count, max_size=count))
    )
    return [Change(D0 + timedelta(minutes=m), draw(statuses)) for m in offsets]


@settings(max_examples=200, deadline=None)
@given(histories(), st.integers(0, 9 * 1440))
def test_uptime_invariants(changes, now_minutes):
    now = D0 + timedelta(minutes=now_minutes)
    days = daily(changes, first=D0.date(), days=7, now=now, zone=UTC_ZONE)
    assert len(days) == 7
    past = [c for c in changes if c.at <= now]
    for d in days:
        start = datetime.combine(d.day, datetime.min.time(), tzinfo=UTC)
        end = min(start + timedelta(days=1), now)
        # observed time never exceeds the part of the day that has passed
        assert 0 <= d.observed <= max(0.0, (end - start).total_seconds()) + 1e-6
        assert d.major + d.partial <= d.observed + 1e-6
        if d.uptime is not None:
            assert 0.0 <= d.uptime <= 1.0
            assert d.uptime == pytest.approx(
                1 - (d.major + PARTIAL_WEIGHT * d.partial) / d.observed
            )
        # the day's worst status is at least as bad as any status held in it for a while
        held = [
            c.status
            for i, c in enumerate(past)
            if c.at < end and (past[i + 1].at if i + 1 < len(past) else now) > max(c.at, start)
        ]
        if held and start < now:
            assert d.worst is not None
            assert d.worst.severity >= max(s.severity for s in held)
        if d.worst is not None and d.worst in (MAJ, PART) and d.observed > 0 and start < now:
            assert d.major + d.partial > 0 or any(c.at == now for c in past)
    total = period_uptime(days)
    if total is not None:
        assert min(d.uptime for d in days if d.uptime is not None) - 1e-9 <= total
        assert total <= max(d.uptime for d in days if d.uptime is not None) + 1e-9


@given(st.text("0123456789abcdef", min_size=64, max_size=64), st.binary(min_size=16, max_size=32))
def test_links_are_bound_to_the_address_and_action(ident, key):
    token = status_links.sign(key, status_links.UNSUBSCRIBE, ident)
    assert status_links.verify(key, token, status_links.UNSUBSCRIBE, ident)
    assert not status_links.verify(key, token, status_links.CONFIRM, ident)
    other = ("1" if ident[0] == "0" else "0") + ident[1:]
    assert not status_links.verify(key, token, status_links.UNSUBSCRIBE, other)
    assert not status_links.verify(key + b"!", token, status_links.UNSUBSCRIBE, ident)


@settings(max_examples=200, deadline=None)
@given(histories(), st.integers(0, 1439), st.integers(0, 1439))
def test_bringing_today_up_to_now_matches_working_it_out_again(changes, a, b):
    """What the page keeps between views (see StatusPageService.uptime) is exact."""
    day = D0 + timedelta(days=6)
    t1, t2 = day + timedelta(minutes=min(a, b)), day + timedelta(minutes=max(a, b))
    changes = [c for c in changes if c.at <= t1]  # nothing changes between the two views
    if not changes:
        return
    kw = {"first": D0.date(), "days": 7, "zone": UTC_ZONE}
    before = daily(changes, now=t1, **kw)
    again = daily(changes, now=t2, **kw)
    brought = extend_today(before, changes[-1].status, t1, t2)
    assert [(d.day, d.worst) for d in brought] == [(d.day, d.worst) for d in again]
    for x, y in zip(brought, again, strict=True):
        assert x.observed == pytest.approx(y.observed)
        assert x.major == pytest.approx(y.major) and x.partial == pytest.approx(y.partial)


@pytest.mark.parametrize(
    ("current", "others", "how", "expected"),
    [
        # an update states a status: the worst of it and what the others hold
        (OK, [], {"stated": MAJ}, MAJ),
        (MAJ, [MAJ], {"stated": OK}, MAJ),
        (PART, [DEG], {"stated": OK}, DEG),
        # a maintenance starting never hides an outage, held or set by hand
        (OK, [], {"default": MAINT}, MAINT),
        (MAJ, [MAJ], {"default": MAINT}, MAJ),
        (PART, [], {"default": MAINT}, PART),
        # letting go: back to the worst the others hold, operational when none ...
        (MAINT, [MAJ], {"let_go": MAINT}, MAJ),
        (MAJ, [PART], {"let_go": MAJ}, PART),
        (MAJ, [], {"let_go": MAJ}, OK),
        (MAJ, [MAINT], {"let_go": MAJ}, MAINT),
        # ... unless the component no longer shows what this one held it at
        (MAJ, [MAJ], {"let_go": MAINT}, MAJ),
        (DEG, [], {"let_go": MAJ}, DEG),
    ],
)
def test_a_component_shows_the_worst_status_held(current, others, how, expected):
    assert held(current, others, **how) is expected


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("API", None),
        ("Zürich – Region (eu) ✓", None),
        ("API\nBcc: x@example.com", "U+000A"),
        ("API\r", "U+000D"),
        ("tab\there", "U+0009"),
        ("nul\x00", "U+0000"),
        ("del\x7f", "U+007F"),
        ("c1\x85", "U+0085"),
        ("line\u2028sep", "U+2028"),
    ],
)
def test_control_characters_in_names(text, found):
    assert control_character(text) == found


def _day(major: float = 0, partial: float = 0, observed: float = 86400, worst=OK) -> Day:
    return Day(D0.date(), worst, observed, major, partial)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (_day(observed=0, worst=None), "none"),
        (_day(), "ok"),
        # degraded performance and maintenance are not downtime: green, as on Statuspage
        (_day(worst=DEG), "ok"),
        (_day(worst=MAINT), "ok"),
        # then by how much downtime (partial outage weighs 0.3)
        (_day(major=60, worst=MAJ), "low"),
        (_day(partial=3600, worst=PART), "low"),  # 18 weighted minutes
        (_day(major=20 * 60, worst=MAJ), "mid"),
        (_day(partial=3 * 3600, worst=PART), "mid"),  # 54 weighted minutes
        (_day(major=2 * 3600 - 1, worst=MAJ), "mid"),
        (_day(major=2 * 3600, worst=MAJ), "high"),
        (_day(partial=86400, worst=PART), "high"),
    ],
)
def test_a_days_colour_follows_its_downtime(day, expected):
    assert level(day) == expected


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),
        ("100.64.0.1", "not a public"),
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_webhooks_go_to_public_addresses_only(address, kind):
    reason = refusal(address)
    if kind is None:
        assert reason is None
    else:
        assert reason is not None and kind in reason


@settings(max_examples=300, deadline=None)
@given(histories(), st.integers(0, 1439), st.integers(0, 1439))
def test_kept_days_and_today_give_exactly_what_the_history_gives(changes, a, b):
    """What the engine keeps of finished days (``finished``, at midnight or any time after)
    and today from the status at midnight (``today_from``) are what ``daily`` works out from
    the whole history (engine/status_days.py, StatusPageService.uptime)."""
    today = (D0 + timedelta(days=6)).date()
    midnight = D0 + timedelta(days=6)
    kept_at = midnight + timedelta(minutes=min(a, b))
    now = midnight + timedelta(minutes=max(a, b))
    changes = [c for c in changes if c.at <= now]
    known = [c for c in changes if c.at <= kept_at]  # what the history held when kept
    kept = finished(known, first=D0.date(), days=6, now=kept_at, zone=UTC_ZONE)
    since = [c for c in changes if c.at >= midnight]
    now_day = today_from(kept[-1][1], since, day=today, now=now, zone=UTC_ZONE)
    expected = daily(changes, first=D0.date(), days=7, now=now, zone=UTC_ZONE)
    assert [d for d, _ in kept] + [now_day] == expected
    for (_, end), next_day in zip(kept, expected[1:], strict=True):
        # the status kept for a day's end is the one in force when the next began
        begun = [
            c for c in changes if c.at <= datetime.combine(next_day.day, datetime.min.time(), UTC)
        ]
        assert end == (begun[-1].status if begun else None)
