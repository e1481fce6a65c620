"""Working an incident from Slack: /tocsin, the card's buttons, the Page someone modal and
messages marked as notes; every request signed, forged and replayed ones refused."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

import pytest

SECRET = "slack-signing-secret"


def _send(r: Any, path: str, body: bytes, kind: str, *, age: int = 0, secret: str = SECRET) -> Any:
    ts = str(int(r.h.clock.now().timestamp()) - age)
    mac = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return r.h.client.post(
        path,
        content=body,
        headers={
            "Content-Type": kind,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={mac.hexdigest()}",
        },
    )


def command(r: Any, text: str, user: str = "U0CAT", channel: str = "C0GENERAL", **kw: Any) -> Any:
    form = {
        "command": "/tocsin",
        "text": text,
        "user_id": user,
        "channel_id": channel,
        "team_id": "T0",
        "response_url": "https://hooks.slack.com/commands/T0/1/x",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }
    return _send(
        r,
        "/integrations/slack/commands",
        urlencode(form).encode(),
        "application/x-www-form-urlencoded",
        **kw,
    )


def interact(r: Any, payload: dict[str, Any], **kw: Any) -> Any:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return _send(
        r, "/integrations/slack/interactions", body, "application/x-www-form-urlencoded", **kw
    )


def event(r: Any, inner: dict[str, Any], **kw: Any) -> Any:
    body = json.dumps(
        {"type": "event_callback", "team_id": "T0", "event_id": "Ev1", "event": inner}
    ).encode()
    return _send(r, "/integrations/slack/events", body, "application/json", **kw)


def room_of(r: Any, incident_id: int) -> Any:
    channel_id = r.service.rooms(incident_id)[0].state.channel_id
    return r.slack.channels[channel_id]


def declared(r: Any, text: str = "declare SEV2 Checkout errors") -> Any:
    answer = command(r, text)
    assert answer.status_code == 200, answer.text
    r.run()
    return r.service.incidents()[0]


def test_declare_then_work_the_incident_from_its_channel(rooms: Any) -> None:
    r = rooms()
    answer = command(r, "declare sev2 Checkout errors")
    assert answer.json() == {
        "response_type": "in_channel",
        "text": "cat declared SEV2 #1: Checkout errors",
    }
    r.run()
    incident = r.service.get(1)
    assert (incident.severity.value, incident.title) == ("SEV2", "Checkout errors")
    channel = room_of(r, 1)
    assert channel.name == "inc-20260301-checkout-errors"
    said = command(r, "ack", user="U0BOB", channel=channel.id).json()
    assert said == {"response_type": "in_channel", "text": "bob acknowledged #1"}
    assert r.service.get(1).acknowledged_by == "bob"  # U0BOB is bob by email
    command(r, "role commander <@U0ANN|ann>", channel=channel.id)
    command(r, "role comms bob", channel=channel.id)
    command(r, "note the db is fine", user="U0ANN", channel=channel.id)
    command(r, "update Payments are failing for some cards", channel=channel.id)
    command(r, "severity 1", channel=channel.id)
    command(r, "resolve rolled back", user="U0ANN", channel=channel.id)
    done = r.service.get(1)
    assert done.roles == {"commander": "ann", "communications": "bob"}
    assert (done.severity.value, done.status.value, done.resolved_by) == ("SEV1", "resolved", "ann")
    texts = r.timeline(1)
    assert "the db is fine" in texts
    assert "Payments are failing for some cards" in texts
    assert "Resolved by ann (slack): rolled back" in texts


def test_a_command_outside_an_incident_channel_must_name_one(rooms: Any) -> None:
    r = rooms()
    declared(r)
    answer = command(r, "ack").json()
    assert answer["response_type"] == "ephemeral"
    assert "this channel is not an incident's" in answer["text"] and "#12" in answer["text"]
    assert command(r, "ack #1").json()["text"] == "cat acknowledged #1"
    assert "no incident 99" in command(r, "ack #99").json()["text"]


def test_page_someone_or_a_schedule(rooms: Any) -> None:
    r = rooms()
    declared(r)
    assert command(r, "page primary #1").json()["text"] == (
        "cat paged whoever is on call for primary about #1"
    )
    assert command(r, "page <@U0BOB> #1").json()["text"] == "cat paged bob about #1"
    texts = r.timeline(1)
    assert "cat paged ann (on call for primary)" in texts
    assert any(t.startswith("cat paged bob") for t in texts)
    r.run()
    members = room_of(r, 1).members
    assert {"U0ANN", "U0BOB"} <= set(members)  # responders join the channel
    assert "no user 'zed'" in command(r, "page zed #1").json()["text"]


def test_oncall_help_and_mistakes(rooms: Any) -> None:
    r = rooms()
    assert command(r, "oncall").json()["text"] == "On call now:\nprimary: Ann Lee"
    assert command(r, "help").json()["text"].startswith("Usage:\ndeclare [SEV1..SEV4] <title>")
    mistake = command(r, "launch rockets").json()
    assert mistake == {
        "response_type": "ephemeral",
        "text": "unknown command 'launch': try /tocsin help",
    }


def test_strangers_forgeries_and_replays_change_nothing(rooms: Any) -> None:
    r = rooms()
    declared(r)
    assert "not a Tocsin user" in command(r, "ack #1", user="U0NOBODY").json()["text"]
    assert command(r, "ack #1", secret="guessed").status_code == 401
    assert command(r, "ack #1", age=6 * 60).status_code == 401
    unsigned = r.h.client.post(
        "/integrations/slack/commands", content=b"command=%2Ftocsin&text=ack+%231"
    )
    assert unsigned.status_code == 401
    assert r.service.get(1).status.value == "triggered"


def test_the_cards_buttons_and_the_page_someone_form(rooms: Any) -> None:
    r = rooms()
    declared(r)
    channel = room_of(r, 1)

    def press(action_id: str, user: str = "U0BOB") -> Any:
        return interact(
            r,
            {
                "type": "block_actions",
                "user": {"id": user},
                "trigger_id": "trig-1",
                "channel": {"id": channel.id},
                "message": {"ts": "1.0"},
                "actions": [{"action_id": action_id, "value": "1", "type": "button"}],
            },
        )

    assert press("tocsin_mitigate").json()["text"] == "Incident #1 is mitigated."
    # Slack shows nothing of a button's answer: the presser is told in the channel, alone.
    told = r.slack.ephemeral[-1]
    assert (told["channel"], told["user"], told["text"]) == (
        channel.id,
        "U0BOB",
        "Incident #1 is mitigated.",
    )
    assert press("tocsin_mitigate").json()["text"] == "Incident #1 is mitigated."  # again: fine
    assert press("tocsin_page").status_code == 200
    view = r.slack.views[-1]
    assert view["callback_id"] == "tocsin_page" and view["private_metadata"] == "1"
    groups = view["blocks"][1]["element"]["option_groups"]
    assert [o["value"] for o in groups[1]["options"]] == ["schedule:primary"]
    assert "user:dan" in [o["value"] for o in groups[0]["options"]]

    def submit(target: str | None, note: str = "") -> Any:
        values: dict[str, Any] = {"why": {"text": {"type": "plain_text_input", "value": note}}}
        if target:
            chosen = {"type": "static_select", "selected_option": {"value": target}}
            values["who"] = {"target": chosen}
        return interact(
            r,
            {
                "type": "view_submission",
                "user": {"id": "U0BOB"},
                "view": {
                    "callback_id": "tocsin_page",
                    "private_metadata": "1",
                    "state": {"values": values},
                },
            },
        )

    empty = submit(None)
    assert empty.json() == {
        "response_action": "errors",
        "errors": {"who": "Choose a person or a schedule"},
    }
    ok = submit("user:dan", "Need a DBA")
    assert ok.status_code == 200 and ok.content == b""
    texts = r.timeline(1)
    assert "bob paged dan: Need a DBA" in texts
    assert press("tocsin_resolve", user="U0ANN").json()["text"] == "Incident #1 is resolved."


@pytest.mark.parametrize("how", ["reaction", "pin"])
def test_messages_marked_in_the_channel_become_notes_once(rooms: Any, how: str) -> None:
    r = rooms()
    declared(r)
    channel = room_of(r, 1)
    ts = r.slack.post_user_message(channel.id, "U0BOB", "Restarted the db primary")
    if how == "reaction":
        inner = {
            "type": "reaction_added",
            "user": "U0ANN",
            "reaction": "memo",
            "item": {"type": "message", "channel": channel.id, "ts": ts},
            "item_user": "U0BOB",
            "event_ts": "1.0",
        }
    else:
        inner = {
            "type": "pin_added",
            "user": "U0ANN",
            "channel_id": channel.id,
            "item": {
                "type": "message",
                "channel": channel.id,
                "message": {
                    "type": "message",
                    "user": "U0BOB",
                    "text": "Restarted the db primary",
                    "ts": ts,
                },
            },
            "event_ts": "1.0",
        }
    assert event(r, inner).status_code == 200
    assert event(r, inner).status_code == 200  # Slack retried: still one note
    notes = [e for e in r.service.view(1).timeline if e.kind == "slack-note"]
    assert [(n.actor, n.text) for n in notes] == [
        ("ann", "From Slack (written by bob): Restarted the db primary")
    ]


def test_other_reactions_and_the_cards_own_pin_are_not_notes(rooms: Any) -> None:
    r = rooms()
    declared(r)
    channel = room_of(r, 1)
    ts = r.slack.post_user_message(channel.id, "U0BOB", "lol")
    thumbs = {
        "type": "reaction_added",
        "user": "U0ANN",
        "reaction": "+1",
        "item": {"type": "message", "channel": channel.id, "ts": ts},
    }
    assert event(r, thumbs).status_code == 200
    card_ts = r.service.rooms(1)[0].state.card_ref
    own = {
        "type": "pin_added",
        "user": "UBOT",
        "channel_id": channel.id,
        "item": {"type": "message", "message": {"text": "card", "user": "UBOT", "ts": card_ts}},
    }
    assert event(r, own).status_code == 200
    assert [e for e in r.service.view(1).timeline if e.kind == "slack-note"] == []


def test_the_events_url_is_verified_with_its_challenge(rooms: Any) -> None:
    r = rooms()
    body = json.dumps(
        {
            "type": "url_verification",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "token": "x",
        }
    ).encode()
    answer = _send(r, "/integrations/slack/events", body, "application/json")
    assert answer.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    forged = _send(r, "/integrations/slack/events", body, "application/json", secret="x")
    assert forged.status_code == 401


def test_a_stakeholder_or_viewer_cannot_act_from_slack(rooms: Any) -> None:
    r = rooms()
    declared(r)
    text = r.h.config.read_text().replace(
        "email: bob@example.com}", "email: bob@example.com, role: stakeholder}"
    )
    r.h.reload(text)
    answer = command(r, "ack #1", user="U0BOB").json()
    assert "bob: a stakeholder cannot act" in answer["text"], answer
    assert command(r, "declare sev3 from bob", user="U0BOB").json()["text"].startswith("bob:")
    assert r.service.get(1).status.value == "triggered"
    oncall = command(r, "oncall", user="U0BOB").json()["text"]
    assert "bob: a stakeholder cannot read" in oncall
    assert command(r, "ack #1").json()["text"] == "cat acknowledged #1"
