"""Notification sequences: Tocsin and the real Alertmanager, given the same configuration and
the same alerts at the same moments, send the same notifications at the same times.

Both run side by side in real time (short timers: group_wait 1s, group_interval 2s,
repeat_interval 5s) and send their webhooks to one receiver on loopback, each to its own path.
Each notification is compared by status, group key and the alerts it carries (firing and
resolved); its time, measured from the first post, must agree within a tolerance.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.live_server import LiveServer
from tests.peers.conftest import alertmanager, unique
from tests.receiver_server import ReceiverServer

TOLERANCE = 0.6  # seconds


def _config(
    receiver_url: str, path: str, extra: dict[str, Any], send_resolved: bool = True
) -> dict[str, Any]:
    return {
        "route": {
            "receiver": "hook",
            "group_by": ["alertname"],
            "group_wait": "1s",
            "group_interval": "2s",
            "repeat_interval": "5s",
        },
        "receivers": [
            {
                "name": "hook",
                "webhook_configs": [
                    {"url": f"{receiver_url}/{path}", "send_resolved": send_resolved}
                ],
            }
        ],
        **extra,
    }


@contextmanager
def routed_tocsin(workdir: Path, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "tocsin.yaml"
    path.write_text(yaml.safe_dump(config))
    server = LiveServer(
        f"sqlite:///{workdir / 'tocsin.db'}", workdir, env={"TOCSIN_CONFIG": str(path)}
    )
    token = server.create_integration("prom", "alertmanager")
    server.start()
    try:
        yield server.url, token
    finally:
        server.stop()


class Pair:
    """Posts to both at once; records when the run started."""

    def __init__(self, am_url: str, tocsin_url: str, token: str, run: str) -> None:
        self.targets = [(am_url, {}), (tocsin_url, {"Authorization": f"Bearer {token}"})]
        self.run = run
        self.t0 = time.monotonic()

    def alert(self, name: str, *, resolved: bool = False, **labels: str) -> dict[str, Any]:
        now = datetime.now(UTC)
        ends = now if resolved else now + timedelta(hours=1)
        return {
            "labels": {"alertname": name, "run": self.run, **labels},
            "startsAt": (now - timedelta(milliseconds=10)).isoformat(),
            "endsAt": ends.isoformat(),
        }

    def post(self, *alerts: dict[str, Any]) -> None:
        for url, headers in self.targets:
            r = httpx.post(f"{url}/api/v2/alerts", json=list(alerts), headers=headers, timeout=10)
            assert r.status_code == 200, r.text

    def silence(self, seconds: float, **labels: str) -> None:
        now = datetime.now(UTC)
        body = {
            "matchers": [
                {"name": k, "value": v, "isRegex": False, "isEqual": True}
                for k, v in {"run": self.run, **labels}.items()
            ],
            "startsAt": now.isoformat(),
            "endsAt": (now + timedelta(seconds=seconds)).isoformat(),
            "createdBy": "conformance",
            "comment": "test",
        }
        for url, headers in self.targets:
            r = httpx.post(f"{url}/api/v2/silences", json=body, headers=headers, timeout=10)
            assert r.status_code == 200, r.text

    def at(self, seconds: float) -> None:
        """Sleep until ``seconds`` after the start."""
        time.sleep(max(0.0, self.t0 + seconds - time.monotonic()))


def notifications(receiver: ReceiverServer, path: str, t0: float) -> list[tuple[Any, ...]]:
    out = []
    for r in receiver.received:
        if r.path != f"/{path}":
            continue
        body = r.json()
        alerts = sorted(
            (a["labels"]["alertname"], a["labels"].get("i", ""), a["status"])
            for a in body["alerts"]
        )
        out.append((round(r.at - t0, 2), body["status"], body["groupKey"], tuple(alerts)))
    return out


def compare(receiver: ReceiverServer, t0: float) -> list[tuple[Any, ...]]:
    # Per group, in time order (groups notifying at the same moment may interleave).
    am = sorted(notifications(receiver, "am", t0), key=lambda n: (n[2], n[0]))
    ours = sorted(notifications(receiver, "tocsin", t0), key=lambda n: (n[2], n[0]))
    assert [n[1:] for n in ours] == [n[1:] for n in am], f"\nAM:     {am}\nTocsin: {ours}"
    for a, t in zip(am, ours, strict=True):
        assert abs(a[0] - t[0]) <= TOLERANCE, f"timing differs: AM {a}, Tocsin {t}"
    return am


Scenario = Callable[[Pair], None]


def run_scenario(
    tmp_path: Path,
    extra: dict[str, Any],
    scenario: Scenario,
    until: float,
    send_resolved: bool = True,
) -> list[tuple[Any, ...]]:
    receiver = ReceiverServer()
    try:
        with (
            alertmanager(tmp_path / "am", _config(receiver.url, "am", extra, send_resolved)) as am,
            routed_tocsin(
                tmp_path / "tocsin", _config(receiver.url, "tocsin", extra, send_resolved)
            ) as (
                url,
                token,
            ),
        ):
            pair = Pair(am.url, url, token, unique("run"))
            scenario(pair)
            pair.at(until)
            return compare(receiver, pair.t0)
    finally:
        receiver.close()


def test_grouping_new_alerts_resolve_and_repeat(tmp_path: Path) -> None:
    def scenario(p: Pair) -> None:
        p.post(p.alert("A", i="1"), p.alert("A", i="2"), p.alert("B"))
        p.at(2.0)
        p.post(p.alert("A", i="3"))  # after the first flush: waits for the tick at 3 s
        p.at(4.0)
        p.post(p.alert("A", i="1", resolved=True))
        p.at(8.0)
        p.post(p.alert("A", i="2", resolved=True), p.alert("A", i="3", resolved=True))

    sent = run_scenario(tmp_path, {}, scenario, until=14.0)
    # The shape Alertmanager gave, spelled out: first flush, new alert, partial resolve,
    # B's repeat, all resolved.
    statuses = [(n[2].split(":")[1], n[1]) for n in sorted(sent, key=lambda n: (round(n[0]), n[2]))]
    assert statuses[:2] == [('{alertname="A"}', "firing"), ('{alertname="B"}', "firing")]
    assert ('{alertname="A"}', "resolved") in statuses
    assert sum(1 for s in statuses if s[0] == '{alertname="B"}') >= 2  # repeated


def test_inhibition_and_silences(tmp_path: Path) -> None:
    extra = {
        "inhibit_rules": [
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity="warning"'],
                "equal": ["cluster"],
            }
        ]
    }

    def scenario(p: Pair) -> None:
        p.silence(4.0, alertname="Muted")
        p.post(
            p.alert("Outage", severity="critical", cluster="eu"),
            p.alert("Slow", severity="warning", cluster="eu"),
            p.alert("Slow", severity="warning", cluster="us", i="us"),
            p.alert("Muted", severity="warning", cluster="us"),
        )
        p.at(3.5)
        p.post(p.alert("Outage", severity="critical", cluster="eu", resolved=True))

    sent = run_scenario(tmp_path, extra, scenario, until=9.0)
    first_slow = min(n for n in sent if "Slow" in n[2])
    assert first_slow[3] == (("Slow", "us", "firing"),)  # eu inhibited at first
    assert any("Muted" in n[2] for n in sent)  # sent once the silence ended


def test_without_send_resolved(tmp_path: Path) -> None:
    def scenario(p: Pair) -> None:
        p.post(p.alert("A", i="1"), p.alert("A", i="2"))
        p.at(2.0)
        p.post(p.alert("A", i="1", resolved=True))  # the firing set shrinks: no trigger
        p.at(4.0)
        p.post(p.alert("A", i="3"))
        p.at(6.0)
        p.post(p.alert("A", i="2", resolved=True), p.alert("A", i="3", resolved=True))
        p.at(8.0)
        p.post(p.alert("A", i="1"))  # fires again after all resolved: starts over

    sent = run_scenario(tmp_path, {}, scenario, until=12.0, send_resolved=False)
    assert all(status == "firing" for _, status, _, _ in sent)  # never a resolved one
    assert [alerts for *_, alerts in sent][-1] == (("A", "1", "firing"),)
