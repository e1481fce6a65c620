"""Durable and restart-correct: a heartbeat down stays down; one whose ping was due while
Tocsin was really away (its engine had stopped) counts again from start-up; a short restart,
a crash loop or a node joining a running cluster moves no deadline; a removed heartbeat is
retired and its alert resolved; reloads add, change and retire heartbeats.

The engine's pulse is its housekeeping timer (every 30 s): ``tick`` runs it, so Tocsin was
last alive at the last tick before ``restart_after``."""

from __future__ import annotations

from datetime import timedelta

from tests.heartbeats.conftest import CONFIG, HEARTBEATS, ROUTE, Beats
from tocsin.domain.heartbeats import HeartbeatState

MINUTE = 60


def test_down_stays_down_across_a_restart(beats: Beats) -> None:
    beats.ping("backup")
    beats.tick(70 * MINUTE)
    assert beats.status("backup").state is HeartbeatState.DOWN
    [before] = beats.alerts("backup")
    beats.restart_after(2 * 3600)  # a long outage of Tocsin itself
    beats.tick(MINUTE)
    assert beats.status("backup").state is HeartbeatState.DOWN
    [after] = beats.alerts("backup")
    assert after["startsAt"] == before["startsAt"]  # the same alert: no resolve, no new page
    assert beats.sent() == [("firing", "backup", "HeartbeatMissing")]
    beats.ping("backup")
    beats.tick(MINUTE)
    assert beats.sent()[-1][0] == "resolved"


def test_a_deadline_missed_while_tocsin_was_down_does_not_fire(beats: Beats) -> None:
    beats.ping("backup")
    beats.tick(30 * MINUTE)
    token = beats.token("backup")
    beats.restart_after(3 * 3600)  # the deadline (13:10) passed while Tocsin was down
    start = beats.h.clock.now()
    beats.tick()
    assert beats.status("backup").state is HeartbeatState.UP
    assert beats.status("backup").counting_from == start
    assert beats.alerts("backup") == []
    beats.tick(70 * MINUTE - 1)  # interval + grace from start-up
    assert beats.alerts("backup") == []
    beats.tick(1)
    assert beats.status("backup").state is HeartbeatState.DOWN
    assert beats.token("backup") == token  # the token survives restarts


def test_a_deadline_passed_while_tocsin_ran_has_fired_durably(beats: Beats) -> None:
    beats.ping("backup")
    beats.tick(70 * MINUTE)
    assert beats.status("backup").state is HeartbeatState.DOWN
    beats.restart_after(0)
    beats.tick()
    assert beats.status("backup").state is HeartbeatState.DOWN
    assert len(beats.alerts("backup")) == 1


def test_an_outage_over_the_expected_ping_does_not_fire_at_the_old_deadline(
    beats: Beats,
) -> None:
    beats.ping("backup")  # 12:00; the next one expected at 13:00, the deadline 13:10
    beats.tick(55 * MINUTE)
    beats.restart_after(10 * MINUTE)  # down 12:55 to 13:05: a 13:00 ping was refused
    beats.tick(5 * MINUTE)  # 13:10
    assert beats.status("backup").state is HeartbeatState.UP
    beats.tick(65 * MINUTE - 1)  # up to 14:15 less a second: interval + grace from 13:05
    assert beats.status("backup").state is HeartbeatState.UP
    beats.tick(1)
    assert beats.status("backup").state is HeartbeatState.DOWN


def test_a_short_restart_keeps_the_deadline(beats: Beats) -> None:
    beats.ping("backup")
    beats.tick(30 * MINUTE)
    beats.restart_after(MINUTE)
    beats.tick(39 * MINUTE)  # 13:10, the deadline set by the ping before the restart
    assert beats.status("backup").state is HeartbeatState.DOWN


def test_a_long_outage_before_the_ping_was_due_keeps_the_deadline(beats: Beats) -> None:
    beats.ping("backup")  # 12:00; due 13:00 give or take the grace (12:50 to 13:10)
    beats.tick(10 * MINUTE)
    beats.restart_after(30 * MINUTE)  # away 12:10 to 12:40: no ping could come meanwhile
    beats.tick(30 * MINUTE - 1)
    assert beats.status("backup").state is HeartbeatState.UP
    beats.tick(1)  # 13:10
    assert beats.status("backup").state is HeartbeatState.DOWN


