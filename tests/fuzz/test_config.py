"""The whole tocsin.yaml loader (services/configuration.py, config/compile.py): anything
written in the file either loads or raises ConfigError naming file:line, never another
exception."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from tests.fuzz.conftest import FUZZ
from tests.fuzz.strategies import SCALARS, documents
from tocsin.errors import ConfigError
from tocsin.services.configuration import load_configuration

BASE_TEXT = """\
global:
  resolve_timeout: 5m
route:
  receiver: pager
  group_by: [alertname, service]
  group_wait: 0s
  routes:
    - matchers: ['severity=~"warn|info"']
      receiver: hook
      mute_time_intervals: [nights]
receivers:
  - name: pager
    escalation_policy: platform
  - name: hook
    webhook_configs:
      - url: https://hooks.example.com/x
time_intervals:
  - name: nights
    time_intervals:
      - times: [{start_time: "22:00", end_time: "24:00"}]
        weekdays: ["monday:friday"]
        days_of_month: ["1:5", "-3:-1"]
        months: ["january:march"]
        location: Europe/Berlin
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [service]
users:
  - id: ann
    name: Ann Example
    email: ann@example.com
    time_zone: Europe/Berlin
escalation_policies:
  - name: platform
    levels:
      - delay: 5m
        targets: [{user: ann}]
heartbeats:
  - name: nightly-backup
    interval: 1d
    grace: 1h
    labels: {team: storage}
runbooks:
  directory: runbooks/
  review_every: 90d
drills:
  timeout: 1h
  scenarios: tabletop/
  scheduled:
    - policy: platform
      rrule: "FREQ=MONTHLY;BYDAY=1TU;BYHOUR=10;BYMINUTE=0"
      time_zone: Europe/Berlin
remediation:
  allowed_urls: ["https://deploy.example.com/"]
  approval_ttl: 1h
  actions:
    - name: restart-api
      http:
        method: POST
        url: "https://deploy.example.com/restart"
      timeout: 15s
      rate_limit: {runs: 3, per: 1h}
      triggers:
        matchers: ['alertname="APIHighLatency"']
"""
BASE = yaml.safe_load(BASE_TEXT)
TOP_KEYS = [*BASE, "slos", "incidents", "schedules", "teams", "on_call", "prometheus", "paging"]
TOP_KEYS += ["postmortems", "reports", "silence_reminders", "mute_time_intervals", "nonsense"]
ZONES = st.sampled_from(["UTC", "America", "Mars/Base", "", "5m", "FREQ=DAILY", "../etc"])


def _paths(node: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*at, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*at, i))


PATHS = [p for p in _paths(BASE) if p]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzzconfig")
    (root / "runbooks").mkdir()
    (root / "tabletop").mkdir()
    return root


def _check(root: Path, text: str | bytes) -> None:
    path = root / "tocsin.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    try:
        load_configuration(str(path))
    except ConfigError as exc:
        message = str(exc)
        assert message
        assert message.splitlines() == message.split("\n"), "one problem, one line"
        for line in message.split("\n"):
            if line.startswith(str(path)):
                assert re.match(re.escape(str(path)) + r":\d+: ", line), line
            else:
                assert line.startswith(str(root)), line


@FUZZ
@given(
    st.text(max_size=80)
    | st.text(st.sampled_from(list("ab:- \n[]{}'\"&*!|>#%@")), max_size=60)
    | st.binary(max_size=40)
)
# Defects found: a character YAML refuses, an empty file and bytes that are not UTF-8
# gave no line (the last one a UnicodeDecodeError).
@example(text="a: 1\nb: \x1f\n")
@example(text="")
@example(text=b"route:\n  receiver: \xff\n")
def test_any_text(workdir: Path, text: str | bytes) -> None:
    _check(workdir, text)


@FUZZ
@given(st.dictionaries(st.sampled_from(TOP_KEYS), documents(SCALARS | ZONES), max_size=5))
# Defect found: an unknown key holding a control character split the message's lines.
@example({"mute_time_intervals": [{"\x1e": None}]})
@example({"users": [{"id": "a\rb"}], "route": {"receiver": "\u2028"}})
def test_any_document_under_known_keys(workdir: Path, doc: dict[str, Any]) -> None:
    _check(workdir, yaml.safe_dump(doc))


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.sampled_from(PATHS),
            st.none() | documents(SCALARS | ZONES) | ZONES,
            st.booleans(),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_mutations_of_a_valid_config(
    workdir: Path, changes: list[tuple[tuple[Any, ...], Any, bool]]
) -> None:
    doc = copy.deepcopy(BASE)
    for path, value, delete in changes:
        node = doc
        for key in path[:-1]:
            if not isinstance(node, dict | list):
                break
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                break
        else:
            if isinstance(node, dict) and delete:
                node.pop(path[-1], None)
            elif isinstance(node, dict) or (
                isinstance(node, list) and isinstance(path[-1], int) and path[-1] < len(node)
            ):
                node[path[-1]] = value
    _check(workdir, yaml.safe_dump(doc))


def test_the_base_config_loads(workdir: Path) -> None:
    path = workdir / "base.yaml"
    path.write_text(BASE_TEXT)
    load_configuration(str(path))
