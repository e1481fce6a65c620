"""What the review of the status page found, each as it would have hurt: ids used again,
email floods, outages hidden by maintenance, webhooks into the private network, names that
break emails, unsubscribe links that do nothing, Statuspage shapes, writes on reads, and a
maintenance that never ends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select

from tests.status_page.conftest import Status
from tocsin.notify.status_subscribers import SEND
from tocsin.store import status_subscribers as subscriber_store
from tocsin.store import timers as timer_store
from tocsin.store.status_tables import status_page as page_table


def _maintenance(status: Status, ids: list[int], hours: float = 1, **more: Any) -> dict:
    start = status.clock.now() + timedelta(hours=hours)
    body = {
        "name": "DB upgrade",
        "body": "Upgrading.",
        "scheduled_for": start.isoformat(),
        "scheduled_until": (start + timedelta(hours=1)).isoformat(),
        "component_ids": ids,
        **more,
    }
    made: dict = status.api("POST", "/maintenances", body, expect=201)
    return made


def _update(status: Status, public_id: int, state: str, **more: Any) -> dict:
    body = {"status": state, "body": f"Now {state}.", **more}
    made: dict = status.api("POST", f"/incidents/{public_id}/updates", body, expect=201)
    return made


def _status_of(status: Status, component_id: int) -> str:
    found = [c for c in status.api("GET", "/components") if c["id"] == component_id]
    return str(found[0]["status"])


def _hook(status: Status, path: str = "/hook") -> None:
    status.api("POST", "/subscribers", {"endpoint": status.receiver.url + path}, expect=201)


# --- 1. ids are never used again --------------------------------------------------------


def test_a_deleted_components_id_is_not_given_to_the_next(status: Status):
    first = status.component("Old")
    status.api("DELETE", f"/components/{first}", expect=204)
    assert status.component("New") != first


def test_a_new_update_is_told_after_an_incident_was_deleted(status: Status):
    """Before: the new incident's update got the deleted update's id, its outbox key was
    taken, and subscribers never heard of it."""
    _hook(status)
    old = status.publish(name="Old", body="Old words.")
    status.tick()
    status.api("DELETE", f"/incidents/{old['id']}", expect=204)
    new = status.publish(name="New", body="New words.")
    status.tick()
    names = [b["incident"]["name"] for b in status.receiver.bodies("/hook")]
    assert names == ["Old", "New"]
    assert new["updates"][0]["id"] != old["updates"][0]["id"]


def test_a_deleted_components_links_do_not_pass_to_a_new_one(status: Status):
    old = status.component("Old")
    made = status.publish(name="Errors", body="Looking.", components={str(old): "major_outage"})
    m = _maintenance(status, [old])
    status.api("DELETE", f"/components/{old}", expect=204)
    new = status.component("New")
    assert status.api("GET", f"/incidents/{made['id']}")["componentIds"] == []
    assert status.api("GET", f"/incidents/{m['id']}")["componentIds"] == []
    status.tick(2 * 3600)  # the maintenance starts: nothing of it reaches the new component
    assert _status_of(status, new) == "operational"


def test_deleting_a_maintenance_cancels_its_timer_and_what_was_to_be_sent(status: Status):
    db = status.component("DB")
    _hook(status)
    m = _maintenance(status, [db])
    status.api("DELETE", f"/incidents/{m['id']}", expect=204)
    status.tick()
    assert status.receiver.bodies("/hook") == []
    (cancelled,) = status.api("GET", "/notifications")
    assert cancelled["status"] == "cancelled"
    assert "deleted" in cancelled["lastError"]
    with status.runtime.db.read() as conn:
        assert timer_store.next_due_at(conn) is not None  # other timers go on ...
    status.tick(3 * 3600)  # ... but the maintenance never starts
    assert _status_of(status, db) == "operational"
    assert status.receiver.bodies("/hook") == []


def test_deleting_an_incident_lets_go_of_its_components(status: Status):
    api = status.component("API")
    made = status.publish(name="Errors", body="Looking.", components={str(api): "major_outage"})
    status.api("DELETE", f"/incidents/{made['id']}", expect=204)
    assert _status_of(status, api) == "operational"


# --- 2. the subscribe form cannot flood an inbox -----------------------------------------


def _to(status: Status, address: str) -> list:
    return status.mail.sent_to(address)


def test_one_confirmation_email_every_six_hours_however_often_asked(status: Status):
    for address in ("victim@example.org", "Victim@Example.ORG", "victim@EXAMPLE.org"):
        r = status.subscribe(address)
        assert r.status_code == 200 and "at most one confirmation email every 6 hours" in r.text
    status.tick()
    assert len(_to(status, "victim@example.org")) == 1
    (only,) = status.runtime.subscriptions.subscribers()
    assert only.address == "victim@example.org"
    status.clock.advance(timedelta(hours=5, minutes=59))
    status.subscribe("victim@example.org")
    status.tick()
    assert len(_to(status, "victim@example.org")) == 1
    status.clock.advance(timedelta(minutes=1))
    status.subscribe("victim@example.org")
    status.tick()
    assert len(_to(status, "victim@example.org")) == 2


def test_the_answer_is_the_same_for_new_waiting_and_confirmed_addresses(status: Status):
    first = status.subscribe("a@example.org").text
    again = status.subscribe("a@example.org").text
    assert first == again


def test_one_client_may_send_the_form_ten_times_an_hour(status: Status):
    for n in range(10):
        assert status.subscribe(f"r{n}@example.org").status_code == 200
    r = status.subscribe("r10@example.org")
    assert r.status_code == 429 and "try again in an hour" in r.text
    assert len(status.runtime.subscriptions.subscribers()) == 10
    status.clock.advance(timedelta(hours=1))
    assert status.subscribe("r10@example.org").status_code == 200


def test_addresses_never_confirmed_are_forgotten_after_seven_days(status: Status):
    status.subscribe("never@example.org")
    status.subscribe("reader@example.org")
    status.tick()
    (mail,) = _to(status, "reader@example.org")
    assert status.client.post(status.link(mail.get_content(), "subscribe/confirm")).is_success
    status.tick(6 * 86400)
    assert len(status.runtime.subscriptions.subscribers()) == 2
    status.tick(86400 + 60)
    assert [s.address for s in status.runtime.subscriptions.subscribers()] == ["reader@example.org"]


# --- 3. a component shows the worst status still held ------------------------------------


def test_maintenance_does_not_hide_an_outage_nor_end_it(status: Status):
    api = status.component("API")
    made = status.publish(name="Errors", body="Down.", components={str(api): "major_outage"})
    _maintenance(status, [api])
    status.tick(3600)  # the maintenance starts
    assert _status_of(status, api) == "major_outage"
    status.tick(3600)  # and completes
    assert _status_of(status, api) == "major_outage"
    _update(status, made["id"], "resolved")
    assert _status_of(status, api) == "operational"


def test_an_incident_resolving_during_maintenance_leaves_it_under_maintenance(status: Status):
    api = status.component("API")
    _maintenance(status, [api])
    made = status.publish(name="Errors", body="Down.", components={str(api): "partial_outage"})
    status.tick(3600)  # the maintenance starts: the outage is worse
    assert _status_of(status, api) == "partial_outage"
    _update(status, made["id"], "resolved")
    assert _status_of(status, api) == "under_maintenance"
    status.tick(3600)
    assert _status_of(status, api) == "operational"


def test_two_incidents_on_one_component(status: Status):
    api = status.component("API")
    one = status.publish(name="One", body="x", components={str(api): "major_outage"})
    two = status.publish(name="Two", body="y", components={str(api): "partial_outage"})
    assert _status_of(status, api) == "major_outage"  # the worst held
    _update(status, one["id"], "resolved")
    assert _status_of(status, api) == "partial_outage"  # two still holds it
    _update(status, two["id"], "resolved")
    assert _status_of(status, api) == "operational"

    one = status.publish(name="One", body="x", components={str(api): "major_outage"})
    two = status.publish(name="Two", body="y", components={str(api): "partial_outage"})
    _update(status, two["id"], "resolved")
    assert _status_of(status, api) == "major_outage"  # one still holds it
    _update(status, one["id"], "monitoring", components={str(api): "degraded_performance"})
    assert _status_of(status, api) == "degraded_performance"
    _update(status, one["id"], "resolved")
    assert _status_of(status, api) == "operational"


def test_resolving_leaves_a_status_someone_set_since(status: Status):
    api = status.component("API")
    made = status.publish(name="Errors", body="x", components={str(api): "major_outage"})
    status.api("POST", f"/components/{api}/status", {"status": "degraded_performance"})
    _update(status, made["id"], "resolved")
    assert _status_of(status, api) == "degraded_performance"


# --- 4. webhooks go to public addresses only ---------------------------------------------


def test_a_webhook_to_a_private_address_is_refused_when_added(strict: Status):
    for url in (
        strict.receiver.url + "/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.8/hook",
        "http://[::1]:8080/hook",
        "http://0.0.0.0/",
    ):
        r = strict.client.post(
            "/api/status-page/subscribers", json={"endpoint": url}, headers=strict.auth
        )
        assert r.status_code == 400, (url, r.text)
        (error,) = r.json()["errors"]
        assert (
            error["field"] == "endpoint"
            and "TOCSIN_STATUS_WEBHOOKS_ALLOW_PRIVATE" in (error["problem"])
        )
    assert strict.runtime.subscriptions.subscribers() == []


def test_a_name_that_resolves_to_a_private_address_at_send_time_is_refused(strict: Status):
    """DNS rebinding: public when added, loopback when sent; refused, nothing reaches it."""
    port = strict.receiver.url.rsplit(":", 1)[1]
    answers = {"now": "93.184.216.34"}

    def resolve(host: str, port: int) -> list[str]:
        assert host == "hooks.example.test"
        return [answers["now"]]

    strict.runtime.subscriptions.guard.resolve = resolve
    strict.runtime.status_sends.guard.resolve = resolve
    hook = f"http://hooks.example.test:{port}/hook"
    strict.api("POST", "/subscribers", {"endpoint": hook}, expect=201)
    answers["now"] = "127.0.0.1"
    strict.publish(name="Errors", body="x")
    strict.tick()
    assert strict.receiver.received == []
    (failed,) = strict.api("GET", "/notifications")
    assert failed["status"] == "failed" and failed["attempts"] == 1
    assert "refused: 127.0.0.1 is a loopback address" in failed["lastError"]


def test_the_send_goes_to_the_address_that_was_checked(status: Status):
    """The guard resolves the name and the connection goes to the address it checked, under
    the name (the Host header); a name with any refused address is refused."""
    port = status.receiver.url.rsplit(":", 1)[1]
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    guard = status.runtime.status_sends.guard
    guard.resolve = resolve
    hook = f"http://hooks.example.test:{port}/hook"
    status.api("POST", "/subscribers", {"endpoint": hook}, expect=201)
    status.publish(name="Errors", body="x")
    status.tick()
    (sent,) = [r for r in status.receiver.requests if r.path == "/hook"]
    assert sent.headers["host"] == f"hooks.example.test:{port}"
    assert asked and set(asked) == {"hooks.example.test"}
    guard.resolve = lambda host, port: ["93.184.216.34", "169.254.169.254"]
    assert "cloud metadata" in (guard.problem("https://hooks.example.test/x") or "")


def test_allowing_private_addresses_lets_a_loopback_webhook_through(status: Status):
    _hook(status)
    status.publish(name="Errors", body="x")
    status.tick()
    assert len(status.receiver.bodies("/hook")) == 1


# --- 5. names with control characters ----------------------------------------------------


def test_control_characters_in_names_are_a_400_naming_the_field(status: Status):
    for path, body in [
        ("/components", {"name": "API\nBcc: all@example.com"}),
        ("/groups", {"name": "Co\rre"}),
        ("/incidents", {"name": "Errors\x00", "body": "x"}),
    ]:
        r = status.client.post(f"/api/status-page{path}", json=body, headers=status.auth)
        assert r.status_code == 400, r.text
        (error,) = r.json()["errors"]
        if "\x00" in body["name"]:
            # A NUL is refused for every field of every request before the endpoint runs.
            assert error["field"] == "body.name" and "NUL" in error["problem"], error
        else:
            assert error["field"] == "name" and "control characters" in error["problem"]
    api = status.component("API")
    r = status.client.patch(
        f"/api/status-page/components/{api}", json={"name": "A\nB"}, headers=status.auth
    )
    assert r.status_code == 400
    assert status.api("GET", "/incidents") == []


def test_an_email_that_cannot_be_composed_fails_at_once_with_the_reason(status: Status):
    """A notification written before names were checked: no ten retries, the reason kept."""
    now = status.clock.now()
    with status.runtime.db.write() as conn:
        made = subscriber_store.create_notification(
            conn,
            dedup="old-row",
            subscriber_id=None,
            kind="incident",
            mode="email",
            address="reader@example.org",
            subject="[Status] API\nBcc: all@example.com",
            body="x",
            unsubscribe_url=None,
            now=now,
        )
        assert made is not None
        timer_store.schedule(conn, SEND, str(made), now)
    status.tick()
    (n,) = status.api("GET", "/notifications")
    assert (n["status"], n["attempts"]) == ("failed", 1)
    assert n["lastError"].startswith("cannot compose the email: ValueError")
    assert status.mail.received == []


# --- 6. an old unsubscribe link still unsubscribes the address ----------------------------


def test_an_old_unsubscribe_link_works_after_subscribing_again(status: Status):
    def subscribed(address: str) -> str:
        status.subscribe(address)
        status.tick()
        address = address.lower()  # as it is kept, and mailed to
        mail = _to(status, address)[-1]
        assert status.client.post(status.link(mail.get_content(), "subscribe/confirm")).is_success
        status.publish(name=f"Incident at {status.clock.now():%H:%M}", body="x")
        status.tick()
        return status.link(_to(status, address)[-1].get_content(), "unsubscribe")

    old = subscribed("reader@example.org")
    assert "You are unsubscribed" in status.client.post(old).text
    assert status.runtime.subscriptions.subscribers() == []
    status.clock.advance(timedelta(hours=7))
    subscribed("Reader@example.org")
    assert len(status.runtime.subscriptions.subscribers()) == 1
    r = status.client.post(old)
    assert r.status_code == 200 and "You are unsubscribed" in r.text
    assert status.runtime.subscriptions.subscribers() == []


# --- 7. Statuspage's shapes --------------------------------------------------------------


def test_incident_component_changes_are_component_update_webhooks(status: Status):
    api = status.component("API")
    _hook(status)
    made = status.publish(name="Errors", body="x", components={str(api): "partial_outage"})
    _update(status, made["id"], "resolved")
    status.tick()
    bodies = status.receiver.bodies("/hook")
    updates = [b["component_update"] for b in bodies if "component_update" in b]
    # Each send is its own job: they may arrive in either order (the payload says when).
    assert sorted((u["old_status"], u["new_status"]) for u in updates) == [
        ("operational", "partial_outage"),
        ("partial_outage", "operational"),
    ]
    assert len({u["id"] for u in updates}) == 2
    assert all(b["meta"]["generated_at"] for b in bodies)
    assert len([b for b in bodies if "incident" in b]) == 2


def test_upcoming_maintenances_are_listed_soonest_first(status: Status):
    sooner = _maintenance(status, [], hours=24)
    status.clock.advance(timedelta(minutes=1))
    later = _maintenance(status, [], hours=72)  # announced last, starts last
    listed = status.public("/status/api/v2/scheduled-maintenances/upcoming.json").json()
    assert [m["id"] for m in listed["scheduled_maintenances"]] == [
        str(sooner["id"]),
        str(later["id"]),
    ]


# --- 8. reads never write; /status sets no cookie ----------------------------------------


def test_public_reads_write_nothing_and_the_first_change_makes_the_page(status: Status):
    with status.runtime.db.write() as conn:
        conn.execute(delete(page_table))
    for path in ("/status", "/status/api/v2/summary.json", "/status/history.atom"):
        assert status.public(path).status_code == 200
    with status.runtime.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(page_table)).scalar_one() == 0
    summary = status.public("/status/api/v2/summary.json").json()
    assert summary["page"]["name"] == "Status"
    status.component("API")
    with status.runtime.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(page_table)).scalar_one() == 1


def test_the_status_page_sets_no_cookie_the_form_does(status: Status):
    page = status.public("/status")
    assert "set-cookie" not in page.headers
    assert 'href="/status/subscribe"' in page.text
    form = status.public("/status/subscribe")
    assert "tocsin_status_form=" in form.headers["set-cookie"]


def test_adding_a_subscriber_twice_makes_one(status: Status):
    now = status.clock.now()
    with status.runtime.db.write() as conn:
        first, made = subscriber_store.add(conn, "email", "X@Example.org", now)
        again, made_again = subscriber_store.add(conn, "email", "x@example.ORG", now)
        assert made and not made_again and first == again
        n = dict(
            dedup="k",
            subscriber_id=first.id,
            kind="incident",
            mode="email",
            address="x@example.org",
            subject="s",
            body="b",
            unsubscribe_url=None,
            now=now,
        )
        assert subscriber_store.create_notification(conn, **n) is not None
        assert subscriber_store.create_notification(conn, **n) is None


# --- 9. auto_complete without auto_start -------------------------------------------------


def test_auto_complete_alone_completes_a_maintenance_nobody_started(status: Status):
    db = status.component("DB")
    _hook(status)
    m = _maintenance(status, [db], auto_start=False, auto_complete=True)
    status.tick(3600)  # scheduled_for: not started (auto_start is off)
    assert status.api("GET", f"/incidents/{m['id']}")["status"] == "scheduled"
    status.tick(3600)  # scheduled_until: completed all the same
    done = status.api("GET", f"/incidents/{m['id']}")
    assert done["status"] == "completed" and done["resolvedAt"] is not None
    assert _status_of(status, db) == "operational"
    told = [b["incident"]["status"] for b in status.receiver.bodies("/hook") if "incident" in b]
    assert told == ["scheduled", "completed"]