def test_a_short_restart_after_the_ping_was_due_still_fires_on_time(beats: Beats) -> None:
    beats.ping("backup")  # 12:00; the job then dies
    beats.tick(62 * MINUTE)  # 13:02: the 13:00 ping did not come
    beats.restart_after(30)  # a deploy
    assert beats.status("backup").counting_from == beats.h.clock.now() - timedelta(
        minutes=62, seconds=30
    )
    beats.tick(8 * MINUTE - 30)  # 13:10, the deadline
    assert beats.status("backup").state is HeartbeatState.DOWN
    assert beats.sent() == [("firing", "backup", "HeartbeatMissing")]


def test_a_crash_loop_does_not_hold_off_a_dead_jobs_alert(beats: Beats) -> None:
    beats.ping("backup")  # 12:00; the job then dies
    beats.tick(58 * MINUTE)
    for _ in range(12):  # 12:58 to 13:10: up for 10 s, down for 50 s, over and over
        beats.restart_after(50)
        beats.tick(10)
    assert beats.status("backup").state is HeartbeatState.DOWN
    assert beats.sent() == [("firing", "backup", "HeartbeatMissing")]


def test_an_outage_while_a_late_ping_could_come_postpones(beats: Beats) -> None:
    beats.ping("backup")
    beats.tick(62 * MINUTE)
    beats.restart_after(6 * MINUTE)  # away 13:02 to 13:08: a ping at 13:05 was refused
    start = beats.h.clock.now()
    assert beats.status("backup").counting_from == start
    beats.tick(70 * MINUTE - 1)
    assert beats.status("backup").state is HeartbeatState.UP
    beats.tick(1)
    assert beats.status("backup").state is HeartbeatState.DOWN


def test_a_node_joining_a_running_cluster_moves_no_deadline(beats: Beats) -> None:
    beats.ping("backup")  # 12:00; the job then dies
    beats.tick(58 * MINUTE)  # within the window a ping is due in
    beats.h.clock.advance(timedelta(seconds=20))
    joining = beats.h._build()  # a second node starts on the same database
    try:
        assert beats.status("backup").counting_from == beats.h.clock.now() - timedelta(
            minutes=58, seconds=20
        )
        beats.tick(12 * MINUTE - 20)  # 13:10
        assert beats.status("backup").state is HeartbeatState.DOWN
    finally:
        joining.stop()


def test_a_removed_heartbeat_is_retired_and_its_alert_resolved(beats: Beats) -> None:
    beats.tick(6 * MINUTE)
    assert beats.status("cron").state is HeartbeatState.DOWN
    assert beats.sent("cron") == [("firing", "cron", "HeartbeatMissing")]
    token = beats.token("cron")
    without_cron = CONFIG.replace("  - name: cron\n    interval: 5m\n", "")
    beats.h.config.write_text(without_cron.format(url=beats.receiver.url))
    beats.restart_after(MINUTE)
    beats.tick(MINUTE)
    assert beats.alerts("cron") == []
    assert beats.sent("cron")[-1] == ("resolved", "cron", "HeartbeatMissing")
    assert beats.status("cron").retired_at is not None
    names = [
        b["name"]
        for b in beats.client.get("/api/heartbeats", headers=beats.h.api).json()["heartbeats"]
    ]
    assert names == ["backup", "prometheus"]
    assert beats.ping("cron", headers={"Authorization": f"Bearer {token}"}).status_code == 404
    beats.tick(3600)
    assert beats.sent("cron")[-1][0] == "resolved"

    beats.reload(CONFIG)  # back: waiting from now, with its old token
    status = beats.status("cron")
    assert status.retired_at is None
    assert status.state is HeartbeatState.WAITING
    assert beats.token("cron") == token
    assert beats.ping("cron", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_reload_adds_heartbeats_and_moves_deadlines(beats: Beats) -> None:
    beats.ping("backup")
    beats.tick(30 * MINUTE)
    longer = (
        ROUTE
        + HEARTBEATS.replace("interval: 1h", "interval: 2h")
        + ("  - name: reports\n    interval: 1d\n")
    )
    beats.reload(longer)
    assert beats.status("reports").state is HeartbeatState.WAITING
    beats.tick(60 * MINUTE)  # 13:30: past the old deadline, not the new one (14:10)
    assert beats.status("backup").state is HeartbeatState.UP
    beats.tick(40 * MINUTE)
    assert beats.status("backup").state is HeartbeatState.DOWN
    assert beats.status("reports").state is HeartbeatState.WAITING
