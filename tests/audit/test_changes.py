"""Every other change of configuration and state is in the audit log too, one entry each,
with who, before and after, and never a secret: silences, overrides and swaps, integrations
and heartbeat tokens, runbooks, accounts, the status page, action items, postmortems and
remediation runs, tabletop sessions, release gate exceptions, API tokens."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from tests.audit.conftest import PASSWORD, Web, entries, only
from tests.drills.conftest import EXAMPLES
from tocsin import origin
from tocsin.domain.integrations import IntegrationKind
from tocsin.domain.matchers import Matcher
from tocsin.domain.postmortems import Edit
from tocsin.services.runbooks import Fields

CLI = origin.Origin("cli", "ops@box", "cli:ops")


def _no_secret(w: Web, *secrets: str) -> None:
    everything = json.dumps([(e.before, e.after) for e in entries(w.runtime)])
    for secret in secrets:
        assert secret not in everything


def test_silences_created_updated_replaced_and_expired(web: Any) -> None:
    w: Web = web()
    now = w.runtime.clock.now()
    matchers = (Matcher.of("service", "=", "checkout"),)
    with origin.acting(CLI):
        sid = w.runtime.silences.save(matchers, now, now + timedelta(hours=2), "ann", "deploy")
    created = only(w.runtime, "silence.created")
    assert (created.actor, created.via, created.address) == ("cli:ops", "cli", "ops@box")
    assert created.object_id == sid and created.before is None
    assert created.after is not None and created.after["comment"] == "deploy"
    assert created.after["matchers"] == [{"name": "service", "op": "=", "value": "checkout"}]

    # Without an origin's actor the name it was made under stands in.
    w.runtime.silences.save(matchers, now, now + timedelta(hours=3), "bob", "longer", sid)
    updated = only(w.runtime, "silence.updated")
    assert updated.actor == "bob"  # no principal: the name it was saved under
    assert updated.before is not None and updated.after is not None
    assert set(updated.after) == {"ends_at", "comment", "created_by"}
    assert updated.after["comment"] == "longer" and updated.before["comment"] == "deploy"

    other = (Matcher.of("service", "=", "search"),)
    with origin.acting(origin.Origin("api", "10.0.0.1")):
        new = w.runtime.silences.save(other, now, now + timedelta(hours=1), "cat", "moved", sid)
    replaced = entries(w.runtime, "silence.updated")[-1]
    assert replaced.object_id == new != sid
    assert replaced.actor == "cat"  # no principal known: the silence's createdBy
    assert replaced.after is not None and replaced.after["replaces"] == sid

    with origin.acting(CLI):
        w.runtime.silences.expire(new)
    expired = only(w.runtime, "silence.expired")
    assert expired.object_id == new and expired.actor == "cli:ops"
    assert expired.after is not None and "ends_at" in expired.after
    assert len(entries(w.runtime, "silence")) == 4


def test_overrides_and_swaps(web: Any) -> None:
    w: Web = web()
    now = w.runtime.clock.now()
    start, end = now + timedelta(hours=1), now + timedelta(hours=5)
    override = w.runtime.schedules.add_override("primary", "cat", start, end, "ann", "cover")
    made = only(w.runtime, "override.created")
    assert made.actor == "ann"  # no principal: the name it was made under
    assert made.after is not None and made.after["user"] == "cat"
    with origin.acting(CLI):
        w.runtime.schedules.remove_override(override.id)
    removed = only(w.runtime, "override.removed")
    assert removed.actor == "cli:ops" and removed.object_id == str(override.id)
    assert removed.before is not None and removed.before["user"] == "cat"

    # ann is on call Monday 2026-03-02 09:00 Berlin onwards (weekly layer, ann then bob).
    shift = w.runtime.schedules.shifts("primary", now, now + timedelta(days=7))
    mine = next(
        s for s in shift if s.user in ("ann", "bob") and s.end - s.start >= timedelta(hours=2)
    )
    swap = w.runtime.schedules.offer_swap(
        "primary", mine.user, mine.start, mine.start + timedelta(hours=1)
    )
    assert only(w.runtime, "swap.offered").object_id == swap.id
    taker = "cat"
    w.runtime.schedules.take_swap(swap.id, taker)
    taken = only(w.runtime, "swap.taken")
    assert taken.after is not None and taken.after["taken_by"] == taker
    assert taken.before is not None and taken.before["status"] == "open"


def test_integration_and_heartbeat_tokens_are_never_recorded(web: Any) -> None:
    heartbeat = "heartbeats:\n  - {name: backup, interval: 1h, grace: 10m}\n"
    w: Web = web(extra=heartbeat)
    with origin.acting(CLI):
        integration, token = w.runtime.integrations.create("grafana", IntegrationKind.WEBHOOK)
        _, rotated = w.runtime.integrations.rotate_token("grafana")
        beat = w.runtime.heartbeats.token("backup", rotate=True)
    created = only(w.runtime, "integration.created", object_id=str(integration.id))
    assert created.after is not None
    assert created.after["name"] == "grafana" and created.after["token"] == "changed"
    assert "token_hash" not in created.after
    rotation = only(w.runtime, "integration.token_rotated")
    assert rotation.after == {"name": "grafana", "token": "changed"}
    beat_entry = only(w.runtime, "heartbeat.token_rotated")
    assert beat_entry.object_id == "backup" and beat_entry.after == {"token": "changed"}
    calendar = w.runtime.schedules.new_calendar_token("bob")
    assert only(w.runtime, "calendar_token.rotated").after == {"calendar_token": "changed"}
    _no_secret(w, token, rotated, beat, calendar)


def test_runbooks_written_edited_and_reviewed(web: Any) -> None:
    w: Web = web()
    w.runtime.runbooks.create("disk-full", Fields("Disk full", "Free some space."), "ann")
    made = only(w.runtime, "runbook.created")
    assert made.actor == "ann" and made.object_id == "disk-full"
    assert made.after is not None and made.after["body"] == "Free some space."
    w.runtime.runbooks.update("disk-full", 1, Fields("Disk full", "Delete old logs."), "bob")
    edited = only(w.runtime, "runbook.edited")
    assert edited.actor == "bob"
    assert edited.before is not None and edited.after is not None
    assert (edited.before["body"], edited.after["body"]) == ("Free some space.", "Delete old logs.")
    w.runtime.runbooks.review("disk-full", "cat")
    reviewed = only(w.runtime, "runbook.reviewed")
    assert reviewed.actor == "cat"
    assert reviewed.after == {"last_reviewed": w.runtime.clock.now().date().isoformat()}


def test_accounts_without_passwords_in_the_log(web: Any) -> None:
    w: Web = web()
    with origin.acting(CLI):
        w.runtime.accounts.create("dee", PASSWORD, name="Dee")
        w.runtime.accounts.set_password("dee", "another long password")
    created = only(w.runtime, "account.created")
    assert created.actor == "cli:ops" and created.object_id == "dee"
    assert created.after is not None
    assert created.after["name"] == "Dee" and created.after["password_hash"] == "changed"
    changed = only(w.runtime, "account.password_changed")
    assert changed.after == {"password": "changed", "sessions": "ended"}

    w.runtime.accounts.save_profile("bob", {"time_zone": "Europe/Paris"})
    profile = only(w.runtime, "account.profile_changed")
    assert profile.object_id == "bob"
    assert profile.after is not None and profile.after["profile"] == {"time_zone": "Europe/Paris"}
    w.runtime.accounts.clear_profile("bob")
    reset = only(w.runtime, "account.profile_reset")
    assert reset.before is not None and reset.before["profile"] == {"time_zone": "Europe/Paris"}
    assert reset.after == {"profile": None}

    w.client.cookies.clear()
    for _ in range(6):  # wrong passwords lock the account
        w.sign_in("dee", "not the password at all")
    assert w.runtime.accounts.unlock("dee")
    unlocked = only(w.runtime, "account.unlocked")
    assert unlocked.object_id == "dee"
    assert not w.runtime.accounts.unlock("dee")  # nothing to unlock: no entry
    assert len(entries(w.runtime, "account.unlocked")) == 1
    _no_secret(w, PASSWORD, "another long password", "not the password at all")


def test_status_page_components_posts_and_maintenance(web: Any) -> None:
    w: Web = web()
    sp = w.runtime.status_page
    group = sp.create_group("Core")
    api = sp.create_component("API", group_id=group.id)
    assert only(w.runtime, "status_group.created").after is not None
    assert only(w.runtime, "status_component.created").object_id == str(api.id)
    sp.set_component_status(api.id, "degraded_performance")
    status = only(w.runtime, "status_component.changed")
    assert status.before is not None and status.before["status"] == "operational"
    assert status.after is not None and status.after["status"] == "degraded_performance"

    public = sp.publish(None, "Slow API", "investigating", "Looking", None, {}, "ann")
    published = only(w.runtime, "status_incident.published")
    assert published.actor == "ann" and published.object_id == str(public.id)
    assert published.after is not None and published.after["body"] == "Looking"
    sp.post_update(public.id, "resolved", "Fixed", {api.id: "operational"}, "bob")
    update = only(w.runtime, "status_incident.updated")
    assert update.actor == "bob" and update.before == {"status": "investigating"}
    assert update.after is not None and update.after["components"] == {str(api.id): "operational"}

    now = w.runtime.clock.now()
    m = sp.schedule_maintenance(
        "DB upgrade", "Brief", now + timedelta(hours=1), now + timedelta(hours=2), [api.id], "ann"
    )
    assert only(w.runtime, "maintenance.published").object_id == str(m.id)
    sp.update_maintenance(m.id, scheduled_until=now + timedelta(hours=3))
    moved = only(w.runtime, "maintenance.rescheduled")
    assert moved.after is not None and set(moved.after) == {"scheduled_until"}
    w.harness.tick(61 * 60)  # the engine starts it
    started = entries(w.runtime, "maintenance.updated")[-1]
    assert (started.actor, started.via) == ("tocsin", "engine")
    assert started.after is not None and started.after["status"] == "in_progress"
    sp.delete_component(api.id)
    assert only(w.runtime, "status_component.deleted").before is not None


def test_action_items_and_postmortems(web: Any) -> None:
    w: Web = web()
    incident = w.runtime.incidents.declare(title="Outage", severity="SEV2", actor="ann")
    w.runtime.incidents.resolve(incident.id, "ann")
    view = w.runtime.action_items.create(
        incident.id, title="Add an alert", owner="bob", actor="ann"
    )
    item = only(w.runtime, "action_item.created")
    assert item.actor == "ann"
    assert item.after is not None and item.after["owner"] == "bob"
    w.runtime.action_items.update(view.item.id, actor="bob", status="in_progress")
    changed = only(w.runtime, "action_item.changed")
    assert (changed.before, changed.after) == ({"status": "open"}, {"status": "in_progress"})

    w.runtime.postmortems.create(incident.id, "ann")
    drafted = only(w.runtime, "postmortem.drafted")
    assert drafted.object_id == str(incident.id) and drafted.actor == "ann"
    pm = w.runtime.postmortems.get(incident.id)
    w.runtime.postmortems.edit(
        incident.id, "bob", pm.version, Edit(title="What broke", reviewers=["cat"])
    )
    edited = only(w.runtime, "postmortem.edited")
    assert edited.actor == "bob"
    assert edited.after is not None and edited.after["title"] == "What broke"
    w.runtime.postmortems.submit(incident.id, "ann")
    submitted = only(w.runtime, "postmortem.submitted")
    assert submitted.after is not None and "state" in submitted.after


def test_remediation_runs(web: Any) -> None:
    actions = (
        "remediation:\n  actions:\n"
        '    - {name: echo, command: ["/bin/echo", "flushed"], timeout: 2s}\n'
    )
    w: Web = web(extra=actions)
    incident = w.runtime.incidents.declare(title="Cache full", severity="SEV2", actor="ann")
    run = w.runtime.remediation.request(incident.id, "echo", "bob", dry_run=False)
    asked = only(w.runtime, "remediation", object_id=str(run.id))
    assert asked.actor == "bob" and asked.object_kind == "remediation_run"
    assert asked.after is not None and asked.after["action"] == "echo"
    assert asked.after["incident_id"] == incident.id


def test_tabletop_sessions(web: Any) -> None:
    w: Web = web(extra=f"drills: {{scenarios: {EXAMPLES}}}\n")
    tabletop = w.runtime.tabletop
    session = tabletop.start("api-high-latency", "ann", ["bob"])
    started = only(w.runtime, "tabletop.started")
    assert started.actor == "ann" and started.object_id == str(session.id)
    tabletop.go_to(session.id, 1)
    step = only(w.runtime, "tabletop.step_changed")
    assert (step.before, step.after) == ({"step": 0}, {"step": 1})
    tabletop.answer(session.id, 1, 0, "Page the database team", "bob")
    answered = only(w.runtime, "tabletop.answered")
    assert answered.actor == "bob"
    assert answered.after is not None and answered.after["text"] == "Page the database team"
    with origin.acting(CLI):
        tabletop.finish(session.id, "Went well")
    finished = only(w.runtime, "tabletop.finished")
    assert finished.actor == "cli:ops"
    assert finished.after is not None
    assert finished.after["state"] == "finished" and finished.after["notes"] == "Went well"


def test_release_gate_exceptions(web: Any) -> None:
    slo = (
        "slos:\n  - {service: checkout, name: orders, objective: 99, window: 30d, "
        "sli: {builtin: {}}}\n"
    )
    w: Web = web(extra=slo)
    granted = w.runtime.gate.grant("checkout", "hotfix", timedelta(hours=1), "bob")
    entry = only(w.runtime, "slo_gate.exception_granted")
    assert entry.actor == "bob" and entry.object_id == str(granted.id)
    assert entry.after is not None and entry.after["reason"] == "hotfix"
    w.runtime.gate.revoke(granted.id, "ann")
    revoked = only(w.runtime, "slo_gate.exception_revoked")
    assert revoked.actor == "ann"
    assert revoked.before is not None and revoked.before["revoked_by"] is None
    assert revoked.after is not None and revoked.after["revoked_by"] == "ann"


def test_api_tokens_made_and_revoked(web: Any) -> None:
    w: Web = web()
    made = only(w.runtime, "api_token.created")  # the harness's own
    assert made.actor == "tests"
    assert made.after is not None and made.after["name"] == "tests"
    response = w.client.post(f"/api/tokens/{made.object_id}/revoke", headers=w.harness.api)
    assert response.status_code == 200, response.text
    revoked = only(w.runtime, "api_token.revoked")
    assert (revoked.actor, revoked.via) == ("token:tests", "api token:tests")
    _no_secret(w, w.harness.api_token)
