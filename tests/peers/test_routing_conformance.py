"""Tocsin's routing against the real ``amtool config routes test``, on generated trees.

A seeded generator builds nested route trees (continue chains, ``match``, ``match_re`` and
``matchers:`` strings with all four operators, regex specials, unicode and empty values) and
label sets; for each, the receivers Tocsin reaches must equal amtool's, in order.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.peers.conftest import require_binary
from tocsin.config.compile import load_config
from tocsin.domain.matchers import Matcher, parse_matchers
from tocsin.domain.routing import match_routes

pytestmark = pytest.mark.peer

NAMES = ["alertname", "severity", "team", "env", "service"]
VALUES = ["a", "b", "crit", "critical", "prod", "dev", "x.y", "ü", "é-1", "a|b"]
REGEXES = ["a|b", "crit.*", ".*", "[a-c]", "x\\.y", "", "ü|é.*", "(prod|dev)", "b+"]
CONFIGS, LABEL_SETS = 30, 10


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _route(rnd: random.Random, depth: int, receivers: list[str]) -> dict[str, Any]:
    route: dict[str, Any] = {}
    style = rnd.choice(["matchers", "matchers", "match", "match_re"])
    for _ in range(rnd.randint(1, 2)):
        name = rnd.choice(NAMES)
        if style == "match":
            route.setdefault("match", {})[name] = rnd.choice(VALUES)
        elif style == "match_re":
            route.setdefault("match_re", {})[name] = rnd.choice(REGEXES)
        else:
            op = rnd.choice(["=", "!=", "=~", "!~"])
            value = rnd.choice(REGEXES if "~" in op else [*VALUES, ""])
            route.setdefault("matchers", []).append(f"{name}{op}{_quote(value)}")
    if rnd.random() < 0.7:
        route["receiver"] = rnd.choice(receivers)
    if rnd.random() < 0.45:
        route["continue"] = True
    if depth < 3 and rnd.random() < 0.5:
        route["routes"] = [_route(rnd, depth + 1, receivers) for _ in range(rnd.randint(1, 3))]
    return route


def _config(rnd: random.Random) -> dict[str, Any]:
    receivers = [f"r{i}" for i in range(6)]
    return {
        "route": {
            "receiver": "root",
            "routes": [_route(rnd, 1, receivers) for _ in range(rnd.randint(1, 4))],
        },
        "receivers": [{"name": name} for name in ["root", *receivers]],
    }


def _conditions(route: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(name, op, value) of every matcher in the tree, to aim label sets at the routes."""
    found = [(k, "=", v) for k, v in route.get("match", {}).items()]
    found += [(k, "=~", v) for k, v in route.get("match_re", {}).items()]
    for text in route.get("matchers", []):
        for m in parse_matchers(text):
            found.append((m.name, m.op.value, m.value))
    for child in route.get("routes", []):
        found += _conditions(child)
    return found


def _labels(rnd: random.Random, config: dict[str, Any]) -> dict[str, str]:
    """Labels that satisfy a few of the tree's matchers (so that deep routes, continue chains
    and fall-throughs are all reached), plus some noise."""
    labels = {rnd.choice(NAMES): rnd.choice(VALUES) for _ in range(rnd.randint(0, 2))}
    conditions = _conditions(config["route"])
    for name, op, value in rnd.sample(conditions, min(len(conditions), rnd.randint(1, 4))):
        if op == "=" and value:
            labels[name] = value
        elif op == "=~":
            hits = [v for v in VALUES if Matcher.of(name, op, value).matches({name: v})]
            if hits:
                labels[name] = rnd.choice(hits)
        elif op in ("!=", "!~") and rnd.random() < 0.5:
            labels.pop(name, None)
    return labels


def test_routing_matches_amtool(tmp_path: Path) -> None:
    amtool = require_binary("amtool", "prometheus-alertmanager")
    rnd = random.Random(20261122)
    compared = 0
    outcomes: set[str] = set()
    for n in range(CONFIGS):
        path = tmp_path / f"routes-{n}.yml"
        path.write_text(yaml.safe_dump(_config(rnd), allow_unicode=True))
        root = load_config(str(path)).route
        config = yaml.safe_load(path.read_text())
        for _ in range(LABEL_SETS):
            labels = _labels(rnd, config)
            args = [f"{k}={v}" for k, v in labels.items()]
            done = subprocess.run(
                [amtool, "config", "routes", "test", f"--config.file={path}", *args],
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert done.returncode == 0, done.stderr
            expected = done.stdout.strip()
            ours = ",".join(r.receiver for r in match_routes(root, labels))
            assert ours == expected, f"{path.read_text()}\nlabels {labels}"
            compared += 1
            outcomes.add(ours)
    assert compared == CONFIGS * LABEL_SETS
    # The generator must exercise the tree: many receivers, and continue chains.
    assert len(outcomes) >= 7 and any("," in o for o in outcomes), outcomes
