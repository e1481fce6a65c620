"""A node that has not yet heard of a newer configuration never drops work that only the
newer one knows (a group of a new route): it leaves it for a node that runs the newer
version, or for itself once it has caught up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.receiver_server import ReceiverServer
from tocsin.api.app import create_app
from tocsin.domain.integrations import IntegrationKind
from tocsin.engine.clock import FakeClock
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings
from tocsin.store.tables import notification_groups

OLD = """\
route:
  receiver: team
  group_by: [alertname]
  group_wait: 30s
receivers:
  - name: team
    webhook_configs:
      - url: {url}/team
"""
NEW = (
    OLD.replace(
        "  group_wait: 30s\n",
        "  group_wait: 30s\n  routes:\n    - receiver: db\n      matchers: [team=db]\n",
    )
    + "  - name: db\n    webhook_configs:\n      - url: {url}/db\n"
)


def _disk_full_to(node: Runtime) -> None:
    """A DiskFull alert of team db, posted to ``node`` as Prometheus would."""
    _, token = node.integrations.create("prom", IntegrationKind.ALERTMANAGER)
    with TestClient(create_app(node, manage_runtime=False)) as client:
        answer = client.post(
            "/api/v2/alerts",
            json=[{"labels": {"alertname": "DiskFull", "team": "db"}}],
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 200


@pytest.fixture
def pair(
    db_url: str, tmp_path: Path, clock: FakeClock, receiver: ReceiverServer
) -> Iterator[tuple[Runtime, Runtime, Path]]:
    path = tmp_path / "tocsin.yaml"
    path.write_text(OLD.format(url=receiver.url))
    settings = Settings(
        database_url=db_url,
        config=str(path),
        sqlite_synchronous="NORMAL",
        cluster_poll=timedelta(minutes=5),
    )
    nodes = [Runtime.build(settings, clock=clock, run_engine=False) for _ in range(2)]
    for node in nodes:
        node.start()
    yield nodes[0], nodes[1], path
    for node in nodes:
        node.stop()


def test_a_group_of_a_route_only_the_newer_configuration_has_waits(
    pair: tuple[Runtime, Runtime, Path], clock: FakeClock, receiver: ReceiverServer
) -> None:
    a, b, path = pair
    b.cluster.feed.stop()  # b hears of nothing: it stays on version 1
    path.write_text(NEW.format(url=receiver.url))
    a.reload()
    assert (a.config_versions.version, b.config_versions.version) == (2, 1)
    _disk_full_to(a)
    clock.advance(timedelta(seconds=31))
    b.runner.run_due()  # b claims the group's flush: its route is unknown to b
    with b.db.read() as conn:
        groups = conn.execute(select(func.count()).select_from(notification_groups))
        assert groups.scalar_one() == 1, "the group was dropped"
    assert [r.path for r in receiver.requests] == []
    b.follow_config()  # b catches up (its feed would have told it)
    clock.advance(timedelta(seconds=2))
    b.runner.run_due()
    assert [r.path for r in receiver.requests] == ["/db"]
    assert receiver.requests[0].json()["alerts"][0]["labels"]["team"] == "db"


def test_alerts_grouped_under_a_configuration_no_longer_in_force_find_their_new_group(
    pair: tuple[Runtime, Runtime, Path], clock: FakeClock, receiver: ReceiverServer
) -> None:
    """b, not yet caught up, takes in an alert and groups it under a route the newer
    configuration no longer has (a route added above it renumbered it). The node that
    flushes the group finds the route gone: the alert goes to its group under the
    configuration in force, and is sent; it is never left in no group."""
    a, b, path = pair
    b.cluster.feed.stop()
    path.write_text(NEW.format(url=receiver.url))
    a.reload()
    b.follow_config()  # both on version 2, b stops listening
    renumbered = NEW.replace(
        "  routes:\n",
        "  routes:\n    - receiver: team\n      matchers: [team=web]\n",
    )
    path.write_text(renumbered.format(url=receiver.url))
    a.reload()  # version 3: the db route is now the second child
    assert b.config_versions.version == 2
    _disk_full_to(b)
    clock.advance(timedelta(seconds=31))
    a.runner.run_due()  # a flushes b's group: its route is gone; the alert is regrouped
    clock.advance(timedelta(seconds=31))
    a.runner.run_due()  # the new group's first flush
    assert [r.path for r in receiver.requests] == ["/db"]
