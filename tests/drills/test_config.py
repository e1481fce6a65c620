"""``drills:`` in tocsin.yaml and tabletop scenario files: what is refused names the file,
the line and the key."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from tests.drills.conftest import EXAMPLES
from tocsin.config.compile import load_config
from tocsin.errors import ConfigError

BASE = """\
route: {receiver: nowhere}
receivers: [{name: nowhere}]
users: [{id: ann, email: ann@example.com}]
escalation_policies:
  - name: platform
    levels: [{targets: [{user: ann}]}]
"""


def load(tmp_path: Path, drills: str) -> object:
    path = tmp_path / "tocsin.yaml"
    path.write_text(BASE + drills)
    return load_config(str(path))


def test_a_good_section(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "tabletop")
    config = load(
        tmp_path,
        """\
drills:
  timeout: 45m
  scenarios: tabletop/
  scheduled:
    - policy: platform
      rrule: "FREQ=MONTHLY;BYDAY=1TU;BYHOUR=10;BYMINUTE=0"
      time_zone: Europe/Berlin
      severity: SEV3
""",
    )
    drills = config.drills  # type: ignore[attr-defined]
    assert drills.timeout == timedelta(minutes=45)
    assert list(drills.scenarios) == ["api-high-latency"]
    scenario = drills.scenarios["api-high-latency"]
    assert "APIHighLatency" in scenario.title
    assert "8 s" in scenario.steps[0].situation and "12 %" in scenario.steps[0].situation
    assert "6 hours ago" in scenario.steps[0].situation
    assert "What do you do first" in scenario.steps[0].questions[0]
    assert any("pool" in (s.inject or "") for s in scenario.steps)
    assert any("rollback did not help" in (s.inject or "") for s in scenario.steps)
    (one,) = drills.scheduled
    assert (one.policy, one.time_zone, one.severity.value) == ("platform", "Europe/Berlin", "SEV3")


@pytest.mark.parametrize(
    ("section", "where", "problem"),
    [
        ("drills:\n  scheduled:\n    - {policy: nope, rrule: FREQ=DAILY}\n",
         ":9: drills.scheduled.0.policy", "no escalation policy 'nope'"),
        ("drills:\n  scheduled:\n    - {policy: platform, rrule: FREQ=SOMETIMES}\n",
         ":9: drills.scheduled.0.rrule", "FREQ must be one of"),
        ("drills:\n  scheduled:\n    - {policy: platform, rrule: FREQ=HOURLY}\n",
         ":9: drills.scheduled.0.rrule", "a drill at most daily"),
        ("drills:\n  scheduled:\n    - {policy: platform, rrule: 'FREQ=DAILY;BYHOUR=25'}\n",
         ":9: drills.scheduled.0.rrule", "not an RRULE"),
        ("drills:\n  scheduled:\n    - policy: platform\n      rrule: FREQ=DAILY\n"
         "      time_zone: Mars/Olympus\n",
         ":11: drills.scheduled.0.time_zone", "'Mars/Olympus' is not a time zone"),
        ("drills:\n  scheduled:\n    - {policy: platform, rrule: FREQ=DAILY, severity: SEV9}\n",
         ":9: drills.scheduled.0.severity", "is not a severity"),
        ("drills:\n  timeout: soon\n", ":8: drills.timeout", "soon"),
        ("drills:\n  every: 1h\n", ":8: drills.every", "is not a known field"),
        ("drills:\n  scenarios: missing/\n", ":8: drills.scenarios", "is not a directory"),
    ],
)  # fmt: skip
def test_refused(tmp_path: Path, section: str, where: str, problem: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load(tmp_path, section)
    text = str(refused.value)
    assert f"tocsin.yaml{where}:" in text, text
    assert problem in text, text


SCENARIO = """\
title: Broken scenario
summary: one step
steps:
  - title: The page
    situation: |
      It is 2 a.m.
    questions: []
  - title: Second
    situation: text
    questions: [Why]
    surprise: true
"""


def test_a_bad_scenario_file_is_refused_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "tabletop").mkdir()
    (tmp_path / "tabletop" / "broken.yaml").write_text(SCENARIO)
    with pytest.raises(ConfigError) as refused:
        load(tmp_path, "drills:\n  scenarios: tabletop\n")
    text = str(refused.value)
    assert "broken.yaml:7: steps.0.questions:" in text, text
    assert "broken.yaml:11: steps.1.surprise: is not a known field" in text, text


def test_a_scenario_needs_steps(tmp_path: Path) -> None:
    (tmp_path / "tabletop").mkdir()
    (tmp_path / "tabletop" / "empty.yaml").write_text("title: Nothing\n")
    with pytest.raises(ConfigError, match=r"empty.yaml:1: steps: is required"):
        load(tmp_path, "drills:\n  scenarios: tabletop\n")
