"""What one node changes that the others keep in memory reaches them at once: a revoked
API token, a new account (PostgreSQL's NOTIFY; on SQLite, the poll)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.waiting import wait_until
from tocsin.domain.access import Principal, Role
from tocsin.engine.clock import FakeClock
from tocsin.errors import Unauthorized
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings


@pytest.fixture
def pair(db_url: str, clock: FakeClock) -> Iterator[tuple[Runtime, Runtime]]:
    # On PostgreSQL a notification must do it (the poll is 5 minutes); SQLite polls fast.
    poll = timedelta(minutes=5) if db_url.startswith("postgresql") else timedelta(seconds=0.2)
    settings = Settings(database_url=db_url, sqlite_synchronous="NORMAL", cluster_poll=poll)
    nodes = [Runtime.build(settings, clock=clock, run_engine=False) for _ in range(2)]
    for node in nodes:
        node.start()
    if db_url.startswith("postgresql"):
        assert wait_until(lambda: all(n.cluster.feed.listening for n in nodes), 10)
    yield nodes[0], nodes[1]
    for node in nodes:
        node.stop()


def _refused(runtime: Runtime, token: str) -> bool:
    try:
        runtime.api_tokens.principal(token)
    except Unauthorized:
        return True
    return False


def test_a_token_revoked_on_one_node_is_refused_by_the_other(
    pair: tuple[Runtime, Runtime],
) -> None:
    a, b = pair
    row, token = a.api_tokens.create(kind="service", name="ci", scope="read", created_by="t")
    assert b.api_tokens.principal(token).actor == "token:ci"  # b remembers it now
    a.api_tokens.revoke(row.id, Principal("admin", Role.ADMIN))
    started = time.monotonic()
    assert wait_until(lambda: _refused(b, token), 3), "b still accepts the revoked token"
    assert time.monotonic() - started < 3


def test_an_account_made_on_one_node_is_known_to_the_other(
    pair: tuple[Runtime, Runtime],
) -> None:
    a, b = pair
    assert "zoe" not in b.current.accounts
    a.accounts.create("zoe", "a-long-password-1", role=Role.RESPONDER)
    assert wait_until(lambda: "zoe" in b.current.accounts, 3)
    assert b.current.accounts["zoe"].role == Role.RESPONDER.value
