"""The pure decisions: a heartbeat's deadline, when it is late, and whether a ping may have
been refused while Tocsin was not running."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tocsin.domain.heartbeats import (
    DownReason,
    Heartbeat,
    HeartbeatState,
    HeartbeatStatus,
    alert_annotations,
    alert_labels,
    outage_began,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOURLY = Heartbeat("backup", timedelta(hours=1), timedelta(minutes=10), labels={"team": "s"})


def status(state: HeartbeatState = HeartbeatState.UP, **kw: object) -> HeartbeatStatus:
    return HeartbeatStatus(
        name="backup",
        state=state,
        first_seen_at=T0,
        counting_from=T0,
        **kw,  # type: ignore[arg-type]
    )


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_deadline_and_late() -> None:
    assert status().deadline(HOURLY) == at(70)
    assert status(HeartbeatState.DOWN).deadline(HOURLY) is None
    assert not status().late(HOURLY, at(60))
    assert status().late(HOURLY, at(61))
    assert status(HeartbeatState.WAITING).late(HOURLY, at(61))
    assert not status(HeartbeatState.DOWN).late(HOURLY, at(61))


@pytest.mark.parametrize(
    ("state", "away", "back", "moved"),
    [
        # The ping is due 13:00 give or take the grace: 12:50 to 13:10 (minutes 50 to 70).
        (HeartbeatState.UP, 10, 30, False),  # an outage before the window
        (HeartbeatState.UP, 10, 49, False),
        (HeartbeatState.UP, 10, 50, True),  # a ping as early as the grace allows
        (HeartbeatState.UP, 55, 65, True),  # over the punctual ping
        (HeartbeatState.UP, 62, 68, True),  # a late ping, within grace, may have come
        (HeartbeatState.UP, 10, 300, True),  # the deadline passed while away
        (HeartbeatState.UP, 70, 300, False),  # away after the deadline: it fired before
        (HeartbeatState.WAITING, 30, 300, True),
        (HeartbeatState.DOWN, 30, 300, False),  # down stays down
    ],
)
def test_missed_while_away(state: HeartbeatState, away: int, back: int, moved: bool) -> None:
    assert status(state).missed_while_away(HOURLY, at(away), at(back)) is moved


def test_a_grace_longer_than_the_interval_expects_a_ping_at_once() -> None:
    spec = Heartbeat("x", timedelta(minutes=5), timedelta(minutes=30))
    assert status().expected_from(spec) == T0
    assert status().missed_while_away(spec, T0, at(2))


PULSE = timedelta(seconds=30)


@pytest.mark.parametrize(
    ("last_alive", "away"),
    [
        (None, False),  # a first start: nothing was missed
        (-60, False),  # a quick restart, or another node kept running
        (-61, True),
        (-3600, True),
    ],
)
def test_outage_began(last_alive: int | None, away: bool) -> None:
    alive = None if last_alive is None else at(60) + timedelta(seconds=last_alive)
    assert outage_began(alive, PULSE, at(60)) == (alive if away else None)


def test_the_alert_words() -> None:
    assert alert_labels(HOURLY) == {
        "alertname": "HeartbeatMissing",
        "heartbeat": "backup",
        "severity": "critical",
        "team": "s",
    }
    assert (
        alert_labels(Heartbeat("b", timedelta(hours=1), timedelta(0), {"severity": "info"}))[
            "severity"
        ]
        == "info"
    )
    pinged = status(last_ping_at=at(-5))
    assert alert_annotations(HOURLY, pinged, DownReason.MISSED, at(70)) == {
        "summary": "no ping from backup since 2026-03-01 11:55:00 UTC "
        "(expected every 1h 00m, grace 10m 00s)"
    }
    assert alert_annotations(HOURLY, pinged, DownReason.FAILED, at(3))["summary"] == (
        "backup reported a failure at 2026-03-01 12:03:00 UTC "
        "(expected every 1h 00m, grace 10m 00s)"
    )
