"""What a refused or oversized outbound request leaves on record, end to end: a delivery
to a receiver (tocsin.yaml) and a page to a personal webhook (a URL a user chose) fail with
the reason, once, without retries, and nothing reaches the refused address."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.notify.conftest import firing
from tests.receiver_server import ReceiverServer
from tests.security.outbound_server import Misbehaving
from tocsin.store import deliveries as delivery_store

HINT = "add it to TOCSIN_OUTBOUND_ALLOW to allow it"


@pytest.fixture
def server() -> Iterator[Misbehaving]:
    s = Misbehaving()
    yield s
    s.close()


def _receivers(*urls: str) -> str:
    hooks = "\n".join(f"      - url: {url}" for url in urls)
    return f"""
route:
  receiver: hooks
  group_by: [alertname]
  group_wait: 0s
  group_interval: 10m
receivers:
  - name: hooks
    webhook_configs:
{hooks}
"""


def test_a_receiver_on_the_metadata_address_is_refused_with_the_reason(
    routed: Any, receiver: ReceiverServer, server: Misbehaving
) -> None:
    redirected = f"{server.url}/redirect?to={quote('http://169.254.169.254/latest/meta-data/')}"
    h = routed(
        _receivers("http://169.254.169.254/latest/meta-data/", redirected, f"{receiver.url}/ok")
    )
    h.post(firing("Down"))
    h.tick(0)
    by_name = {d.integration: d for d in h.deliveries()}
    metadata, redirect, ok = by_name["webhook[0]"], by_name["webhook[1]"], by_name["webhook[2]"]
    reason = f"refused: 169.254.169.254 is a cloud metadata address (link-local); {HINT}"
    assert (metadata.status, metadata.attempts, metadata.last_error) == ("failed", 1, reason)
    # Redirects are followed (Alertmanager's default) and each hop is checked.
    assert (redirect.status, redirect.last_error) == ("failed", reason)
    assert [hit.path.split("?")[0] for hit in server.hits] == ["/redirect"]
    assert ok.status == "sent" and len(receiver.bodies("/ok")) == 1
    with h.runtime.db.read() as conn:
        attempts = delivery_store.attempts_of(conn, metadata.id)
    assert [(a.ok, a.error) for a in attempts] == [(False, reason)]
    h.tick(60)  # not retried: it would be refused again
    assert h.deliveries(status="pending") == []
    assert len(server.hits) == 1


def test_an_oversized_answer_fails_the_delivery(
    routed: Any, server: Misbehaving, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_OUTBOUND_MAX_RESPONSE_BYTES", "1000")
    h = routed(_receivers(f"{server.url}/big?n=5000000&sized=0"))
    h.post(firing("Down"))
    h.tick(0)
    (delivery,) = h.deliveries()
    assert delivery.status == "failed"
    assert delivery.last_error == "TooLarge: the answer is larger than 1000 bytes; not read further"


PAGING = """\
route:
  receiver: nowhere
receivers:
  - name: nowhere
users:
  - {{id: eve, webhook_url: "{url}/eve"}}
escalation_policies:
  - name: bots
    levels:
      - delay: 5m
        targets: [{{user: eve}}]
"""


@pytest.mark.parametrize("allowed", [False, True])
def test_a_personal_webhook_reaches_a_private_address_only_when_allowed(
    routed: Any, receiver: ReceiverServer, monkeypatch: pytest.MonkeyPatch, allowed: bool
) -> None:
    """Anyone may set their own webhook URL: it goes to public addresses only, unless the
    operator lists the address (the suite lists 127.0.0.1 for its receivers)."""
    if not allowed:
        monkeypatch.delenv("TOCSIN_OUTBOUND_ALLOW")
    h = routed(PAGING.format(url=receiver.url))
    h.runtime.incidents.declare(title="Disk full", severity="SEV2", actor="eve", policy="bots")
    for _ in range(3):
        h.tick()
    (page,) = [m for m in h.messages() if m.method == "webhook"]
    if allowed:
        assert page.status == "sent" and len(receiver.bodies("/eve")) == 1
        return
    assert (page.status, page.attempts) == ("failed", 1)
    assert page.last_error == f"refused: 127.0.0.1 is a loopback address; {HINT}"
    assert receiver.requests == []
