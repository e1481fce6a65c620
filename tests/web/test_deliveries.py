"""The delivery log: notifications to receivers and messages to people, newest first, with
filters, and a page for each with what became of it."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from tests.web.accessibility import check_page


def accessible(html: str) -> None:
    assert check_page(html) == []


def rows(html: str) -> list[str]:
    """The log's rows, as text."""
    region = re.search(r'id="deliveries-log".*?</section>', html, re.S)
    assert region, html
    return [unescape(r) for r in re.findall(r"<tr>\s*<td>.*?</tr>", region.group(0), re.S)]


def chat_and_page(w) -> None:
    """A webhook notification to the chat receiver, and a page to ann (her email fails:
    no SMTP server; her webhook is answered by the receiver)."""
    w.alert("Chatty", severity="info")
    w.harness.clock.advance(timedelta(minutes=1))
    w.alert("HighErrorRate", severity="critical")
    w.harness.tick()


def test_the_log_lists_receiver_notifications_and_pages_newest_first(web, receiver):
    w = web()
    w.sign_in("ann")
    assert "Nothing has been sent yet." in w.client.get("/deliveries").text
    chat_and_page(w)
    assert {r.path for r in receiver.requests} == {"/hook", "/ann"}
    r = w.client.get("/deliveries")
    assert r.status_code == 200
    accessible(r.text)
    assert 'id="deliveries-log" data-live' in r.text
    found = rows(r.text)
    assert len(found) == 3
    # Newest first: the page (13:01 in Berlin), then the chat notification (13:00).
    assert found[0].count("13:01") == 2 and found[-1].count("13:00") == 2
    chat = found[-1]
    assert "chat <span" in chat and "(receiver)" in chat and "webhook[0]" in chat
    assert 'alertname="Chatty": 1 firing, 0 resolved (first notification)' in chat
    assert 'class="badge status-sent">Sent<' in chat and '<span class="muted">none</span>' in chat
    pages = {("webhook" if "<td>webhook</td>" in row else "email"): row for row in found[:2]}
    assert '<a href="/people/ann">ann</a>' in pages["webhook"] and "Page<br>" in pages["webhook"]
    assert "HighErrorRate (#1)" in pages["webhook"] and 'status-sent">Sent<' in pages["webhook"]
    assert 'status-failed">Failed<' in pages["email"] and "no SMTP server" in pages["email"]


def test_filters_by_status_receiver_person_and_kind(web, receiver):
    w = web()
    w.sign_in("ann")
    chat_and_page(w)
    only_chat = rows(w.client.get("/deliveries?to=receiver:chat").text)
    assert len(only_chat) == 1 and "Chatty" in only_chat[0]
    ann = rows(w.client.get("/deliveries?to=person:ann").text)
    assert len(ann) == 2 and all("HighErrorRate" in row for row in ann)
    assert rows(w.client.get("/deliveries?to=person:bob").text) == []
    failed = rows(w.client.get("/deliveries?status=failed").text)
    assert len(failed) == 1 and "no SMTP server" in failed[0]
    notifications = rows(w.client.get("/deliveries?kind=notification").text)
    assert len(notifications) == 1 and "Chatty" in notifications[0]
    pages = w.client.get("/deliveries?kind=page&status=sent")
    assert len(rows(pages.text)) == 1 and "<td>webhook</td>" in rows(pages.text)[0]
    # The form shows the filters in force, and a way out.
    assert '<option value="page" selected>' in pages.text
    assert '<option value="sent" selected>' in pages.text and "Clear filters" in pages.text
    assert "Nothing matches these filters." in w.client.get("/deliveries?kind=handoff").text
    # Nonsense in the query is "any", not an error (old bookmarks keep working).
    assert len(rows(w.client.get("/deliveries?status=bogus&kind=x&to=y&limit=3").text)) == 3


def test_a_notification_page_shows_every_attempt(web, receiver):
    receiver.answer_once("/hook", (500, "boom"))
    w = web()
    w.sign_in("ann")
    w.alert("Chatty", severity="info")
    notification = w.runtime.notifications.recent()[0]
    assert notification.status == "pending" and notification.attempts == 1
    log = rows(w.client.get("/deliveries").text)[0]
    assert 'status-pending">Pending<' in log and "next try in" in log and "500" in log
    w.harness.tick(5)  # the retry (before group_interval would supersede it)
    r = w.client.get(f"/deliveries/{notification.id}")
    assert r.status_code == 200
    accessible(r.text)
    text = unescape(r.text)
    assert "<h1>Notification 1 to chat</h1>" in text and 'status-sent">Sent<' in text
    attempts = re.findall(r"<tr>\s*<td><time.*?</tr>", text, re.S)
    assert len(attempts) == 2
    assert 'status-failed">Failed<' in attempts[0] and "<td>500</td>" in attempts[0]
    assert 'status-sent">Accepted<' in attempts[1] and "<td>200</td>" in attempts[1]
    assert '<a href="/alerts/' in text and "Chatty" in text
    assert w.client.get("/deliveries/999").status_code == 404


def test_a_message_page_shows_what_was_sent_and_hides_others_addresses(web, receiver):
    w = web()
    w.sign_in("ann")
    chat_and_page(w)
    sent = w.runtime.notifications.messages(status="sent")[0]
    r = w.client.get(f"/deliveries/messages/{sent.id}")
    assert r.status_code == 200
    accessible(r.text)
    assert "<h1>Page to ann</h1>" in r.text and f"{receiver.url}/ann" in r.text
    assert "HighErrorRate" in r.text and '<a href="/incidents/1">#1</a>' in r.text
    w.client.cookies.clear()
    w.sign_in("cat")
    other = unescape(w.client.get(f"/deliveries/messages/{sent.id}").text)
    assert f"{receiver.url}/ann" not in other and f"{receiver.url}/…" in other
    assert "(partly hidden)" in other
    assert w.client.get("/deliveries/messages/999").status_code == 404


def test_test_pages_are_in_the_log(web, receiver):
    w = web()
    w.sign_in("bob")
    w.post("/people/bob/test-page")
    found = rows(w.client.get("/deliveries?kind=test&to=person:bob").text)
    assert len(found) == 2  # email (fails) and webhook
    assert any("Test page<br>" in row and 'status-sent">Sent<' in row for row in found)
