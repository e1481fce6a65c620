"""Stakeholder updates: a cadence per severity, reminders when one is late (in the room and
in person), updates posted to the timeline and the incident's rooms."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tocsin.domain.incident_updates import UpdateParts


def _room_texts(r: Any) -> list[str]:
    channel = next(c for c in r.slack.channels.values() if c.name.startswith("inc-"))
    return [m["text"] for m in channel.messages.values() if "blocks" not in m]


def test_a_sev1_owes_an_update_every_30_minutes(rooms: Any) -> None:
    r = rooms(cadence=True)
    incident = r.service.declare(title="Checkout down", severity="SEV1", actor="cat")
    opened = r.h.clock.now()
    assert incident.next_update_at == opened + timedelta(minutes=30)
    r.run()
    channel = r.slack.channel("inc-20260301-checkout-down")
    assert channel.topic == "SEV1 · triggered · next update 12:30 UTC"
    r.run(10 * 60)
    parts = UpdateParts(
        affected="Checkout", status="Identified", impact="Card payments fail", actions="Rollback"
    )
    updated = r.update(incident.id, "cat", parts)
    assert updated.next_update_at == r.h.clock.now() + timedelta(minutes=30)
    r.run()
    update = [e for e in r.service.view(incident.id).timeline if e.kind == "status-update"]
    assert [e.text for e in update] == [
        "Affected: Checkout\nStatus: Identified\nImpact: Card payments fail\n"
        "Actions: Rollback\nNext update: 12:40 UTC"
    ]
    assert update[0].data["impact"] == "Card payments fail"
    assert _room_texts(r)[-1].startswith("*Update from Cat Poe*\nAffected: Checkout")
    assert channel.topic == "SEV1 · triggered · next update 12:40 UTC"


def test_a_late_update_reminds_the_commander_and_comms_lead(rooms: Any) -> None:
    r = rooms(cadence=True)
    incident = r.service.declare(title="Checkout down", severity="SEV1", actor="cat")
    r.service.assign_role(incident.id, "commander", "ann", "cat")
    r.service.assign_role(incident.id, "communications", "bob", "cat")
    r.run()
    r.run(29 * 60)
    assert "update-due" not in [e.kind for e in r.service.view(incident.id).timeline]
    r.run(60)
    due = [e for e in r.service.view(incident.id).timeline if e.kind == "update-due"]
    assert len(due) == 1
    assert due[0].text == "A stakeholder update is due (since 12:30 UTC): ann, bob"
    reminded = r.slack.named("chat.postMessage")
    direct = [m for m in reminded if m["channel"] == "U0ANN" and "Update due" in m["text"]]
    assert len(direct) == 1  # ann by Slack DM; bob has no Slack id, so email
    texts = _room_texts(r)
    assert texts[-1] == ":alarm_clock: <@U0ANN> <@U0BOB> " + due[0].text
    r.run(30 * 60)
    assert [e.kind for e in r.service.view(incident.id).timeline].count("update-due") == 2
    r.update(incident.id, "bob", UpdateParts(message="Fixed the config"))
    r.run(29 * 60)
    assert [e.kind for e in r.service.view(incident.id).timeline].count("update-due") == 2


def test_resolving_ends_the_cadence(rooms: Any) -> None:
    r = rooms(cadence=True)
    incident = r.service.declare(title="Checkout down", severity="SEV1", actor="cat")
    resolved = r.service.resolve(incident.id, "cat")
    assert resolved.next_update_at is None
    r.run(3 * 3600)
    assert "update-due" not in [e.kind for e in r.service.view(incident.id).timeline]


def test_severities_without_a_cadence_owe_nothing_until_raised(rooms: Any) -> None:
    r = rooms(cadence=True)
    incident = r.service.declare(title="Slow search", severity="SEV3", actor="cat")
    assert incident.next_update_at is None
    raised = r.service.set_severity(incident.id, "SEV2", "cat")
    assert raised.next_update_at == r.h.clock.now() + timedelta(hours=1)


def test_an_update_may_set_its_own_next_time(rooms: Any) -> None:
    r = rooms(cadence=True)
    incident = r.service.declare(title="Slow search", severity="SEV3", actor="cat")
    updated = r.update(
        incident.id, "cat", UpdateParts(message="Still slow"), next_in=timedelta(minutes=15)
    )
    assert updated.next_update_at == r.h.clock.now() + timedelta(minutes=15)


def test_updates_go_to_teams_too(rooms: Any) -> None:
    r = rooms(teams=True, cadence=True)
    incident = r.service.declare(title="Checkout down", severity="SEV1", actor="cat")
    r.run()
    r.update(incident.id, "cat", UpdateParts(message="Rolling back"))
    r.run()
    bodies = r.teams.bodies("/teams")
    last = bodies[-1]["attachments"][0]["content"]["body"][0]["text"]
    assert last.startswith("**Update from Cat Poe**\n\nRolling back")


def test_the_draft_starts_from_the_incident(rooms: Any) -> None:
    r = rooms()
    r.alert()
    incident = r.service.declare(
        title="Checkout down", severity="SEV1", actor="cat", service="checkout", summary="5xx"
    )
    draft = r.service.draft_update(incident.id)
    assert (draft.affected, draft.status, draft.impact) == ("checkout", "Investigating", "5xx")
    from_alerts = [i for i in r.service.incidents() if i.id != incident.id][0]
    r.service.mitigate(from_alerts.id, "ann")
    draft = r.service.draft_update(from_alerts.id)
    assert draft.affected == "api (HighErrorRate)"
    assert draft.status == "Mitigated; monitoring"
