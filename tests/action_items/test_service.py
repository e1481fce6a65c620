"""Action items through the service: adding (tied to the postmortem when there is one),
changing, the timeline, listing per team."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.action_items.conftest import utc
from tocsin.domain.action_items import ItemStatus
from tocsin.errors import Conflict, InputError, NotFound


def test_adding_checks_every_field_and_names_it(actions: Any) -> None:
    a = actions()
    i = a.incident()
    with pytest.raises(InputError) as caught:
        a.service.create(
            i, title=" ", owner="zed", actor="ann", due="10/03/2026", ticket_url="ftp://x/1"
        )
    assert [(p.field, p.problem) for p in caught.value.problems] == [
        ("title", "must not be empty"),
        ("owner", "no user 'zed' in the configuration"),
        ("due", "'10/03/2026' is not a date like 2026-03-31"),
        ("ticket_url", "must be an http:// or https:// address"),
    ]
    with pytest.raises(InputError, match="due: '2026-02-30' is not a date"):
        a.service.create(i, title="x", owner="ann", actor="ann", due="2026-02-30")
    with pytest.raises(NotFound, match="no incident 99"):
        a.service.create(99, title="x", owner="ann", actor="ann")
    assert a.service.items() == []


def test_an_item_goes_on_the_timeline_with_its_due_date_in_the_owners_zone(actions: Any) -> None:
    a = actions()
    i = a.incident()
    view = a.service.create(
        i,
        title="Alert on disk growth",
        owner="ann",
        actor="bob",
        due="2026-03-10",
        ticket_url="https://tickets.example.com/OPS-7",
    )
    item = view.item
    # 10 March ends at 23:59:59.999999 in Auckland (UTC+13): 10:59:59.999999 UTC.
    assert item.due_at == utc(2026, 3, 10, 10, 59, 59, 999999)
    assert view.due_date == date(2026, 3, 10)
    assert (item.status, item.postmortem_id, item.created_by) == (ItemStatus.OPEN, None, "bob")
    assert view.teams == ("platform",) and not view.overdue
    [event] = [e for e in a.runtime.incidents.view(i).timeline if e.kind.startswith("action")]
    assert event.kind == "action-item-added" and event.actor == "bob"
    assert event.text == "bob added action item #1 for ann, due 2026-03-10: Alert on disk growth"
    assert event.data == {
        "item": 1,
        "title": "Alert on disk growth",
        "owner": "ann",
        "due": "2026-03-10",
        "status": "open",
    }


def test_an_item_of_an_incident_with_a_postmortem_belongs_to_it(actions: Any) -> None:
    a = actions()
    i = a.incident()
    pm = a.postmortem(i, published_at=None, authors=["ann"])
    view = a.service.create(i, title="Add a runbook", owner="cat", actor="ann")
    assert view.item.postmortem_id == pm
    assert view.item.due_at is None and view.due_date is None


def test_changes_status_closed_at_and_a_new_owner_keeps_the_day(actions: Any) -> None:
    a = actions()
    i = a.incident()
    made = a.service.create(
        i, title="Alert on disk growth", owner="ann", actor="ann", due="2026-03-10"
    )
    a.h.clock.advance(utc(2026, 3, 5) - a.h.clock.now())
    # bob lives in Los Angeles (UTC-7 from 8 March): 10 March ends 06:59:59.999999 UTC on the 11th.
    moved = a.service.update(made.item.id, actor="ann", owner="bob")
    assert moved.item.due_at == utc(2026, 3, 11, 6, 59, 59, 999999)
    assert moved.due_date == date(2026, 3, 10)
    assert moved.teams == ("payments", "platform")
    done = a.service.update(made.item.id, actor="bob", status="done")
    assert done.item.closed_at == utc(2026, 3, 5)
    with pytest.raises(Conflict, match="cannot become won't do: reopen it first"):
        a.service.update(made.item.id, actor="bob", status="wont_do")
    reopened = a.service.update(made.item.id, actor="bob", status="in progress")
    assert reopened.item.status is ItemStatus.IN_PROGRESS and reopened.item.closed_at is None
    cleared = a.service.update(made.item.id, actor="bob", due=None, ticket_url="http://t/1")
    assert cleared.item.due_at is None and cleared.item.ticket_url == "http://t/1"
    same = a.service.update(made.item.id, actor="bob", status="in_progress")
    assert same.item.updated_at == cleared.item.updated_at
    texts = [
        e.text for e in a.runtime.incidents.view(i).timeline if e.kind == "action-item-changed"
    ]
    assert texts == [
        "ann changed action item #1 (Alert on disk growth): owner ann -> bob",
        "bob changed action item #1 (Alert on disk growth): status open -> done",
        "bob changed action item #1 (Alert on disk growth): status done -> in progress",
        "bob changed action item #1 (Alert on disk growth): due 2026-03-10 -> none; "
        "ticket url none -> http://t/1",
    ]
    with pytest.raises(InputError, match="status: 'finished' is not a status"):
        a.service.update(made.item.id, actor="bob", status="finished")
    with pytest.raises(NotFound, match="no action item 5"):
        a.service.update(5, actor="bob", status="done")


def overdue_setup(a: Any) -> dict[str, int]:
    """Five items made on 1 March, one of them done; it is then 20 March (UTC). Only
    cat's is due after that (in 2099: the CLI runs on the real clock)."""
    platform = a.incident("Disk full", team="platform")
    payments = a.incident("Card payments slow", team="payments")
    loose = a.incident("Queue stuck")

    def add(incident: int, title: str, owner: str, due: str | None) -> int:
        return int(
            a.service.create(incident, title=title, owner=owner, actor="ann", due=due).item.id
        )

    ids = {
        "ann": add(platform, "Alert on disk growth", "ann", "2026-03-10"),
        "bob": add(payments, "Retry card captures", "bob", "2026-03-12"),
        "cat": add(payments, "Document the failover", "cat", "2099-12-31"),
        "dan": add(loose, "Add a queue depth alert", "dan", "2026-03-15"),
        "done": add(platform, "Grow the volume", "ann", "2026-03-02"),
    }
    a.service.update(ids["done"], actor="ann", status="done")
    a.h.clock.advance(utc(2026, 3, 20) - a.h.clock.now())
    return ids


