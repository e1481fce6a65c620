"""``schedules:`` in tocsin.yaml, and ``tocsin oncall`` / ``tocsin schedule shifts``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.domain.schedules import oncall_at
from tocsin.errors import ConfigError
from tocsin.services.configuration import load_configuration

GOOD = """route:
  receiver: none
receivers:
  - name: none
users:
  - {id: ann, email: ann@example.com, time_zone: Europe/Berlin}
  - {id: bob}
  - {id: cat}
  - {id: dan, name: Dan D}
schedules:
  - name: primary
    time_zone: America/New_York
    layers:
      - name: weekly
        start: 2024-01-01T09:00:00
        rotation: {type: weekly, handoff: "09:00", handoff_weekday: 1}
        users: [ann, bob]
      - name: business-hours
        start: 2024-01-01T09:00:00
        rotation: {type: daily, handoff: "09:00"}
        users: [cat]
        restrictions:
          - {type: daily, start: "09:00", duration: 8h}
    overrides:
      - {start: 2024-03-05T12:00:00, end: 2024-03-05T13:00:00, user: dan}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tocsin.yaml"
    path.write_text(text)
    return path


def test_schedules_compile_with_local_times(tmp_path: Path) -> None:
    config = load_configuration(str(write(tmp_path, GOOD)))
    primary = config.schedules["primary"]
    assert oncall_at(primary, datetime(2024, 3, 5, 3, tzinfo=UTC)) == "bob"  # 22:00 EST Mon
    assert oncall_at(primary, datetime(2024, 3, 5, 15, tzinfo=UTC)) == "cat"  # 10:00 EST
    assert oncall_at(primary, datetime(2024, 3, 5, 17, 30, tzinfo=UTC)) == "dan"  # override


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("America/New_York", "Mars/Olympus"), "time_zone: schedule 'primary': unknown time zone"),
        (("users: [cat]", "users: []"), "layers.1.users: schedule 'primary' layer business-hours"),
        (("{type: daily, handoff", "{type: daily, length: 0, handoff"), "rotation.length"),
        (("duration: 8h", "duration: 8d"), "restrictions.0.duration: schedule 'primary' layer"),
        (("end: 2024-03-05T13:00:00", "end: 2024-03-05T11:00:00"), "ends before it starts"),
        (("{type: weekly, handoff", "{type: monthly, handoff"), "rotation.type"),
        (("{type: daily, start", "{type: weekly, start"), "needs a weekday"),
        (("users: [ann, bob]", "users: [ann, zed]"), "layers.0.users.1: schedule 'primary' layer"),
        (("user: dan}", "user: zed}"), "overrides.0.user: schedule 'primary' override 0: unknown"),
        (("{id: bob}", "{id: bob, time_zone: Moon/Base}"), "users.1.time_zone: user 'bob'"),
        (("{id: bob}", "{id: bob, email: nope}"), "users.1.email: user 'bob'"),
        (("{id: bob}", "{id: ann}"), "users.1.id: user 'ann': the id is used twice"),
    ],
)
def test_bad_schedules_name_schedule_layer_and_field(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ConfigError) as raised:
        load_configuration(str(path))
    assert expected in str(raised.value)
    assert f"{path}:" in str(raised.value)  # with its line


def test_oncall_and_shifts_commands(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    runner = CliRunner(env={"TOCSIN_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"})
    result = runner.invoke(
        app,
        ["oncall", "--config", str(path), "--at", "2024-03-05T17:30:00+00:00"],
        env={"COLUMNS": "160"},
    )
    assert result.exit_code == 0, result.output
    assert "primary" in result.output and "dan" in result.output
    result = runner.invoke(
        app,
        [
            "schedule",
            "shifts",
            "primary",
            "--config",
            str(path),
            "--from",
            "2024-03-05T14:00:00+00:00",
            "--to",
            "2024-03-06T14:00:00+00:00",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    got = [(s["user"], s["start"][11:16]) for s in json.loads(result.output)]
    # 09:00 EST is 14:00 UTC: business hours begin; the override; back to the weekly layer.
    assert got == [("cat", "14:00"), ("dan", "17:00"), ("cat", "18:00"), ("bob", "22:00")]
    result = runner.invoke(app, ["oncall", "nope", "--config", str(path)])
    assert result.exit_code == 1 and "no schedule 'nope'" in result.output


@pytest.mark.parametrize(
    ("on_call", "expected"),
    [
        ("{shift_reminders: [1d, soon]}", "on_call.shift_reminders.1: not a valid duration"),
        ("{check_interval: 1s}", "on_call.check_interval: must be at least 10s"),
        ("{gap_alerts: {horizon: 0s}}", "on_call.gap_alerts.horizon: must be more than 0"),
        ("{gap_alerts: {labels: {schedule: x}}}", "gap_alerts.labels.schedule: is set by Tocsin"),
        ("{handoff: true}", "on_call.handoff"),
    ],
)
def test_bad_on_call_settings_name_the_key(tmp_path: Path, on_call: str, expected: str) -> None:
    path = write(tmp_path, GOOD + f"on_call: {on_call}\n")
    with pytest.raises(ConfigError) as raised:
        load_configuration(str(path))
    assert expected in str(raised.value)


def test_on_call_settings_compile(tmp_path: Path) -> None:
    text = GOOD + "on_call: {shift_reminders: [1h, 2d], gap_alerts: {enabled: false}}\n"
    policy = load_configuration(str(write(tmp_path, text))).on_call
    assert policy.shift_reminders == (timedelta(days=2), timedelta(hours=1))
    assert policy.gap_horizon is None and policy.handoff_summaries
