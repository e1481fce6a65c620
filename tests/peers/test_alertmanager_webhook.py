"""A real Alertmanager notifies Tocsin through a webhook receiver, alert by alert."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.peers.conftest import Alertmanager, Tocsin, alertmanager, tail, unique, wait_for

pytestmark = pytest.mark.peer

ALERT_NAME = "TocsinPeerWebhook"


@pytest.fixture(scope="module")
def am(tocsin: Tocsin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Alertmanager]:
    config = {
        "route": {
            "receiver": "tocsin",
            "group_by": ["alertname", "test"],
            "group_wait": "1s",
            "group_interval": "1s",
            "repeat_interval": "1h",
        },
        "receivers": [
            {
                "name": "tocsin",
                "webhook_configs": [
                    {
                        "url": f"{tocsin.url}/integrations/alertmanager",
                        "send_resolved": True,
                        "http_config": {"authorization": {"credentials": tocsin.webhook_token}},
                    }
                ],
            }
        ],
    }
    with alertmanager(tmp_path_factory.mktemp("alertmanager-webhook"), config) as am:
        yield am


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_alertmanager_webhook_fires_and_resolves_alert_by_alert(
    tocsin: Tocsin, am: Alertmanager
) -> None:
    test = unique("webhook")
    starts_at = datetime.now(UTC) - timedelta(minutes=1)

    def alert(instance: str, ends_at: datetime | None = None) -> dict[str, object]:
        body: dict[str, object] = {
            "labels": {"alertname": ALERT_NAME, "test": test, "instance": instance},
            "annotations": {"summary": f"{instance} is down"},
            "startsAt": _iso(starts_at),
            "generatorURL": "http://prometheus.invalid/graph?g0.expr=up",
        }
        if ends_at is not None:
            body["endsAt"] = _iso(ends_at)
        return body

    def diagnostics() -> str:
        return tail(am.log) + "\n" + tocsin.diagnostics()

    def mine() -> dict[str, dict[str, object]]:
        """Tocsin's stored alerts of this test, by instance."""
        return {
            a["labels"]["instance"]: a for a in tocsin.stored() if a["labels"].get("test") == test
        }

    # Two alerts in one group: one notification carries both.
    am.post_alerts([alert("a"), alert("b")])
    firing = wait_for(
        lambda: len(open_ := tocsin.open_alerts(f'test="{test}"')) == 2 and open_,
        "both alerts firing in Tocsin",
        diagnostics=diagnostics,
    )
    by_instance = {a["labels"]["instance"]: a for a in firing}
    assert set(by_instance) == {"a", "b"}
    for instance, a in by_instance.items():
        assert a["labels"] == {"alertname": ALERT_NAME, "test": test, "instance": instance}
        assert a["annotations"] == {"summary": f"{instance} is down"}
        assert a["generatorURL"] == "http://prometheus.invalid/graph?g0.expr=up"
        assert datetime.fromisoformat(a["startsAt"].replace("Z", "+00:00")) == starts_at.replace(
            microsecond=starts_at.microsecond // 1000 * 1000
        )
    stored = mine()
    assert {i: s["status"] for i, s in stored.items()} == {"a": "firing", "b": "firing"}

    # Tocsin names each alert as Alertmanager does.
    am_fingerprints = {
        a["labels"]["instance"]: a["fingerprint"] for a in am.alerts(f'test="{test}"')
    }
    assert am_fingerprints == {i: a["fingerprint"] for i, a in by_instance.items()}
    assert am_fingerprints == {i: s["fingerprint"] for i, s in stored.items()}

    # Resolve one of them: the next group notification has "a" resolved and "b" firing.
    am.post_alerts([alert("a", ends_at=datetime.now(UTC))])
    wait_for(
        lambda: mine()["a"]["status"] == "resolved",
        "alert a resolved in Tocsin",
        diagnostics=diagnostics,
    )
    assert mine()["b"]["status"] == "firing"
    open_now = tocsin.open_alerts(f'test="{test}"')
    assert [a["labels"]["instance"] for a in open_now] == ["b"]
    assert open_now[0]["fingerprint"] == am_fingerprints["b"]

    # Every delivery was accepted (a non-2xx counts as a failed notification).
    sent = am.metric("alertmanager_notifications_total", integration="webhook")
    failed = am.metric("alertmanager_notifications_failed_total", integration="webhook")
    assert sent >= 2, diagnostics()
    assert failed == 0, diagnostics()


def test_alertmanager_webhook_with_a_wrong_token_is_refused(tocsin: Tocsin, tmp_path: Path) -> None:
    config = {
        "route": {"receiver": "tocsin", "group_wait": "1s", "group_interval": "1s"},
        "receivers": [
            {
                "name": "tocsin",
                "webhook_configs": [
                    {
                        "url": f"{tocsin.url}/integrations/alertmanager",
                        # A valid token of the wrong kind: Alertmanager API v2, not webhook.
                        "http_config": {"authorization": {"credentials": tocsin.token}},
                    }
                ],
            }
        ],
    }
    test = unique("webhook-bad")
    with alertmanager(tmp_path, config) as am:
        am.post_alerts([{"labels": {"alertname": ALERT_NAME, "test": test}}])
        wait_for(
            lambda: am.metric("alertmanager_notifications_failed_total", integration="webhook"),
            "Alertmanager to fail delivering",
            diagnostics=lambda: tail(am.log),
        )
        log = am.log.read_text()
    assert [a for a in tocsin.stored() if a["labels"].get("test") == test] == []
    assert "401" in log, tail(am.log)
