"""Repeat incidents from the database: categories from postmortems, fingerprints from the
incidents' alerts; on GET /api/incidents/{id}, on the incident page, and counted per period."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from tests.action_items.conftest import utc
from tests.notify.conftest import firing, refire, resolved
from tocsin.services.repeats import count_repeats_in, repeat_finder, repeats_among

DAY = timedelta(days=1)
T0 = utc(2026, 3, 1, 12)


def history(a: Any) -> dict[str, int]:
    """#1 api/deploy (day 0); #2 from an alert (day 0) and #3 when it fires again (day 10);
    #4 api/Deploy (day 30); #5 api/deploy (day 61); #6 web/deploy (day 62)."""
    ids = {"first": a.incident("Bad deploy", service="api")}
    a.postmortem(ids["first"], published_at=None, authors=["ann"], category="deploy")
    a.h.post(firing("DiskFull", service="db"))
    a.h.tick()
    [alerted] = [i.id for i in a.runtime.incidents.incidents() if i.title.startswith("DiskFull")]
    ids["alerted"] = alerted
    a.runtime.incidents.resolve(alerted, "ann")
    a.h.post(resolved(a.h, "DiskFull", service="db"))
    a.at(T0 + 10 * DAY)
    a.h.post({**refire(a.h, "DiskFull", service="db"), "endsAt": "2026-04-01T00:00:00Z"})
    a.at(T0 + 10 * DAY + timedelta(minutes=2))  # group_interval: the group flushes again
    ids["again"] = max(i.id for i in a.runtime.incidents.incidents())
    assert ids["again"] == alerted + 1
    for name, days, service, category in (
        ("thirty", 30, "api", "Deploy"),
        ("sixty_one", 61, "api", "deploy"),
        ("web", 62, "web", "deploy"),
    ):
        a.at(T0 + days * DAY)
        ids[name] = a.incident(f"Deploy {name}", service=service)
        a.postmortem(ids[name], published_at=None, authors=["ann"], category=category)
    return ids


def test_repeats_in_the_api_the_page_and_per_period(actions: Any) -> None:
    a = actions()
    ids = history(a)
    found = repeats_among(a.runtime.db, a.runtime.routing, list(ids.values()))
    assert {name: [r.earlier_id for r in found[i]] for name, i in ids.items()} == {
        "first": [],
        "alerted": [],
        "again": [ids["alerted"]],  # the same alert fired again
        "thirty": [ids["first"]],  # exactly 30 days on
        "sixty_one": [],  # 31 days after "thirty"
        "web": [],  # another service
    }
    headers = a.h.api
    body = a.h.client.get(f"/api/incidents/{ids['thirty']}", headers=headers).json()
    assert body["repeats"] == [
        {
            "incidentId": ids["first"],
            "createdAt": "2026-03-01T12:00:00Z",
            "reasons": ["same_service_and_category"],
            "category": "deploy",
            "fingerprints": [],
            "text": "same service and category: deploy",
        }
    ]
    again = a.h.client.get(f"/api/incidents/{ids['again']}", headers=headers).json()
    [link] = again["repeats"]
    assert (link["incidentId"], link["reasons"], link["text"]) == (
        ids["alerted"],
        ["shared_alert"],
        "shared alert",
    )
    assert len(link["fingerprints"]) == 1
    assert a.h.client.get(f"/api/incidents/{ids['web']}", headers=headers).json()["repeats"] == []

    a.web.sign_in("ann")
    page = a.web.client.get(f"/incidents/{ids['thirty']}").text
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))
    assert f"Repeats #{ids['first']} (same service and category: deploy)" in text
    assert f'<a href="/incidents/{ids["first"]}">' in page
    assert "Repeat incident" not in a.web.client.get(f"/incidents/{ids['web']}").text

    with a.runtime.db.read() as conn:
        window = timedelta(days=30)
        assert count_repeats_in(conn, T0, T0 + 70 * DAY, window) == 2
        # "thirty" repeats "first", which is before the period: it still counts.
        assert count_repeats_in(conn, T0 + 30 * DAY, T0 + 31 * DAY, window) == 1
        assert count_repeats_in(conn, T0 + 31 * DAY, T0 + 70 * DAY, window) == 0
    find = repeat_finder(a.runtime.db, a.runtime.current)
    assert find(T0, T0 + 70 * DAY) == {ids["again"], ids["thirty"]}
    assert find(T0 + 11 * DAY, T0 + 70 * DAY) == {ids["thirty"]}


def test_the_repeat_window_is_configurable(actions: Any) -> None:
    a = actions("reports: {repeat_window: 5d}")
    ids = history(a)
    found = repeats_among(a.runtime.db, a.runtime.routing, [ids["again"], ids["thirty"]])
    assert found == {ids["again"]: [], ids["thirty"]: []}
    assert repeat_finder(a.runtime.db, a.runtime.current)(T0, T0 + 70 * DAY) == set()
