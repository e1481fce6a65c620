"""Configuration errors name file, line and key; Alertmanager's checks, all reported at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tocsin.config.compile import load_config
from tocsin.config.durations import parse_duration
from tocsin.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("250ms", timedelta(milliseconds=250)),
        ("0", timedelta(0)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "5 m", "1m1h", "1h1h", "x", "-5m", "1.5h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def errors_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "alertmanager.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(str(path))
    return [line.replace(f"{path}:", "") for line in str(caught.value).splitlines()]


def test_every_semantic_problem_with_its_line(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        """route:
  receiver: default
  group_wait: 10x
  routes:
    - matchers: ['team="a"']
      receiver: nobody
      group_by: [alertname, '...']
    - match_re: {service: "db|("}
      receiver: team-b
      mute_time_intervals: [weekends]
receivers:
  - name: default
  - name: team-b
  - name: default
""",
    )
    assert errors == [
        "14: receivers.2.name: notification config name 'default' is not unique",
        "3: route.group_wait: not a valid duration string: '10x' (use e.g. 30s, 5m, 1h30m)",
        "6: route.routes.0.receiver: undefined receiver 'nobody' used in route",
        "7: route.routes.0.group_by: cannot have wildcard group_by (`...`) and other labels "
        "at the same time",
        "8: route.routes.1.match_re.service: invalid regular expression 'db|(': "
        "missing ), unterminated subpattern",
        "10: route.routes.1.mute_time_intervals.0: "
        "undefined time interval 'weekends' used in route",
    ]


def test_unknown_keys_are_refused_by_name(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        "route:\n  receiver: r\n  colour: blue\nreceivers:\n  - name: r\nsilences: []\n",
    )
    assert errors == ["3: route.colour: is not a known field", "6: silences: is not a known field"]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("receivers: [{name: r}]\n", "1: route: no route provided in config"),
        (
            "route: {}\nreceivers: []\n",
            "1: route.receiver: root route must specify a default receiver",
        ),
        (
            "route: {receiver: r, matchers: ['a=\"b\"']}\nreceivers: [{name: r}]\n",
            "1: route: root route must not have any matchers",
        ),
        (
            "route: {receiver: r, repeat_interval: 0s}\nreceivers: [{name: r}]\n",
            "1: route.repeat_interval: repeat_interval cannot be zero",
        ),
        ("- just\n- a list\n", "1: must be a mapping with route and receivers"),
        ("route: [unclosed\n", "2: invalid YAML: expected ',' or ']', but got '<stream end>'"),
    ],
)
def test_root_route_rules(tmp_path: Path, text: str, error: str) -> None:
    assert errors_of(tmp_path, text)[0].startswith(error)


def test_time_intervals_compile_and_bad_ones_name_their_line(tmp_path: Path) -> None:
    good = tmp_path / "good.yml"
    good.write_text(
        "route: {receiver: r, routes: [{matchers: ['a=\"1\"'], mute_time_intervals: [night]}]}\n"
        "receivers: [{name: r}]\n"
        "time_intervals:\n"
        "  - name: night\n"
        "    time_intervals:\n"
        "      - times: [{start_time: '22:00', end_time: '24:00'}]\n"
    )
    config = load_config(str(good))
    assert config.time_intervals["night"].contains(datetime(2026, 3, 1, 23, tzinfo=UTC))
    errors = errors_of(
        tmp_path,
        "route: {receiver: r}\nreceivers: [{name: r}]\nmute_time_intervals:\n  - name: x\n"
        "    time_intervals:\n      - weekdays: [funday]\n",
    )
    assert errors == ["6: mute_time_intervals.0.time_intervals.0.weekdays.0: unknown name 'funday'"]
