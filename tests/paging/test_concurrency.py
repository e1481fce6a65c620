"""An acknowledgement racing the engine on the same incident: they queue on PostgreSQL's
row locks (timers, then the incident, in the same order), never deadlock; the person who
acknowledged gets a 2xx."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from tocsin.notify.paging import ESCALATE


def test_an_ack_while_the_engine_fires_the_next_level(pager: Any, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: nothing to race")
    p = pager()
    p.alert()
    runner = p.h.runtime.runner
    escalate = runner.handlers[ESCALATE]
    deciding = threading.Event()

    def slow_escalate(*args: Any) -> Any:
        deciding.set()  # the engine holds the timer it claimed, not yet the incident
        time.sleep(1.0)
        return escalate(*args)

    runner.handlers[ESCALATE] = slow_escalate
    p.h.clock.advance(timedelta(minutes=5))
    engine = threading.Thread(target=p.h.runtime.runner.run_due)
    engine.start()
    assert deciding.wait(10)
    incident = p.service.acknowledge(1, "ann")  # waits for the engine, then acts
    engine.join(20)
    assert incident.status.value == "acknowledged"
    p.run(600)
    pushes_to_bob = p.sent().count(("push", "bob-pages"))
    assert pushes_to_bob <= 1
    assert p.only().status.value == "acknowledged"
