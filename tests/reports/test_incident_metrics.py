"""Incident metrics and volume (domain/incident_metrics), every figure worked by hand.

The incidents (times UTC; durations from the opening):

    id  sev   service team      opened            first alert  ack    mitigated resolved
    1   SEV1  api     platform  03-02 10:00       -2m          +1m    +10m      +30m
    2   SEV1  api     platform  03-10 10:00       -5m          +3m    -         +1h
    3   SEV1  api     platform  03-20 10:00       (by hand)    +5m    +15m      (open)
    4   SEV2  web     web       03-31 23:30       -1m          +10m   -         +2h
    5   SEV2  web     web       04-15 08:00       -10m         -      +20m      +40m
    6   SEV1  api     platform  03-05 00:00       merged into #1: left out of everything
    7   SEV1  -       -         04-02 12:00       -            +2m    -         +4m

#4 opened at 23:30 UTC on 31 March: 01:30 on 1 April in Berlin (CEST since 29 March).
Percentiles are nearest-rank: rank ceil(p/100 * n) of the sorted values.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tocsin.domain.incident_metrics import (
    ActionItemFact,
    Distribution,
    Grouping,
    IncidentFacts,
    Measure,
    PostmortemFact,
    distribution,
    incident_metrics,
    month_of,
    months_between,
    percentile,
    volume,
)

BERLIN = ZoneInfo("Europe/Berlin")
M, H = 60, 3600


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def incident(
    id: int,
    severity: str,
    service: str | None,
    team: str | None,
    opened: datetime,
    *,
    detect: int | None = None,
    ack: int | None = None,
    mitigate: int | None = None,
    resolve: int | None = None,
    merged_into: int | None = None,
) -> IncidentFacts:
    def after(seconds: int | None) -> datetime | None:
        return None if seconds is None else opened + timedelta(seconds=seconds)

    return IncidentFacts(
        id=id,
        severity=severity,
        service=service,
        team=team,
        created_at=opened,
        first_alert_at=None if detect is None else opened - timedelta(seconds=detect),
        acknowledged_at=after(ack),
        mitigated_at=after(mitigate),
        resolved_at=after(resolve),
        merged_into=merged_into,
    )


INCIDENTS = [
    incident(1, "SEV1", "api", "platform", at(3, 2, 10), detect=2 * M, ack=M, mitigate=10 * M,
             resolve=30 * M),
    incident(2, "SEV1", "api", "platform", at(3, 10, 10), detect=5 * M, ack=3 * M, resolve=H),
    incident(3, "SEV1", "api", "platform", at(3, 20, 10), ack=5 * M, mitigate=15 * M),
    incident(4, "SEV2", "web", "web", at(3, 31, 23, 30), detect=M, ack=10 * M, resolve=2 * H),
    incident(5, "SEV2", "web", "web", at(4, 15, 8), detect=10 * M, mitigate=20 * M, resolve=40 * M),
    incident(6, "SEV1", "api", "platform", at(3, 5), detect=1, ack=5, resolve=10, merged_into=1),
    incident(7, "SEV1", None, None, at(4, 2, 12), ack=2 * M, resolve=4 * M),
]  # fmt: skip


def D(count: int, mean: float | None, p50: float | None, p90: float | None) -> Distribution:  # noqa: N802
    return Distribution(count, mean, p50, p90)


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([60, 120, 180, 300], 50, 120),  # rank 2
        ([60, 120, 180, 300], 90, 300),  # rank ceil(3.6) = 4
        ([240, 1800, 3600], 50, 1800),  # rank ceil(1.5) = 2
        ([240, 1800, 3600], 90, 3600),  # rank ceil(2.7) = 3
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9),  # rank 9
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5),  # rank 5
        ([42], 50, 42),
        ([42], 90, 42),
        ([1, 2], 1, 1),  # rank ceil(0.02) = 1
        ([1, 2], 100, 2),
    ],
)
def test_percentiles_are_nearest_rank(values: list[float], p: float, expected: float) -> None:
    assert percentile(values, p) == expected


def test_a_distribution_of_nothing_is_empty_and_of_values_has_its_mean() -> None:
    assert distribution([]) == D(0, None, None, None)
    assert distribution([300, 60, 180, 120]) == D(4, 165.0, 120, 300)


def by(
    grouping: Grouping, zone: ZoneInfo = ZoneInfo("UTC")
) -> dict[str | None, dict[Measure, Distribution]]:
    m = incident_metrics(INCIDENTS, grouping, zone)
    return {g.key: dict(g.measures) for g in m.groups}


def test_by_severity_merged_and_missing_timestamps_left_out() -> None:
    m = incident_metrics(INCIDENTS, Grouping.SEVERITY)
    assert [(g.key, g.incidents) for g in m.groups] == [("SEV1", 4), ("SEV2", 2)]
    sev1, sev2 = (dict(g.measures) for g in m.groups)
    # SEV1 (#1, #2, #3, #7; #6 merged): MTTD of #1 and #2 only (#3, #7 by hand).
    assert sev1[Measure.MTTD] == D(2, 210.0, 120, 300)
    assert sev1[Measure.MTTA] == D(4, 165.0, 120, 300)  # 60, 120, 180, 300
    assert sev1[Measure.MTTM] == D(2, 750.0, 600, 900)  # #1 and #3
    assert sev1[Measure.MTTR] == D(3, 1880.0, 1800, 3600)  # 240, 1800, 3600 (#3 open)
    assert sev2[Measure.MTTD] == D(2, 330.0, 60, 600)
    assert sev2[Measure.MTTA] == D(1, 600.0, 600, 600)  # #5 never acknowledged
    assert sev2[Measure.MTTM] == D(1, 1200.0, 1200, 1200)
    assert sev2[Measure.MTTR] == D(2, 4800.0, 2400, 7200)
    assert m.overall.incidents == 6
    assert m.overall.measures[Measure.MTTA] == D(5, 252.0, 180, 600)  # 60 120 180 300 600


def test_by_service_and_team_name_the_group_without_one_last() -> None:
    services = by(Grouping.SERVICE)
    assert list(services) == ["api", "web", None]
    assert services["api"][Measure.MTTA] == D(3, 180.0, 180, 300)  # 60, 180, 300
    assert services[None][Measure.MTTR] == D(1, 240.0, 240, 240)
    teams = by(Grouping.TEAM)
    assert list(teams) == ["platform", "web", None]
    assert teams["web"][Measure.MTTR] == D(2, 4800.0, 2400, 7200)


def test_by_month_in_utc() -> None:
    months = by(Grouping.MONTH)
    assert list(months) == ["2026-03", "2026-04"]
    assert months["2026-03"][Measure.MTTA] == D(4, 285.0, 180, 600)  # 60, 180, 300, 600
    assert months["2026-04"][Measure.MTTA] == D(1, 120.0, 120, 120)  # #7 (#5 never acked)
    assert months["2026-04"][Measure.MTTR] == D(2, 1320.0, 240, 2400)  # #5 2400, #7 240


def test_by_month_in_berlin_moves_the_incident_opened_at_23_30_utc_on_31_march_to_april() -> None:
    assert month_of(at(3, 31, 23, 30), BERLIN) == "2026-04"
    assert month_of(at(3, 31, 21, 59), BERLIN) == "2026-03"  # 23:59 CEST
    months = by(Grouping.MONTH, BERLIN)
    assert months["2026-03"][Measure.MTTA] == D(3, 180.0, 180, 300)  # 60, 180, 300
    assert months["2026-04"][Measure.MTTA] == D(2, 360.0, 120, 600)  # #7 120, #4 600
    assert months["2026-04"][Measure.MTTR] == D(3, 3280.0, 2400, 7200)  # 240, 2400, 7200


def test_mttd_never_negative() -> None:
    early = incident(9, "SEV3", None, None, at(3, 1), detect=-30)  # its alert started after
    m = incident_metrics([early], Grouping.SEVERITY)
    assert m.groups[0].measures[Measure.MTTD] == D(1, 0.0, 0.0, 0.0)


def test_months_between_covers_every_month_the_period_touches() -> None:
    assert months_between(at(1, 15), at(4, 1), ZoneInfo("UTC")) == ["2026-01", "2026-02", "2026-03"]
    # 1 April 00:00 UTC is 02:00 in Berlin: April is touched there.
    assert months_between(at(3, 1), at(4, 1), BERLIN) == ["2026-03", "2026-04"]
    assert months_between(at(11, 1), at(1, 1).replace(year=2027), ZoneInfo("UTC")) == [
        "2026-11",
        "2026-12",
    ]
    assert months_between(at(3, 1), at(3, 1), ZoneInfo("UTC")) == []


def test_volume_by_severity_and_month_repeats_postmortems_and_action_items() -> None:
    postmortems = [
        PostmortemFact(1, required=True, published=True),
        PostmortemFact(2, required=True, published=False),
        PostmortemFact(4, required=False, published=False),  # asked for, not required
        PostmortemFact(7, required=True, published=True),
        # #5 (SEV2, resolved) has none yet: required by policy, not published.
        # #3 is still open: not due yet.
    ]
    items = [
        ActionItemFact(1, at(3, 10), "done", at(3, 9)),  # on time
        ActionItemFact(1, at(3, 15), "done", at(3, 16)),  # late
        ActionItemFact(2, at(4, 1), "open", None),  # due, not done
        ActionItemFact(2, at(4, 2), "wont_do", at(4, 1)),  # won't do: left out
        ActionItemFact(4, at(4, 25), "open", None),  # due after now: left out
        ActionItemFact(4, at(2, 20), "done", at(2, 19)),  # due before the period: left out
        ActionItemFact(7, at(4, 10), "done", at(4, 10)),  # closed at the due time: on time
    ]
    v = volume(
        INCIDENTS,
        at(3, 1),
        at(5, 1),
        at(4, 20),
        repeat_ids={2, 5, 6, 99},
        postmortems=postmortems,
        action_items=items,
    )
    assert [(m.month, dict(m.by_severity), m.total) for m in v.months] == [
        ("2026-03", {"SEV1": 3, "SEV2": 1, "SEV3": 0, "SEV4": 0}, 4),
        ("2026-04", {"SEV1": 1, "SEV2": 1, "SEV3": 0, "SEV4": 0}, 2),
    ]
    assert dict(v.by_severity) == {"SEV1": 4, "SEV2": 2, "SEV3": 0, "SEV4": 0}
    assert v.total == 6
    assert v.repeats == 2  # #2 and #5; #6 was merged, #99 is not in the period
    assert (v.postmortems_required, v.postmortems_published) == (4, 2)  # #1 #2 #5 #7; #1 #7
    assert v.postmortem_rate == 0.5
    assert (v.action_items_due, v.action_items_on_time) == (4, 2)
    assert v.on_time_rate == 0.5


def test_volume_in_berlin_and_without_repeats_or_anything_due() -> None:
    start, end = datetime(2026, 3, 1, tzinfo=BERLIN), datetime(2026, 5, 1, tzinfo=BERLIN)
    v = volume(INCIDENTS, start, end, end, zone=BERLIN)
    assert [(m.month, m.by_severity["SEV1"], m.by_severity["SEV2"]) for m in v.months] == [
        ("2026-03", 3, 0),
        ("2026-04", 1, 2),  # #4 opened 01:30 on 1 April there
    ]
    assert v.repeats is None
    # #1 #2 #7 (SEV1) and #4 #5 (SEV2) are resolved with no postmortem: required by policy.
    assert (v.postmortems_required, v.postmortems_published, v.postmortem_rate) == (5, 0, 0.0)
    assert (v.action_items_due, v.on_time_rate) == (0, None)


def test_an_empty_period_has_its_months_and_no_rates() -> None:
    v = volume([], at(3, 1), at(4, 1), at(4, 1))
    assert [m.month for m in v.months] == ["2026-03"] and v.total == 0
    assert v.postmortem_rate is None and v.on_time_rate is None
    assert v.months[0].total == 0
