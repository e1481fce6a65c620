"""Incident channels when Slack misbehaves or people are hard to reach: a step failing
after the channel was made, invites that fail for one person, a sync out of time, a channel
archived under it, text that tries to ping or forge links."""

from __future__ import annotations

from typing import Any

import pytest

from tests.rooms.test_chatops import command, event
from tocsin.domain.incident_updates import UpdateParts
from tocsin.notify import incident_rooms


def slack_channels(r: Any) -> list[Any]:
    return [c for c in r.slack.channels.values() if c.name.startswith("inc-")]


def test_a_failure_right_after_making_the_channel_does_not_make_a_second(rooms: Any) -> None:
    r = rooms()
    r.slack.fail_next("conversations.setPurpose", "ratelimited")
    incident = r.service.declare(title="Checkout down", severity="SEV1", actor="cat")
    r.run()
    r.run(60)
    made = slack_channels(r)
    assert [c.name for c in made] == ["inc-20260301-checkout-down"]
    assert made[0].purpose.startswith(f"Tocsin incident #{incident.id}:")
    assert made[0].pins  # the card, after all


def test_one_persons_invite_failing_does_not_stop_the_others(rooms: Any) -> None:
    r = rooms()
    incident = r.service.declare(title="Checkout down", severity="SEV1", actor="cat")
    r.run()
    channel = slack_channels(r)[0]
    # bob joined by hand; then he and ann are given roles: ann is still invited.
    channel.members.append("U0BOB")
    r.service.assign_role(incident.id, "commander", "bob", "cat")
    r.service.assign_role(incident.id, "investigator", "ann", "cat")
    r.run()
    assert {"U0ANN", "U0BOB", "U0MGR"} <= set(channel.members)
    assert channel.pins


def test_a_guest_who_cannot_be_invited_is_named_and_the_card_still_comes(rooms: Any) -> None:
    r = rooms()
    r.slack.users["U0MGR"]["deleted"] = True  # incidents.slack.invite names a deactivated user
    incident = r.service.declare(title="Checkout down", severity="SEV1", actor="cat")
    r.run()
    assert "Could not invite U0MGR to the channel: cant_invite" in r.timeline(incident.id)
    assert slack_channels(r)[0].pins
    r.service.add_note(incident.id, "x", "cat")
    r.run()  # not tried again until something about them changes
    invites = [a for a in r.slack.named("conversations.invite") if a["users"] == "U0MGR"]
    assert len(invites) == 1


