"""``match_routes``: Alertmanager's Route.Match, table-driven (after route_test.go)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tocsin.config.compile import compile_config
from tocsin.config.yaml_source import load_yaml
from tocsin.domain.routing import GroupBy, Route, match_routes

CONFIG = """
route:
  receiver: default
  group_by: [alertname]
  group_wait: 10s
  routes:
    - matchers: ['owner="team-A"']
      receiver: team-A
      group_by: []
      routes:
        - matchers: ['env="production"']
          receiver: team-A-prod
          group_wait: 1m
    - match: {owner: team-B}
      receiver: team-B
      continue: true
      group_by: ['...']
    - match_re: {owner: 'team-(B|C)'}
      receiver: team-BC
      repeat_interval: 1h
    - matchers: ['owner=~"team-.*"', 'severity!="info"']
      receiver: catch-teams
    - matchers: ['missing=""']
      receiver: no-missing-label
receivers:
  - {name: default}
  - {name: team-A}
  - {name: team-A-prod}
  - {name: team-B}
  - {name: team-BC}
  - {name: catch-teams}
  - {name: no-missing-label}
"""


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Route:
    path = tmp_path_factory.mktemp("cfg") / "routes.yml"
    path.write_text(CONFIG)
    return compile_config(load_yaml(path)).route


@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        ({"owner": "team-A"}, ["team-A"]),
        ({"owner": "team-A", "env": "production"}, ["team-A-prod"]),
        ({"owner": "team-B"}, ["team-B", "team-BC"]),  # continue, then the next match stops
        ({"owner": "team-C"}, ["team-BC"]),
        ({"owner": "team-D"}, ["catch-teams"]),
        ({"owner": "team-D", "severity": "info"}, ["no-missing-label"]),  # absent == ""
        ({"owner": "team-D", "severity": "info", "missing": "x"}, ["default"]),
        ({"owner": "team-BB"}, ["catch-teams"]),  # regexes are anchored
        ({}, ["no-missing-label"]),
    ],
)
def test_receivers(root: Route, labels: dict[str, str], receivers: list[str]) -> None:
    assert [r.receiver for r in match_routes(root, labels)] == receivers


def test_inheritance_and_defaults(root: Route) -> None:
    team_a, team_b, team_bc = root.routes[0], root.routes[1], root.routes[2]
    assert root.group_by == GroupBy(("alertname",))
    assert team_a.group_by == GroupBy(("alertname",))  # group_by: [] inherits
    assert team_a.group_wait.total_seconds() == 10
    assert team_a.routes[0].group_wait.total_seconds() == 60
    assert team_a.group_interval.total_seconds() == 300  # Alertmanager's default
    assert team_b.group_by.everything
    assert team_bc.repeat_interval.total_seconds() == 3600
    assert team_bc.routes == () and team_a.routes[0].repeat_interval.total_seconds() == 4 * 3600


def test_route_keys(root: Route) -> None:
    assert root.key == "{}"
    assert root.routes[0].routes[0].key == '{}/{owner="team-A"}/{env="production"}'


def test_group_by_keys() -> None:
    labels = {"alertname": "X", "job": "api", "empty": ""}
    assert GroupBy(("job", "zone")).key_of(labels) == {"job": "api"}
    assert GroupBy(everything=True).key_of(labels) == {"alertname": "X", "job": "api"}


def test_match_does_not_depend_on_file(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("route: {receiver: r}\nreceivers: [{name: r}]\n")
    root = compile_config(load_yaml(tmp_path / "a.yml")).route
    assert [r.receiver for r in match_routes(root, {"any": "thing"})] == ["r"]