def test_items_per_team_overdue_first(actions: Any) -> None:
    a = actions()
    ids = overdue_setup(a)

    def listed(**kw: Any) -> list[int]:
        return [v.item.id for v in a.service.items(**kw)]

    # bob is in both teams; cat is in none, so her item is her incident's team's.
    assert listed(team="platform", overdue=True) == [ids["ann"], ids["bob"]]
    assert listed(team="payments", overdue=True) == [ids["bob"]]
    assert listed(team="payments", statuses=["open"]) == [ids["bob"], ids["cat"]]
    assert listed(overdue=True) == [ids["ann"], ids["bob"], ids["dan"]]
    assert listed(owner="ann") == [ids["done"], ids["ann"]]
    assert listed(statuses=["done"]) == [ids["done"]]
    with pytest.raises(InputError, match="team: no team 'ops'"):
        a.service.items(team="ops")
    groups = {g.team: g for g in a.service.by_team()}
    assert list(groups) == ["payments", "platform", None]
    assert [v.item.id for v in groups["payments"].overdue] == [ids["bob"]]
    assert [v.item.id for v in groups["payments"].open] == [ids["cat"]]
    assert [v.item.id for v in groups["platform"].overdue] == [ids["ann"], ids["bob"]]
    assert [v.item.id for v in groups[None].overdue] == [ids["dan"]]
    only_overdue = a.service.by_team(overdue_only=True)
    assert [(g.team, len(g.overdue), len(g.open)) for g in only_overdue] == [
        ("payments", 1, 0),
        ("platform", 2, 0),
        (None, 1, 0),
    ]
