"""Pages that cannot be lost: a provider that fails or hangs, a restart between levels,
duplicate deliveries from Alertmanager HA pairs."""

from __future__ import annotations

from typing import Any

from tests.paging.conftest import TWILIO_SMS


def test_provider_errors_are_retried_and_the_next_method_fires_on_time(pager: Any) -> None:
    p = pager()
    p.server.answer_once("/ntfy/", (500, "boom"), (503, "busy"))
    p.alert()
    incident = p.only()
    assert ("push", "ann-pages") in p.sent()  # tried at once, answered 500
    p.run(30)
    p.run(30)
    pushes = [s for s in p.sent() if s == ("push", "ann-pages")]
    assert len(pushes) == 3  # 500, 503, then sent
    timeline = p.view(incident.id).timeline
    retries = [e for e in timeline if e.kind == "notify-retry"]
    assert len(retries) == 2 and "HTTP 500" in retries[0].text
    assert any(e.kind == "notified" and "push to ann" in e.text for e in timeline)
    p.run(60)  # 2 minutes: the SMS is on time, whatever the push went through
    sms = [r for r in p.server.requests if r.path == TWILIO_SMS]
    assert len(sms) == 1


def test_a_hanging_provider_times_out_and_is_retried(pager: Any) -> None:
    p = pager()
    p.server.delays["/ntfy/"] = 2.0  # the configured timeout is 1s
    p.alert()
    incident = p.only()
    p.server.delays.clear()
    retry = [e for e in p.view(incident.id).timeline if e.kind == "notify-retry"]
    assert retry and "Timeout" in retry[0].text
    p.run(30)
    assert any(e.kind == "notified" for e in p.view(incident.id).timeline)


def test_a_restart_between_levels_still_pages_level_two_once(pager: Any) -> None:
    p = pager()
    p.alert()
    p.run(60)
    p.h.restart()
    p.run(240)  # 5 minutes: level 2
    assert p.sent().count(("push", "bob-pages")) == 1
    p.run(60)
    p.h.restart()
    p.run(60)
    assert p.sent().count(("push", "bob-pages")) == 1
    assert p.sent().count(("push", "ann-pages")) == 1


def test_a_crashed_engine_leaves_its_claims_to_the_next_one(pager: Any) -> None:
    """An engine that claimed level 2 and died (no clean stop) holds it only for its lease;
    the next engine pages level 2 once."""
    from tocsin.store import timers as timer_store

    p = pager()
    p.alert()
    p.h.clock.advance(__import__("datetime").timedelta(minutes=5))
    runtime = p.h.runtime
    with runtime.db.write() as conn:  # a claim by an engine that then dies
        claimed = timer_store.claim_due(
            conn,
            now=p.now(),
            owner="dead-engine",
            lease_until=p.now() + runtime.runner.lease,
            limit=100,
        )
    assert any(t.kind == "incident.escalate" for t in claimed)
    p.run()
    assert p.sent().count(("push", "bob-pages")) == 0  # still leased
    p.run(61)
    assert p.sent().count(("push", "bob-pages")) == 1
    p.run(600)
    assert p.sent().count(("push", "bob-pages")) == 1


def test_duplicate_deliveries_open_one_incident(pager: Any) -> None:
    p = pager()
    p.alert()
    p.alert()  # the other Alertmanager of an HA pair sends the same
    p.run(60)
    p.alert()
    assert len(p.incidents()) == 1
    assert p.sent().count(("push", "ann-pages")) == 1