def test_a_sync_out_of_time_carries_on_at_once(rooms: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(incident_rooms, "SYNC_BUDGET", 0.0)
    r = rooms(cadence=True)
    incident = r.service.declare(title="Checkout down", severity="SEV1", actor="cat")
    for who in ("ann", "bob"):
        r.service.assign_role(incident.id, "investigator", who, "cat")
    for n in range(3):
        r.update(incident.id, "cat", UpdateParts(message=f"update {n}"))
    r.run()
    channel = slack_channels(r)[0]
    assert {"U0ANN", "U0BOB", "U0MGR"} <= set(channel.members)
    posted = [m["text"] for m in channel.messages.values() if "blocks" not in m]
    assert [t.split("\n")[1] for t in posted] == ["update 0", "update 1", "update 2"]


def test_an_archived_channel_is_made_again(rooms: Any) -> None:
    r = rooms()
    incident = r.service.declare(title="Checkout down", severity="SEV1", actor="cat")
    r.run()
    first = slack_channels(r)[0]
    first.archived = True  # someone archived it
    r.service.acknowledge(incident.id, "ann")
    r.run()
    names = sorted(c.name for c in slack_channels(r))
    assert names == ["inc-20260301-checkout-down", f"inc-20260301-checkout-down-{incident.id}"]
    assert f"The Slack channel #{first.name} is gone (is_archived): making a new one" in (
        r.timeline(incident.id)
    )
    room = r.service.rooms(incident.id)[0]
    assert room.state.channel_name == f"inc-20260301-checkout-down-{incident.id}"


def test_titles_cannot_ping_the_channel_or_forge_links(rooms: Any) -> None:
    r = rooms(teams=True)
    title = "<!channel> see <https://evil.example|Open in Tocsin> & [Open](https://evil.example)"
    incident = r.service.declare(title=title, severity="SEV1", actor="cat")
    r.run()
    card = slack_channels(r)[0].messages[slack_channels(r)[0].pins[0]]
    assert "<!channel>" not in card["text"] and "<https://evil" not in card["text"]
    assert "&lt;!channel&gt;" in card["text"]
    teams = r.teams.bodies("/teams")[0]["attachments"][0]["content"]["body"][0]["text"]
    assert "](https://evil.example)" not in teams
    assert incident.id


def test_slack_markup_in_commands_becomes_plain_text(rooms: Any) -> None:
    r = rooms()
    answer = command(r, "declare SEV2 DB &amp; cache &lt;eu&gt;")
    assert answer.json()["text"] == "cat declared SEV2 #1: DB & cache <eu>"
    assert r.service.get(1).title == "DB & cache <eu>"
    command(
        r, "note #1 asked <@U0BOB|bob> and read <https://wiki.example/db|the wiki>\nthen waited"
    )
    note = [e for e in r.service.view(1).timeline if e.kind == "note"][0]
    assert note.text == "asked @bob and read the wiki (https://wiki.example/db)\nthen waited"


def test_a_note_marked_on_a_thread_reply(rooms: Any) -> None:
    r = rooms()
    command(r, "declare SEV2 Checkout errors")
    r.run()
    channel = slack_channels(r)[0]
    root = r.slack.post_user_message(channel.id, "U0ANN", "What do we know?")
    reply = r.slack.post_user_message(channel.id, "U0BOB", "The db is fine", thread_ts=root)
    mark = {
        "type": "reaction_added",
        "user": "U0ANN",
        "reaction": "memo",
        "item": {"type": "message", "channel": channel.id, "ts": reply},
    }
    assert event(r, mark).status_code == 200
    notes = [e.text for e in r.service.view(1).timeline if e.kind == "slack-note"]
    assert notes == ["From Slack (written by bob): The db is fine"]


@pytest.mark.parametrize(
    ("start", "to", "due"),
    [("SEV1", "SEV4", None), ("SEV2", "SEV1", "12:40"), ("SEV1", "SEV2", "12:30")],
)
def test_the_cadence_follows_the_severity(rooms: Any, start: str, to: str, due: Any) -> None:
    r = rooms(cadence=True)  # SEV1 every 30m, SEV2 every hour
    incident = r.service.declare(title="x", severity=start, actor="cat")
    r.run(10 * 60)
    changed = r.service.set_severity(incident.id, to, "cat")
    shown = changed.next_update_at.strftime("%H:%M") if changed.next_update_at else None
    assert shown == due
    r.run(3 * 3600)
    reminders = [e for e in r.service.view(incident.id).timeline if e.kind == "update-due"]
    assert (reminders == []) == (due is None)


def test_long_updates_are_refused_not_500(rooms: Any) -> None:
    r = rooms()
    command(r, "declare SEV2 Checkout errors")
    r.run()
    channel = slack_channels(r)[0]
    answer = command(r, "update " + "x" * 4001, channel=channel.id).json()
    assert answer == {
        "response_type": "ephemeral",
        "text": "message: is longer than 4000 characters",
    }


def test_a_sync_saves_only_over_the_state_it_started_from(rooms: Any) -> None:
    from dataclasses import replace

    from tocsin.store import incident_chats

    r = rooms()
    incident = r.service.declare(title="Checkout down", severity="SEV1", actor="cat")
    r.run()
    db = r.h.runtime.db
    with db.read() as conn:
        seen = incident_chats.for_incident(conn, incident.id)[0]
    now = r.h.clock.now()
    with db.write() as conn:
        first = incident_chats.save(conn, seen, replace(seen.state, topic="a"), now, None)
    with db.write() as conn:  # a second sync that began from the same state
        second = incident_chats.save(conn, seen, replace(seen.state, topic="b"), now, None)
    assert first is not None and second is None
    assert r.service.rooms(incident.id)[0].state.topic == "a"
