"""``heartbeats:`` in tocsin.yaml: compiled into frozen heartbeats, and every mistake named
by file, line and key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tocsin.config.compile import RoutingConfig
from tocsin.domain.heartbeats import Heartbeat, Watchdogs, default_grace
from tocsin.domain.matchers import parse_matchers
from tocsin.errors import ConfigError
from tocsin.services.configuration import load_configuration

BASE = "route:\n  receiver: r\nreceivers:\n  - name: r\n"


def load(tmp_path: Path, text: str) -> RoutingConfig:
    path = tmp_path / "tocsin.yaml"
    path.write_text(BASE + text)
    return load_configuration(str(path))


def test_heartbeats_compile_with_defaults(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """heartbeats:
  - name: nightly_backup-1
    interval: 1d
    labels: {team: storage}
    annotations: {runbook_url: https://runbooks.example/backup}
  - name: prom
    interval: 30s
    grace: 0s
    alertname: PromDown
    watchdog: ['alertname="Watchdog"', 'env=~"prod|staging"']
""",
    )
    assert config.heartbeats == {
        "nightly_backup-1": Heartbeat(
            name="nightly_backup-1",
            interval=timedelta(days=1),
            grace=timedelta(hours=1),
            labels={"team": "storage"},
            annotations={"runbook_url": "https://runbooks.example/backup"},
        ),
        "prom": Heartbeat(
            name="prom",
            interval=timedelta(seconds=30),
            grace=timedelta(0),
            watchdog=tuple(parse_matchers('alertname="Watchdog", env=~"prod|staging"')),
            alertname="PromDown",
        ),
    }
    with pytest.raises(AttributeError):
        config.heartbeats["prom"].interval = timedelta(0)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("interval", "grace"),
    [("1m", "1m"), ("5m", "1m"), ("1h", "12m"), ("10h", "1h"), ("1d", "1h")],
)
def test_the_default_grace_is_a_fifth_of_the_interval_within_a_minute_and_an_hour(
    interval: str, grace: str
) -> None:
    from tocsin.config.durations import parse_duration

    assert default_grace(parse_duration(interval)) == parse_duration(grace)


def test_no_section_no_heartbeats(tmp_path: Path) -> None:
    assert load(tmp_path, "").heartbeats == {}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "heartbeats:\n  - {name: a, interval: 1m}\n  - {name: a, interval: 2m}\n",
            7,
            "heartbeats.1.name: heartbeat 'a' is not unique",
        ),
        (
            "heartbeats:\n  - {name: 'a b', interval: 1m}\n",
            6,
            "heartbeats.0.name: 'a b' is not a heartbeat name",
        ),
        (
            "heartbeats:\n  - name: a\n    interval: soon\n",
            7,
            "heartbeats.0.interval: not a valid duration string: 'soon'",
        ),
        ("heartbeats:\n  - name: a\n    interval: 0s\n", 7, "heartbeats.0.interval: must be"),
        ("heartbeats:\n  - {name: a}\n", 6, "heartbeats.0.interval: is required"),
        (
            "heartbeats:\n  - {name: a, interval: 1m, every: 1m}\n",
            6,
            "heartbeats.0.every: is not a known field",
        ),
        (
            "heartbeats:\n  - name: a\n    interval: 1m\n    labels: {alertname: X}\n",
            8,
            "heartbeats.0.labels.alertname: set the heartbeat's alertname: instead",
        ),
        (
            "heartbeats:\n  - name: a\n    interval: 1m\n    labels: {1bad: x}\n",
            8,
            "heartbeats.0.labels.1bad: invalid label name",
        ),
        (
            "heartbeats:\n  - name: a\n    interval: 1m\n    watchdog: ['alertname=~\"(\"']\n",
            8,
            "heartbeats.0.watchdog.0: ",
        ),
        ("heartbeats: {a: 1}\n", 5, "heartbeats: must be a list of heartbeats"),
    ],
)
def test_mistakes_name_file_line_and_key(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    shown = str(caught.value)
    assert f"tocsin.yaml:{line}:" in shown and message in shown, shown


def test_watchdogs_match_cheaply() -> None:
    dogs = Watchdogs(
        [
            Heartbeat("a", timedelta(minutes=1), timedelta(0)),
            Heartbeat(
                "b",
                timedelta(minutes=1),
                timedelta(0),
                watchdog=tuple(parse_matchers('alertname="Watchdog"')),
            ),
        ]
    )
    assert dogs
    assert dogs.pinged({"alertname": "Watchdog", "x": "y"}) == ["b"]
    assert dogs.pinged({"alertname": "Other"}) == []
    assert not Watchdogs([Heartbeat("a", timedelta(minutes=1), timedelta(0))])
