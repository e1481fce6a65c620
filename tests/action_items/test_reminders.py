"""The ``actions.remind`` timer on a fake clock: owners are emailed (through a real SMTP
server) 2 days before the due date and 1, 2 ... days after it until the item is closed; the
authors of a published postmortem are asked once, 14 days on, to review its open items."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.action_items.conftest import utc
from tocsin.notify.action_reminders import REMIND
from tocsin.store.tables import timers


def reminders(a: Any) -> list[tuple[str, str, str]]:
    return [(m.user, m.status, m.details["reminder"]) for m in a.messages("action-item-reminder")]


def test_the_reminder_timer_is_scheduled_every_15_minutes(actions: Any) -> None:
    a = actions()
    a.at(utc(2026, 3, 1, 12))
    with a.runtime.db.read() as conn:
        [due] = conn.execute(select(timers.c.due_at).where(timers.c.kind == REMIND)).scalars()
    assert due == utc(2026, 3, 1, 12, 15)


def test_owner_reminded_two_days_before_and_one_and_two_days_after(actions: Any) -> None:
    a = actions()
    a.at(utc(2026, 3, 1, 12))
    i = a.incident("Disk full on db-1")
    a.service.create(i, title="Alert on disk growth", owner="ann", actor="bob", due="2026-03-10")
    # Due at the end of 10 March in Auckland: 2026-03-10 10:59:59.999999 UTC.
    a.at(utc(2026, 3, 8, 10, 55))
    assert reminders(a) == []
    a.at(utc(2026, 3, 8, 11, 10))
    assert reminders(a) == [("ann", "sent", "before")]
    [mail] = a.mails_to("ann@example.com")
    assert mail["Subject"] == "[Tocsin] Action item #1 is due Tue 2026-03-10: Alert on disk growth"
    body = mail.get_content()
    assert (
        "Action item #1 of incident #1 (Disk full on db-1) is yours and is due by the end of "
        "Tue 2026-03-10 (in 2 days)." in body
    )
    assert "http://tocsin.test/incidents/1" in body
    assert "tocsin actions set 1 --status done" in body

    a.at(utc(2026, 3, 10, 10, 0))  # the day before the due day ends: nothing new
    a.at(utc(2026, 3, 11, 10, 50))  # 1 day after it ends is 10:59:59.999999
    assert len(reminders(a)) == 1
    a.at(utc(2026, 3, 11, 11, 5))
    a.at(utc(2026, 3, 11, 11, 20))  # once only
    a.at(utc(2026, 3, 12, 11, 5))
    assert reminders(a) == [
        ("ann", "sent", "before"),
        ("ann", "sent", "after-1"),
        ("ann", "sent", "after-2"),
    ]
    mails = a.mails_to("ann@example.com")
    assert [m["Subject"] for m in mails[1:]] == [
        "[Tocsin] Action item #1 is overdue: Alert on disk growth"
    ] * 2
    assert "was due by the end of Tue 2026-03-10 (1 day ago)" in mails[1].get_content()
    assert "was due by the end of Tue 2026-03-10 (2 days ago)" in mails[2].get_content()

    a.service.update(1, actor="ann", status="done")
    a.at(utc(2026, 3, 13, 11, 5))
    a.at(utc(2026, 3, 20, 11, 5))
    assert len(reminders(a)) == 3 and len(a.mails_to("ann@example.com")) == 3


def test_a_new_due_date_brings_its_own_reminders(actions: Any) -> None:
    a = actions()
    a.at(utc(2026, 3, 1, 12))
    i = a.incident()
    a.service.create(i, title="Retry card captures", owner="cat", actor="ann", due="2026-03-05")
    a.at(utc(2026, 3, 4, 0, 5))  # cat is in UTC: 2 days before the end of 5 March
    assert reminders(a) == [("cat", "sent", "before")]
    a.service.update(1, actor="cat", due="2026-03-09")
    a.at(utc(2026, 3, 6, 0, 20))  # would have been after-1 of the old date
    assert len(reminders(a)) == 1
    a.at(utc(2026, 3, 8, 0, 5))
    assert reminders(a) == [("cat", "sent", "before"), ("cat", "sent", "before")]
    assert "(in 2 days)" in a.mails_to("cat@example.com")[-1].get_content()


def test_follow_up_review_14_days_after_publication_once(actions: Any) -> None:
    a = actions()
    a.at(utc(2026, 3, 1, 12))
    i = a.incident("Disk full on db-1")
    a.service.create(i, title="Alert on disk growth", owner="bob", actor="ann", due="2026-03-20")
    a.service.create(i, title="Grow the volume", owner="ann", actor="ann")
    a.service.create(i, title="Write it up", owner="ann", actor="ann")
    a.service.update(3, actor="ann", status="done")
    a.postmortem(i, published_at=utc(2026, 3, 2, 9), authors=["cat", "dan"])
    a.at(utc(2026, 3, 16, 8, 55))
    assert a.messages("follow-up-review") == []
    a.at(utc(2026, 3, 16, 9, 10))
    a.at(utc(2026, 3, 17, 9, 10))
    assert [(m.user, m.status) for m in a.messages("follow-up-review")] == [
        ("cat", "sent"),
        ("dan", "sent"),
    ]
    [mail] = a.mails_to("cat@example.com")
    assert mail["Subject"] == (
        "[Tocsin] Follow-up review of incident #1: 2 action items still open"
    )
    body = mail.get_content()
    # bob's due date as bob reads it (Los Angeles), though cat reads in UTC.
    assert "  #1 Alert on disk growth (bob, open, due Fri 2026-03-20)\r\n" in body
    assert "  #2 Grow the volume (ann, open)\r\n" in body
    assert "Write it up" not in body
    assert "published on Mon 2026-03-02" in body
    assert "http://tocsin.test/incidents/1" in body


def test_follow_up_review_goes_to_the_commander_without_authors_and_not_when_all_closed(
    actions: Any,
) -> None:
    a = actions()
    a.at(utc(2026, 3, 1, 12))
    open_one = a.incident("Queue stuck")
    a.runtime.incidents.assign_role(open_one, "commander", "dan", "ann")
    a.service.create(open_one, title="Add a queue depth alert", owner="cat", actor="ann")
    a.postmortem(open_one, published_at=utc(2026, 3, 1, 12), authors=[])
    closed = a.incident("Card payments slow")
    a.service.create(closed, title="Retry captures", owner="bob", actor="ann")
    a.service.update(2, actor="bob", status="wont_do")
    a.postmortem(closed, published_at=utc(2026, 3, 1, 12), authors=["ann"])
    a.at(utc(2026, 3, 15, 12, 5))
    assert [(m.user, m.subject) for m in a.messages("follow-up-review")] == [
        ("dan", "[Tocsin] Follow-up review of incident #1: 1 action item still open")
    ]
