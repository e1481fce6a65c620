"""The real amtool queries and adds alerts on Tocsin as on an Alertmanager (basic auth in the
URL, the password being the token)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.peers.conftest import Tocsin, require_binary, unique, wait_for

pytestmark = pytest.mark.peer

Amtool = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def amtool(tocsin: Tocsin, tmp_path: Path) -> Amtool:
    binary = require_binary("amtool", "prometheus-alertmanager")
    # An empty HOME: no amtool.yml from the machine changes what is tested.
    env = {**os.environ, "HOME": str(tmp_path)}

    def run(*args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
        url = f"http://tocsin:{token or tocsin.token}@127.0.0.1:{tocsin.port}"
        return subprocess.run(
            [binary, f"--alertmanager.url={url}", "--timeout=10s", *args],
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
            cwd=tmp_path,
        )

    return run


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"amtool {done.args[2:]} failed: {done.stderr}"
    return done.stdout


@pytest.fixture
def posted(tocsin: Tocsin) -> dict[str, Any]:
    """Three alerts posted straight to Tocsin, under a unique `test` label."""
    test = unique("amtool")
    alerts = [
        {
            "labels": {"alertname": "PeerAmtoolA", "test": test, "instance": "a"},
            "annotations": {"summary": "A on a"},
            "generatorURL": "http://prometheus.invalid/graph?g0.expr=up",
        },
        {
            "labels": {"alertname": "PeerAmtoolA", "test": test, "instance": "b"},
            "annotations": {"summary": "A on b"},
        },
        {"labels": {"alertname": "PeerAmtoolB", "test": test, "instance": "a"}},
    ]
    tocsin.post_alerts(alerts)
    return {"test": test, "alerts": alerts}


def _by_labels(alerts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {json.dumps(a["labels"], sort_keys=True): a for a in alerts}


def test_amtool_query_lists_the_alerts_tocsin_has(
    amtool: Amtool, tocsin: Tocsin, posted: dict[str, Any]
) -> None:
    before = {a["fingerprint"] for a in tocsin.open_alerts()}
    queried = json.loads(_ok(amtool("alert", "query", "-o", "json")))
    after = {a["fingerprint"] for a in tocsin.open_alerts()}
    listed = {a["fingerprint"] for a in queried}
    # Other tests' alerts may time out meanwhile; nothing else may differ.
    assert before & after <= listed <= before | after
    assert len(listed) == len(queried)

    mine = [a for a in queried if a["labels"].get("test") == posted["test"]]
    expected = _by_labels(tocsin.open_alerts(f'test="{posted["test"]}"'))
    assert len(mine) == 3
    for key, alert in _by_labels(mine).items():
        want = expected[key]
        for field in ("labels", "annotations", "startsAt", "endsAt", "fingerprint"):
            assert alert[field] == want[field], field
        assert alert["status"]["state"] == "active"
    urls = {
        (a["labels"]["alertname"], a["labels"]["instance"]): a.get("generatorURL") for a in mine
    }
    assert urls[("PeerAmtoolA", "a")] == "http://prometheus.invalid/graph?g0.expr=up"


@pytest.mark.parametrize(
    ("matchers", "expected"),
    [
        (["alertname=PeerAmtoolA"], {("PeerAmtoolA", "a"), ("PeerAmtoolA", "b")}),
        (["PeerAmtoolB"], {("PeerAmtoolB", "a")}),  # a bare value matches alertname
        (
            ['alertname=~"PeerAmtool.*"', "instance!=b"],
            {("PeerAmtoolA", "a"), ("PeerAmtoolB", "a")},
        ),
        (["alertname=Nothing"], set()),
    ],
)
def test_amtool_query_with_matchers(
    amtool: Amtool, posted: dict[str, Any], matchers: list[str], expected: set[tuple[str, str]]
) -> None:
    out = _ok(amtool("alert", "query", "-o", "json", *matchers, f"test={posted['test']}"))
    found = [(a["labels"]["alertname"], a["labels"]["instance"]) for a in json.loads(out)]
    assert sorted(found) == sorted(expected)


def test_amtool_query_simple_and_extended_output(amtool: Amtool, posted: dict[str, Any]) -> None:
    simple = _ok(amtool("alert", "query", f"test={posted['test']}"))
    assert simple.count("PeerAmtoolA") == 2 and simple.count("PeerAmtoolB") == 1, simple
    assert "A on b" in simple
    extended = _ok(amtool("alert", "query", "-o", "extended", f"test={posted['test']}"))
    assert f'test="{posted["test"]}"' in extended, extended
    assert 'summary="A on a"' in extended, extended


def test_amtool_alert_add_reaches_tocsin(amtool: Amtool, tocsin: Tocsin) -> None:
    test = unique("amtool-add")
    _ok(
        amtool(
            "alert",
            "add",
            "alertname=PeerAmtoolAdded",
            f"test={test}",
            "severity=warning",
            "--annotation=summary=added by amtool",
            "--generator-url=http://generator.invalid/x",
        )
    )
    [alert] = wait_for(lambda: tocsin.open_alerts(f'test="{test}"'), "the added alert")
    assert alert["labels"] == {"alertname": "PeerAmtoolAdded", "test": test, "severity": "warning"}
    assert alert["annotations"] == {"summary": "added by amtool"}
    assert alert["generatorURL"] == "http://generator.invalid/x"


def test_amtool_alert_add_with_an_end_in_the_past_resolves(amtool: Amtool, tocsin: Tocsin) -> None:
    test = unique("amtool-resolve")
    labels = ["alertname=PeerAmtoolResolved", f"test={test}"]
    start = datetime.now(UTC) - timedelta(minutes=10)
    _ok(amtool("alert", "add", *labels, f"--start={start.strftime('%Y-%m-%dT%H:%M:%SZ')}"))
    assert len(tocsin.open_alerts(f'test="{test}"')) == 1
    end = datetime.now(UTC) - timedelta(seconds=1)
    _ok(
        amtool(
            "alert",
            "add",
            *labels,
            f"--start={start.strftime('%Y-%m-%dT%H:%M:%SZ')}",
            f"--end={end.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        )
    )
    assert tocsin.open_alerts(f'test="{test}"') == []
    assert [a["status"] for a in tocsin.stored() if a["labels"].get("test") == test] == ["resolved"]
    assert json.loads(_ok(amtool("alert", "query", "-o", "json", f"test={test}"))) == []


def test_amtool_status_commands_work(amtool: Amtool) -> None:
    cluster = _ok(amtool("cluster", "show"))
    assert "Cluster Status:" in cluster and "disabled" in cluster, cluster
    _ok(amtool("config", "show"))
    _ok(amtool("cluster", "show", "-o", "json"))


def test_amtool_with_a_wrong_token_fails(amtool: Amtool, tocsin: Tocsin) -> None:
    done = amtool("alert", "query", token="0" * 32)
    assert done.returncode != 0
    assert "401" in done.stderr, done.stderr
    test = unique("amtool-bad")
    done = amtool("alert", "add", "alertname=PeerAmtoolBad", f"test={test}", token="0" * 32)
    assert done.returncode != 0
    assert "401" in done.stderr, done.stderr
    assert [a for a in tocsin.stored() if a["labels"].get("test") == test] == []


def test_amtool_silence_add_query_expire(amtool: Amtool, posted: dict[str, Any]) -> None:
    test = posted["test"]
    silence_id = _ok(
        amtool(
            "silence",
            "add",
            f"test={test}",
            'alertname=~"PeerAmtool.*"',
            "--duration=1h",
            "--author=ann",
            "--comment=maintenance",
        )
    ).strip()
    assert len(silence_id) == 36
    queried = json.loads(_ok(amtool("silence", "query", "-o", "json", f"test={test}")))
    assert [s["id"] for s in queried] == [silence_id]
    assert queried[0]["createdBy"] == "ann" and queried[0]["status"]["state"] == "active"
    silenced = json.loads(_ok(amtool("alert", "query", "-o", "json", "--silenced", f"test={test}")))
    assert silenced and all(a["status"]["silencedBy"] == [silence_id] for a in silenced)
    _ok(amtool("silence", "expire", silence_id))
    expired = json.loads(_ok(amtool("silence", "query", "-o", "json", "--expired", f"test={test}")))
    assert [s["status"]["state"] for s in expired] == ["expired"]
    assert json.loads(_ok(amtool("silence", "query", "-o", "json", f"test={test}"))) == []
