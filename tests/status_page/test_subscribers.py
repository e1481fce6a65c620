"""Subscribers end to end, against a real SMTP server and a real webhook receiver: double
opt-in, notifications on create, update and resolve, RFC 8058 unsubscribe, retries."""

from __future__ import annotations

from datetime import timedelta

from tests.status_page.conftest import Status


def _subscribe(status: Status, email: str) -> None:
    r = status.subscribe(email)
    assert r.status_code == 200 and "Check your inbox" in r.text


def _to(status: Status, address: str) -> list:
    return status.mail.sent_to(address)


def test_email_double_opt_in_notify_and_one_click_unsubscribe(status: Status):
    api = status.component("API")
    _subscribe(status, "reader@example.org")
    status.tick()
    (confirmation,) = _to(status, "reader@example.org")
    assert confirmation["Subject"] == "Confirm your subscription to Status"
    assert "List-Unsubscribe" not in confirmation
    confirm = status.link(confirmation.get_content(), "subscribe/confirm")

    # Nothing but the confirmation before the link is opened.
    made = status.publish(
        name="API errors", body="Looking into it.", components={str(api): "partial_outage"}
    )
    status.tick()
    assert len(_to(status, "reader@example.org")) == 1

    page = status.client.get(confirm)  # a link scanner's GET confirms nothing
    assert page.status_code == 200 and "Confirm subscription" in page.text
    assert status.runtime.subscriptions.subscribers()[0].confirmed_at is None
    done = status.client.post(confirm)
    assert done.status_code == 200 and "You are subscribed" in done.text

    status.clock.advance(timedelta(minutes=5))
    status.api(
        "POST",
        f"/incidents/{made['id']}/updates",
        {"status": "identified", "body": "A bad deploy."},
        expect=201,
    )
    status.tick()
    update = _to(status, "reader@example.org")[-1]
    assert update["Subject"] == "[Status] API errors: Identified"
    text = update.get_content()
    assert "A bad deploy." in text and "Affects: API" in text
    assert f"http://tocsin.test/status/incidents/{made['id']}" in text
    unsubscribe = status.link(text, "unsubscribe")
    assert update["List-Unsubscribe"] == f"<http://tocsin.test{unsubscribe}>"
    assert update["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # RFC 8058: the mail client POSTs this body to the link; no page, no confirmation.
    r = status.client.post(
        unsubscribe,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200 and "You are unsubscribed" in r.text
    assert status.runtime.subscriptions.subscribers() == []
    status.api(
        "POST",
        f"/incidents/{made['id']}/updates",
        {"status": "resolved", "body": "Fixed."},
        expect=201,
    )
    status.tick()
    assert len(_to(status, "reader@example.org")) == 2


def test_the_form_needs_its_cookie_and_links_their_signature(status: Status):
    status.client.cookies.clear()
    r = status.client.post(
        "/status/subscribe", data={"email": "x@example.org", "csrf": "forged-value-123456"}
    )
    assert r.status_code == 403
    assert status.runtime.subscriptions.subscribers() == []
    _subscribe(status, "y@example.org")
    (sub,) = status.runtime.subscriptions.subscribers()
    for key in (sub.ident, sub.id):
        r = status.client.post(f"/status/subscribe/confirm?s={key}&t=AAAAAAAAAAAAAAAAAAAAAA")
        assert r.status_code == 400
        r = status.client.post(f"/status/unsubscribe?s={key}&t=AAAAAAAAAAAAAAAAAAAAAA")
        assert r.status_code == 400
    assert status.runtime.subscriptions.subscribers()[0].confirmed_at is None


def test_a_bad_address_is_a_400_page(status: Status):
    r = status.subscribe("no-at-sign")
    assert r.status_code == 400 and "is not an email address" in r.text


def test_webhooks_get_statuspage_payloads_and_are_retried(status: Status):
    api = status.component("API")
    hook = status.receiver.url + "/sub"
    status.api("POST", "/subscribers", {"endpoint": hook}, expect=201)
    status.receiver.answer_once("/sub", (503, "busy"), (500, "oops"))
    made = status.publish(name="API errors", body="Looking.", impact="critical")
    status.tick()
    assert len(status.receiver.bodies("/sub")) == 1  # failed once, retried later
    status.tick(30)
    status.tick(60)
    status.tick(120)
    bodies = status.receiver.bodies("/sub")
    assert len(bodies) == 3 and bodies[0] == bodies[2]
    body = bodies[-1]
    assert set(body) == {"meta", "page", "incident"}
    assert set(body["meta"]) == {"unsubscribe", "documentation", "generated_at"}
    assert body["meta"]["generated_at"] == "2026-03-01T12:00:00+00:00"
    assert body["meta"]["unsubscribe"].startswith("http://tocsin.test/status/unsubscribe?s=")
    assert body["page"]["status_indicator"] == "critical"
    assert body["page"]["status_description"] == "Major System Outage"
    assert body["incident"]["id"] == str(made["id"]) and body["incident"]["name"] == "API errors"
    assert body["incident"]["incident_updates"][0]["body"] == "Looking."
    (sent,) = status.api("GET", "/notifications")
    assert sent["status"] == "sent" and sent["attempts"] == 3 and sent["mode"] == "webhook"
    assert sent["lastError"] is None

    # A component's own status change: component_update, with the fields of a real
    # Statuspage component webhook (zulip's statuspage fixture component_status_update.json).
    status.api("POST", f"/components/{api}/status", {"status": "major_outage"}, expect=200)
    status.tick()
    change = status.receiver.bodies("/sub")[-1]
    assert set(change) == {"meta", "page", "component_update", "component"}
    assert set(change["meta"]) == {"unsubscribe", "documentation", "generated_at"}
    update = change["component_update"]
    assert set(update) == {
        "created_at",
        "new_status",
        "old_status",
        "id",
        "component_id",
        "component_type",
    }
    assert (update["old_status"], update["new_status"]) == ("operational", "major_outage")
    assert update["component_id"] == str(api) and update["component_type"] == "Component"
    page_id = status.api("GET", "", expect=200)["id"]
    changed_at = status.clock.now().isoformat()
    assert update["created_at"] == changed_at == change["meta"]["generated_at"]
    assert change["component"] == {
        "created_at": "2026-03-01T12:00:00+00:00",
        "updated_at": changed_at,
        "id": str(api),
        "name": "API",
        "status": "major_outage",
        "position": 1,
        "description": None,
        "showcase": True,
        "page_id": page_id,
        "group_id": None,
    }

    # Resolving: one more POST. Then unsubscribed by its link: no more.
    status.api(
        "POST",
        f"/incidents/{made['id']}/updates",
        {"status": "resolved", "body": "Done."},
        expect=201,
    )
    status.tick()
    last = status.receiver.bodies("/sub")[-1]
    assert last["incident"]["status"] == "resolved"
    r = status.client.post(last["meta"]["unsubscribe"].removeprefix("http://tocsin.test"))
    assert r.status_code == 200
    count = len(status.receiver.bodies("/sub"))
    status.api(
        "POST",
        f"/incidents/{made['id']}/updates",
        {"status": "resolved", "body": "Really."},
        expect=201,
    )
    status.tick()
    assert len(status.receiver.bodies("/sub")) == count


def test_a_refusing_webhook_is_not_retried_and_maintenance_is_told(status: Status):
    status.component("DB")
    status.api("POST", "/subscribers", {"endpoint": status.receiver.url + "/gone"}, expect=201)
    status.api("POST", "/subscribers", {"endpoint": status.receiver.url + "/ok"}, expect=201)
    status.receiver.answer("/gone", 410, "gone")
    start = status.clock.now() + timedelta(hours=1)
    status.api(
        "POST",
        "/maintenances",
        {
            "name": "DB upgrade",
            "body": "Upgrading.",
            "scheduled_for": start.isoformat(),
            "scheduled_until": (start + timedelta(hours=1)).isoformat(),
            "component_ids": [1],
        },
        expect=201,
    )
    status.tick()
    status.tick(3600)  # started on time: subscribers hear that too
    status.tick(3600)  # and completed
    bodies = status.receiver.bodies("/ok")
    statuses = [b["incident"]["status"] for b in bodies if "incident" in b]
    assert statuses == ["scheduled", "in_progress", "completed"]
    assert bodies[0]["incident"]["scheduled_for"] == start.isoformat()
    # the component went under maintenance and back: component_update webhooks too
    moves = [
        (b["component_update"]["old_status"], b["component_update"]["new_status"])
        for b in bodies
        if "component_update" in b
    ]
    assert moves == [("operational", "under_maintenance"), ("under_maintenance", "operational")]
    gone = [n for n in status.api("GET", "/notifications") if "/gone" in n["address"]]
    assert [(n["status"], n["attempts"]) for n in gone] == [("failed", 1)] * 5
    # only the status of the receiver's answer is kept, never its body ("gone")
    assert {n["lastError"] for n in gone} == {"HTTP 410 Gone"}


def test_admin_lists_and_removes_subscribers(status: Status):
    _subscribe(status, "z@example.org")
    status.api("POST", "/subscribers", {"endpoint": "https://hooks.example.org/x"}, expect=201)
    listed = status.api("GET", "/subscribers", expect=200)
    assert [(s["mode"], s["address"], s["active"]) for s in listed] == [
        ("email", "z@example.org", False),
        ("webhook", "https://hooks.example.org/x", True),
    ]
    status.api("DELETE", f"/subscribers/{listed[0]['id']}", expect=204)
    assert len(status.api("GET", "/subscribers")) == 1
    assert (
        status.client.delete("/api/status-page/subscribers/99", headers=status.auth).status_code
        == 404
    )
