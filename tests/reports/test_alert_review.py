"""The alert review (domain/alert_review) over a history built by hand, every figure worked
out in the comments. The period is March 2026 (UTC); a flap is a firing that starts within
15 minutes of the same alert's previous firing resolving."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tocsin.domain.alert_review import (
    AlertRow,
    Firing,
    IncidentLink,
    IncidentOutcome,
    TimelineEntry,
    alert_review,
    carries_note,
    is_actioned,
)

START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)


def at(day: int, hour: int = 0, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def fire(fp: str, name: str, service: str | None, start: datetime, minutes: float | None) -> Firing:
    end = None if minutes is None else start + timedelta(minutes=minutes)
    return Firing(fp, name, service, start, end)


FIRINGS = [
    # DiskFull/api, two fingerprints. fpA: one firing before the period (resolved 00:05 on
    # 1 March), then 00:10 (a flap: 5 minutes later) for 10m, 01:00 (40 minutes later: not a
    # flap) for 30m, 2 March still firing. fpA2: 20 March for an hour. Nothing paged.
    fire("fpA", "DiskFull", "api", at(28, 23, 50, month=2), 15),
    fire("fpA", "DiskFull", "api", at(1, 0, 10), 10),
    fire("fpA", "DiskFull", "api", at(1, 1, 0), 30),
    fire("fpA", "DiskFull", "api", at(2, 10), None),
    fire("fpA2", "DiskFull", "api", at(20, 12), 60),
    # HighLatency/api: three firings, each with an incident (#10, #11, #12).
    fire("fpB", "HighLatency", "api", at(3, 12), 45),
    fire("fpB", "HighLatency", "api", at(4, 8), 10),
    fire("fpB", "HighLatency", "api", at(5, 9), 20),
    # Heartbeat (no service): 1 minute firings 1 minute apart: two flaps.
    fire("fpC", "Heartbeat", None, at(10, 6, 0), 1),
    fire("fpC", "Heartbeat", None, at(10, 6, 2), 1),
    fire("fpC", "Heartbeat", None, at(10, 6, 4), 1),
    # Errors/web: one firing; its incident (team web) has an action item.
    fire("fpE", "Errors", "web", at(7), None),
]

LINKS = [
    IncidentLink(10, "fpB", at(3, 12, 1)),
    IncidentLink(11, "fpB", at(4, 8, 1)),
    IncidentLink(12, "fpB", at(5, 9, 1)),
    IncidentLink(13, "fpB", at(6)),  # merged into #10: left out
    IncidentLink(14, "fpE", at(7)),
]


def outcome(
    id: int,
    created: datetime,
    *,
    ack: datetime | None = None,
    resolved: datetime | None = None,
    paged: bool = True,
    actioned: bool = False,
    team: str | None = "platform",
    merged_into: int | None = None,
) -> IncidentOutcome:
    return IncidentOutcome(id, created, team, ack, resolved, merged_into, paged, actioned)


INCIDENTS = [
    # Acknowledged at 12:05, before its alert resolved (12:45): not auto-resolved; actioned.
    outcome(10, at(3, 12, 1), ack=at(3, 12, 5), resolved=at(3, 12, 50), actioned=True),
    # Never acknowledged: its alert auto-resolved in 10 minutes.
    outcome(11, at(4, 8, 1), resolved=at(4, 8, 10)),
    # Acknowledged at 09:30, after its alert resolved (09:20): auto-resolved in 20 minutes.
    outcome(12, at(5, 9, 1), ack=at(5, 9, 30), resolved=at(5, 9, 40)),
    outcome(13, at(6), ack=at(6), resolved=at(6, 1), actioned=True, merged_into=10),
    outcome(14, at(7), paged=False, actioned=True, team="web"),
]


def review(**kw: object) -> dict[tuple[str, str | None], AlertRow]:
    r = alert_review(FIRINGS, LINKS, INCIDENTS, START, END, min_fired=2, **kw)  # type: ignore[arg-type]
    return {(row.alertname, row.service): row for row in r.rows}


def test_every_figure_per_alert_and_service() -> None:
    r = alert_review(FIRINGS, LINKS, INCIDENTS, START, END, min_fired=2)
    assert [(row.alertname, row.service) for row in r.rows] == [
        ("DiskFull", "api"),  # fired 4
        ("HighLatency", "api"),  # fired 3, 3 incidents
        ("Heartbeat", None),  # fired 3, no incident
        ("Errors", "web"),  # fired 1
    ]
    disk, latency, heartbeat, errors = r.rows
    # Firings in March: fpA 00:10, 01:00, 2 March; fpA2 20 March (the February one is not).
    # Auto-resolved: 10m, 30m, 60m (the 2 March one still fires): median (rank 2) 30m.
    assert disk == AlertRow("DiskFull", "api", 4, 0, 0, 0, 0, 3, 1800.0, 1)
    # Auto-resolved: the 4 March firing (10m) and the 5 March one (20m, acknowledged only
    # after it resolved): median rank ceil(0.5 * 2) = 1: 10m.
    assert latency == AlertRow("HighLatency", "api", 3, 3, 3, 2, 1, 2, 600.0, 0)
    assert heartbeat == AlertRow("Heartbeat", None, 3, 0, 0, 0, 0, 3, 60.0, 2)
    assert errors == AlertRow("Errors", "web", 1, 1, 0, 0, 1, 0, None, 0)
    # Fired twice or more and never actioned: most firings first.
    assert [(n.alertname, n.fired) for n in r.never_actioned] == [("DiskFull", 4), ("Heartbeat", 3)]


def test_never_actioned_ties_go_to_the_alert_that_paged_more() -> None:
    firings = [
        fire("q", "Quiet", "api", at(2), 1),
        fire("q", "Quiet", "api", at(3), 1),
        fire("l", "Loud", "api", at(2), 1),
        fire("l", "Loud", "api", at(3), 1),
    ]
    links = [IncidentLink(1, "l", at(2)), IncidentLink(2, "l", at(3))]
    incidents = [outcome(1, at(2), resolved=at(2, 1)), outcome(2, at(3), resolved=at(3, 1))]
    r = alert_review(firings, links, incidents, START, END, min_fired=2)
    assert [n.alertname for n in r.never_actioned] == ["Loud", "Quiet"]
    assert [n.alertname for n in r.rows] == ["Loud", "Quiet"]  # more incidents first


def test_a_threshold_of_five_firings_leaves_nothing_to_review() -> None:
    r = alert_review(FIRINGS, LINKS, INCIDENTS, START, END, min_fired=5)
    assert r.never_actioned == () and r.min_fired == 5


def test_only_one_service_or_one_team() -> None:
    assert list(review(service="api")) == [("DiskFull", "api"), ("HighLatency", "api")]
    # A team: only alerts linked to its incidents, counting only those incidents.
    assert list(review(team="web")) == [("Errors", "web")]
    platform = review(team="platform")
    assert list(platform) == [("HighLatency", "api")]
    assert platform["HighLatency", "api"].incidents == 3


def test_a_wider_flap_window_counts_more_flaps() -> None:
    # 40 minutes: fpA's 01:00 firing came 40 minutes after the 00:20 resolution.
    rows = review(flap_window=timedelta(minutes=40))
    assert rows["DiskFull", "api"].flapping == 2
    assert review(flap_window=timedelta(seconds=59))["Heartbeat", None].flapping == 0


ANN_NOTE = TimelineEntry("note", "ann", "disk cleaned")


@pytest.mark.parametrize(
    ("entries", "item", "actioned"),
    [
        ([TimelineEntry("resolved", "ann", "Resolved by ann (api): rolled back", "api")], False,
         True),
        ([TimelineEntry("resolved", "ann", "Resolved by ann (api)", "api")], False, False),
        ([TimelineEntry("mitigated", "ann", "Mitigated by ann: failed over")], False, True),
        ([TimelineEntry("mitigated", "ann", "Mitigated by ann"), ANN_NOTE], False, True),
        ([TimelineEntry("resolved", "ann", "Resolved by ann (slack)", "slack"),
          TimelineEntry("slack-note", "bob", "pinned: root cause found")], False, True),
        # The engine resolved it (its alerts resolved): not a person, whatever the notes.
        ([TimelineEntry("resolved", "tocsin",
                        "Resolved by tocsin (alerts): all of its alerts resolved", "alerts"),
          ANN_NOTE], False, False),
        ([ANN_NOTE], False, False),  # a note, but nobody mitigated or resolved it
        ([], True, True),  # an action item is a human action
        ([], False, False),
    ],
)  # fmt: skip
def test_what_counts_as_a_human_action(
    entries: list[TimelineEntry], item: bool, actioned: bool
) -> None:
    assert is_actioned(entries, item) is actioned


def test_a_note_on_a_resolution_follows_the_heading_the_desk_writes() -> None:
    assert carries_note(TimelineEntry("resolved", "api", "Resolved by api (api): fixed", "api"))
    assert not carries_note(TimelineEntry("resolved", "ann", "Resolved by ann (sms)", "sms"))
    assert not carries_note(TimelineEntry("note", "ann", "Resolved by ann (api): x", "api"))
