"""``postmortems:`` and ``reports:`` in tocsin.yaml: compiled into policies, and every
mistake named by file, line and key."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from tests.config.test_paging_config import load
from tocsin.config.compile import RoutingConfig
from tocsin.domain.learning_policy import HealthPolicy, PostmortemPolicy
from tocsin.errors import ConfigError

BASE = """route:
  receiver: r
receivers:
  - name: r
postmortems:
  required_for: [SEV1]
  due_in: 3
  business_days: [mon, tue, wed, thu]
  time_zone: Europe/Berlin
  template: pm.md
  categories: [deploy, capacity]
  remind_before: 3d
  remind_after: 12h
  follow_up_review: 10d
reports:
  working_hours: {days: [mon, tue], start: "08:00", end: "16:30"}
  sleep_hours: {start: "23:00", end: "06:00"}
  page_budget: 1.5
  repeat_window: 14d
"""


def test_defaults_without_the_sections(tmp_path: Path) -> None:
    config = load(tmp_path, "route:\n  receiver: r\nreceivers:\n  - name: r\n")
    assert isinstance(config, RoutingConfig)
    assert config.postmortems == PostmortemPolicy()
    assert config.health == HealthPolicy()


def test_the_sections_compile(tmp_path: Path) -> None:
    (tmp_path / "pm.md").write_text("# {title}\n")
    config = load(tmp_path, BASE)
    assert isinstance(config, RoutingConfig)
    assert config.postmortems == PostmortemPolicy(
        required_for=frozenset({"SEV1"}),
        due_business_days=3,
        business_days=frozenset({0, 1, 2, 3}),
        time_zone="Europe/Berlin",
        template="# {title}\n",
        categories=("deploy", "capacity"),
        remind_before=timedelta(days=3),
        remind_after=timedelta(hours=12),
        follow_up_review=timedelta(days=10),
    )
    assert config.health == HealthPolicy(
        working_days=frozenset({0, 1}),
        working_start=time(8, 0),
        working_end=time(16, 30),
        sleep_start=time(23, 0),
        sleep_end=time(6, 0),
        page_budget=1.5,
        repeat_window=timedelta(days=14),
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("required_for: [SEV1]", "required_for: [SEV9]", "postmortems.required_for.0: 'SEV9'"),
        ("due_in: 3", "due_in: 0", "postmortems.due_in:"),
        ("[mon, tue, wed, thu]", "[mon, someday]", "postmortems.business_days: days are"),
        ("time_zone: Europe/Berlin", "time_zone: Mars/Base", "postmortems.time_zone:"),
        ("template: pm.md", "template: missing.md", "postmortems.template: cannot read"),
        ("remind_after: 12h", "remind_after: soon", "postmortems.remind_after:"),
        ('end: "16:30"', 'end: "07:00"', "reports.working_hours.end: must be after start"),
        ('start: "23:00"', 'start: "late"', "reports.sleep_hours.start: 'late' is not a time"),
        ("page_budget: 1.5", "page_budget: 0", "reports.page_budget:"),
        ("sleep_hours: {start", "sleep_hours: {days: [mon], start", "reports.sleep_hours.days"),
        ("postmortems:\n", "postmortems:\n  owner: x\n", "postmortems.owner"),
    ],
)
def test_mistakes_name_file_line_and_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    (tmp_path / "pm.md").write_text("# {title}\n")
    assert old in BASE
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, BASE.replace(old, new, 1))
    text = str(caught.value)
    assert message in text and "tocsin.yaml:" in text, text
