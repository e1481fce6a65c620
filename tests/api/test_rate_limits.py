"""Rate limits on the ingest endpoints (docs/security.md#rate-limits).

Every integration here may make 6 requests a minute (one every 10 s), 2 at once. Senders
that honour it get 429 with ``Retry-After`` and lose nothing; Alertmanager-kind senders
(which drop what a 4xx refuses) are accepted, stored and counted instead.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Stored
from tests.api.test_webhooks_api import notification
from tocsin.api.app import create_app
from tocsin.domain.integrations import IntegrationKind
from tocsin.engine.clock import FakeClock
from tocsin.services.rate_limits import RateLimited
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings

AM = IntegrationKind.ALERTMANAGER
AMW = IntegrationKind.ALERTMANAGER_WEBHOOK
PD = IntegrationKind.PAGERDUTY
OG = IntegrationKind.OPSGENIE
WH = IntegrationKind.WEBHOOK

CONFIG = """\
route:
  receiver: nobody
receivers:
  - name: nobody
heartbeats:
  - name: backup
    interval: 1h
"""


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    config = tmp_path / "tocsin.yaml"
    config.write_text(CONFIG)
    return Settings(
        database_url=db_url,
        sqlite_synchronous="NORMAL",
        config=str(config),
        rate_limit_integration=6,
        rate_limit_integration_burst=2,
        rate_limit_api=60,
        rate_limit_api_burst=1,
    )


def pagerduty(client: TestClient, key: str, dedup: str) -> Any:
    payload = {"summary": f"{dedup} is down", "source": "db-1", "severity": "error"}
    body = {"routing_key": key, "event_action": "trigger", "dedup_key": dedup, "payload": payload}
    return client.post("/v2/enqueue", json=body)


def webhook(client: TestClient, token: str, title: str) -> Any:
    return client.post(f"/integrations/webhook/{token}", json={"title": title})


def over_limit(runtime: Runtime, name: str, action: str, scope: str = "integration") -> float:
    labels = {"scope": scope, "name": name, "action": action}
    return runtime.metrics.registry.get_sample_value("tocsin_rate_limited_total", labels) or 0.0


def assert_refused(response: Any, retry_after: int, name: str) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["Retry-After"] == str(retry_after)
    body = response.json()
    assert body["limit"] == {"scope": "integration", "name": name, "perMinute": 6, "burst": 2}
    assert body["retryAfter"] == retry_after
    assert "6 requests a minute, 2 at once" in body["message"]


def test_pagerduty_over_the_limit_is_429_and_stores_nothing_until_retry_after(
    client: TestClient,
    tokens: dict[IntegrationKind, str],
    stored: Stored,
    clock: FakeClock,
    runtime: Runtime,
) -> None:
    key = tokens[PD]
    assert pagerduty(client, key, "one").status_code == 202
    assert pagerduty(client, key, "two").status_code == 202
    refused = pagerduty(client, key, "three")
    assert_refused(refused, 10, "test-pagerduty")
    assert [a["dedup_key"] for a in stored.alerts()] == ["one", "two"]
    assert len(stored.events()) == 2
    assert over_limit(runtime, "test-pagerduty", "refused") == 1

    clock.advance(timedelta(seconds=9))  # not yet: one more second to wait
    assert_refused(pagerduty(client, key, "three"), 1, "test-pagerduty")
    assert len(stored.events()) == 2
    clock.advance(timedelta(seconds=1))
    accepted = pagerduty(client, key, "three")
    assert accepted.status_code == 202, accepted.text
    assert [a["dedup_key"] for a in stored.alerts()] == ["one", "two", "three"]
    # The token is spent again: the next is refused for a full 10 s.
    assert_refused(pagerduty(client, key, "four"), 10, "test-pagerduty")


def test_the_refused_wait_is_honoured_exactly_after_a_burst(
    client: TestClient, tokens: dict[IntegrationKind, str], stored: Stored, clock: FakeClock
) -> None:
    """A client that waits each Retry-After it is given gets every event in, none lost."""
    key = tokens[PD]
    sent, waited = 0, 0
    while sent < 6:
        r = pagerduty(client, key, f"event-{sent}")
        if r.status_code == 429:
            seconds = int(r.headers["Retry-After"])
            waited += seconds
            clock.advance(timedelta(seconds=seconds))
            continue
        assert r.status_code == 202
        sent += 1
    assert len(stored.alerts()) == 6
    assert waited == 40  # 2 at once, then one every 10 s


def test_generic_webhook_over_the_limit_is_429_then_accepted(
    client: TestClient, tokens: dict[IntegrationKind, str], stored: Stored, clock: FakeClock
) -> None:
    token = tokens[WH]
    assert webhook(client, token, "first").status_code == 202
    assert webhook(client, token, "second").status_code == 202
    refused = webhook(client, token, "third")
    assert_refused(refused, 10, "test-webhook")
    assert len(stored.events()) == 2
    clock.advance(timedelta(seconds=int(refused.headers["Retry-After"])))
    assert webhook(client, token, "third").status_code == 202
    assert len(stored.events()) == 3


def test_opsgenie_over_the_limit_is_429(
    client: TestClient, tokens: dict[IntegrationKind, str], stored: Stored, clock: FakeClock
) -> None:
    headers = {"Authorization": f"GenieKey {tokens[OG]}"}
    for alias in ("a", "b"):
        r = client.post("/v2/alerts", json={"message": "m", "alias": alias}, headers=headers)
        assert r.status_code == 202
    r = client.post("/v2/alerts", json={"message": "m", "alias": "c"}, headers=headers)
    assert_refused(r, 10, "test-opsgenie")
    assert len(stored.events()) == 2


def test_alertmanager_api_over_the_limit_is_all_stored_and_counted(
    client: TestClient, tokens: dict[IntegrationKind, str], stored: Stored, runtime: Runtime
) -> None:
    headers = {"Authorization": f"Bearer {tokens[AM]}"}
    for i in range(10):
        alerts = [{"labels": {"alertname": "Load", "instance": f"host-{i}-{k}"}} for k in range(3)]
        r = client.post("/api/v2/alerts", json=alerts, headers=headers)
        assert r.status_code == 200, r.text
    assert len(stored.alerts()) == 30
    assert over_limit(runtime, "test-alertmanager", "accepted") == 8
    assert over_limit(runtime, "test-alertmanager", "refused") == 0


def test_alertmanager_webhook_over_the_limit_is_all_stored_and_counted(
    client: TestClient, tokens: dict[IntegrationKind, str], stored: Stored, runtime: Runtime
) -> None:
    headers = {"Authorization": f"Bearer {tokens[AMW]}"}
    for i in range(10):
        message = notification(("firing", f"a{i}"), ("firing", f"b{i}"))
        r = client.post("/integrations/alertmanager", json=message, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json() == {"status": "success", "alerts": 2}
    assert len(stored.alerts()) == 20
    assert over_limit(runtime, "test-alertmanager-webhook", "accepted") == 8


def test_limits_per_integration_are_independent(
    client: TestClient, tokens: dict[IntegrationKind, str], stored: Stored, runtime: Runtime
) -> None:
    _, other = runtime.integrations.create("pd-2", PD)
    for dedup in ("a", "b"):
        assert pagerduty(client, tokens[PD], dedup).status_code == 202
    assert pagerduty(client, tokens[PD], "c").status_code == 429
    # Another PagerDuty integration, and another kind, each have their own bucket.
    assert pagerduty(client, other, "c").status_code == 202
    assert pagerduty(client, other, "d").status_code == 202
    assert pagerduty(client, other, "e").status_code == 429
    assert webhook(client, tokens[WH], "w").status_code == 202
    # Prometheus being over its limit takes nothing from anyone else either.
    for _ in range(5):
        alerts = [{"labels": {"alertname": "Up"}}]
        client.post(
            "/api/v2/alerts", json=alerts, headers={"Authorization": f"Bearer {tokens[AM]}"}
        )
    assert webhook(client, tokens[WH], "x").status_code == 202
    assert over_limit(runtime, "test-pagerduty", "refused") == 1
    assert over_limit(runtime, "pd-2", "refused") == 1


def test_unauthenticated_requests_do_not_use_up_an_integrations_limit(
    client: TestClient, tokens: dict[IntegrationKind, str]
) -> None:
    for _ in range(5):
        assert pagerduty(client, "not-a-routing-key", "x").status_code == 401
        assert webhook(client, "not-a-token", "x").status_code == 401
    assert pagerduty(client, tokens[PD], "x").status_code == 202
    assert webhook(client, tokens[WH], "x").status_code == 202


def test_heartbeat_pings_are_limited_per_credential(
    client: TestClient, runtime: Runtime, clock: FakeClock
) -> None:
    token = runtime.heartbeats.token("backup")

    def ping(credential: str) -> Any:
        headers = {"Authorization": f"Bearer {credential}"}
        return client.post("/api/heartbeats/backup/ping", headers=headers)

    # Someone without the token is refused, then limited, and takes nothing from the job.
    assert [ping("wrong").status_code for _ in range(4)] == [403, 403, 429, 429]
    assert [ping(token).status_code for _ in range(3)] == [200, 200, 429]
    refused = ping(token)
    assert refused.headers["Retry-After"] == "10"
    assert refused.json()["limit"]["scope"] == "heartbeat"
    assert runtime.heartbeats.get("backup").status.pings == 2
    clock.advance(timedelta(seconds=10))
    assert ping(token).status_code == 200
    assert runtime.heartbeats.get("backup").status.pings == 3
    # An unknown heartbeat is 404 however often: it has no bucket.
    assert {client.post("/api/heartbeats/nope/ping").status_code for _ in range(4)} == {404}


def test_heartbeat_alertmanager_receiver_is_never_refused(
    client: TestClient, runtime: Runtime
) -> None:
    headers = {"Authorization": f"Bearer {runtime.heartbeats.token('backup')}"}
    for _ in range(5):
        message = notification(("firing", "prom"))
        r = client.post("/api/heartbeats/backup/alertmanager", json=message, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json() == {"status": "success", "ping": True}
    assert runtime.heartbeats.get("backup").status.pings == 5
    assert over_limit(runtime, "backup", "accepted", scope="heartbeat") == 3


def test_api_tokens_have_their_own_limit(
    runtime: Runtime, clock: FakeClock, client: TestClient, tokens: dict[IntegrationKind, str]
) -> None:
    limits = runtime.rate_limits
    limits.api_token(7, "deploy-bot")
    with pytest.raises(RateLimited) as refused:
        limits.api_token(7, "deploy-bot")
    assert refused.value.retry_after == 1 and refused.value.scope == "api_token"
    limits.api_token(8, "other-bot")  # another token: its own bucket
    assert pagerduty(client, tokens[PD], "a").status_code == 202  # and integrations theirs
    clock.advance(timedelta(seconds=1))
    limits.api_token(7, "deploy-bot")
    assert over_limit(runtime, "deploy-bot", "refused", scope="api_token") == 1


def test_zero_turns_a_limit_off(db_url: str, clock: FakeClock) -> None:
    settings = Settings(
        database_url=db_url,
        sqlite_synchronous="NORMAL",
        rate_limit_integration=0,
        rate_limit_integration_burst=1,  # would refuse the second request if the limit were on
    )
    runtime = Runtime.build(settings, clock=clock, run_engine=False)
    runtime.start()
    try:
        _, key = runtime.integrations.create("pd", PD)
        with TestClient(create_app(runtime, manage_runtime=False)) as client:
            codes = [pagerduty(client, key, f"e{i}").status_code for i in range(5)]
        assert codes == [202] * 5
        assert over_limit(runtime, "pd", "refused") == 0
    finally:
        runtime.stop()
