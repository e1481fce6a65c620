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
    ("state", "started", "moved"),
    [
        (HeartbeatState.UP, 30, False),  # no ping expected yet: the deadline stands
        (HeartbeatState.UP, 50, False),  # the earliest a punctual ping comes
        (HeartbeatState.UP, 51, True),  # a ping may have come and been refused
        (HeartbeatState.UP, 65, True),  # late, within grace
        (HeartbeatState.UP, 300, True),  # the deadline passed while away
        (HeartbeatState.WAITING, 300, True),
        (HeartbeatState.DOWN, 300, False),  # down stays down
    ],
)
def test_missed_while_away(state: HeartbeatState, started: int, moved: bool) -> None:
    assert status(state).missed_while_away(HOURLY, at(started)) is moved


def test_a_grace_longer_than_the_interval_expects_a_ping_at_once() -> None:
    spec = Heartbeat("x", timedelta(minutes=5), timedelta(minutes=30))
    assert status().expected_from(spec) == T0
    assert status().missed_while_away(spec, at(1))


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
