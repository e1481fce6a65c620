"""Incident channels in Slack, against a local Slack Web API: made for SEV1/SEV2 or on
request, with topic, members and a card that follow the incident; failures retried."""

from __future__ import annotations

from typing import Any

from tests.slack_server import Channel


def _card(channel: Channel) -> dict[str, Any]:
    pinned = [channel.messages[ts] for ts in channel.pins]
    assert len(pinned) == 1, pinned
    return pinned[0]


def _buttons(card: dict[str, Any]) -> list[str]:
    actions = [b for b in card["blocks"] if b["type"] == "actions"]
    return [e["action_id"] for a in actions for e in a["elements"]]


def test_a_sev1_gets_a_channel_with_topic_people_and_a_card(rooms: Any) -> None:
    r = rooms()
    r.alert()
    incident = r.only()
    names = [c.name for c in r.slack.channels.values()]
    made = [n for n in names if n.startswith("inc-20260301-")]
    assert made == ["inc-20260301-higherrorrate-service-api"], names
    channel = r.slack.channel(made[0])
    assert channel.topic.startswith("SEV1 · triggered")
    # ann was paged (on call), U0MGR is always invited.
    assert set(channel.members) == {"UBOT", "U0ANN", "U0MGR"}
    card = _card(channel)
    assert f"#{incident.id}" in card["text"]
    assert _buttons(card) == ["tocsin_ack", "tocsin_mitigate", "tocsin_resolve", "tocsin_page"]
    links = [b for b in card["blocks"] if b["type"] == "context"][0]["elements"][0]["text"]
    assert f"/incidents/{incident.id}|Open in Tocsin>" in links
    announced = list(r.slack.channels["C0ANNOUNCE"].messages.values())
    assert len(announced) == 1 and f"<#{channel.id}>" in announced[0]["text"]
    timeline = r.timeline(incident.id)
    assert f"Created Slack channel #{channel.name}" in timeline


def test_the_card_and_topic_follow_the_incident(rooms: Any) -> None:
    r = rooms()
    r.alert()
    incident = r.only()
    channel = next(c for c in r.slack.channels.values() if c.name.startswith("inc-"))
    r.service.acknowledge(incident.id, "ann")
    r.service.assign_role(incident.id, "commander", "bob", "ann")
    r.run()
    assert channel.topic == "SEV1 · acknowledged · Commander: Bob Ray"
    assert "U0BOB" in channel.members  # found by email
    card = _card(channel)
    assert "(acknowledged)" in card["text"]
    assert _buttons(card) == ["tocsin_mitigate", "tocsin_resolve", "tocsin_page"]
    fields = " ".join(f["text"] for b in card["blocks"] for f in b.get("fields", []))
    assert "*Commander*\nBob Ray" in fields and "*Acknowledged by*\nAnn Lee" in fields
    updates = len(r.slack.named("chat.update"))
    assert updates >= 1
    r.run(60)  # nothing changed: nothing is sent
    assert len(r.slack.named("chat.update")) == updates
    r.service.resolve(incident.id, "ann", note="rolled back")
    r.run()
    card = _card(channel)
    assert "(resolved)" in card["text"] and _buttons(card) == []
    assert len([c for c in r.slack.channels.values() if c.name.startswith("inc-")]) == 1


def test_lower_severities_get_a_channel_on_request_or_when_raised(rooms: Any) -> None:
    r = rooms()
    r.alert(severity="warning")
    incident = r.only()
    assert not [c for c in r.slack.channels.values() if c.name.startswith("inc-")]
    assert r.service.request_room(incident.id, "slack", "cat") is True
    assert r.service.request_room(incident.id, "slack", "cat") is False
    r.run()
    assert len([c for c in r.slack.channels.values() if c.name.startswith("inc-")]) == 1
    assert "cat asked for a Slack channel" in r.timeline(incident.id)


def test_raising_the_severity_makes_the_channel(rooms: Any) -> None:
    r = rooms()
    r.alert(severity="warning")
    incident = r.only()
    r.service.set_severity(incident.id, "SEV2", "ann")
    r.run()
    assert len([c for c in r.slack.channels.values() if c.name.startswith("inc-")]) == 1


def test_slack_failures_are_retried_and_said_once(rooms: Any) -> None:
    r = rooms()
    r.slack.fail_next("conversations.create", "ratelimited")
    r.slack.fail_next("conversations.create", "internal_error")
    r.alert()
    incident = r.only()
    assert not [c for c in r.slack.channels.values() if c.name.startswith("inc-")]
    failed = [t for t in r.timeline(incident.id) if "could not be updated" in t]
    assert len(failed) == 1 and "ratelimited" in failed[0]
    r.run(30)
    r.run(60)
    made = [c for c in r.slack.channels.values() if c.name.startswith("inc-")]
    assert len(made) == 1
    assert _card(made[0])


def test_a_failure_that_will_not_pass_waits_for_the_next_change(rooms: Any) -> None:
    r = rooms()
    r.slack.fail_next("conversations.create", "restricted_action")
    r.alert()
    incident = r.only()
    r.run(120)  # not retried by itself
    failed = [t for t in r.timeline(incident.id) if "could not be updated" in t]
    assert failed == [
        "The Slack channel could not be updated: Slack conversations.create: restricted_action"
    ]
    assert len(r.slack.named("conversations.create")) == 1
    r.service.acknowledge(incident.id, "ann")  # the next change tries again
    r.run()
    assert len(r.slack.named("conversations.create")) == 2
    assert [c for c in r.slack.channels.values() if c.name.startswith("inc-")]


def test_a_channel_made_before_a_crash_is_adopted_not_duplicated(rooms: Any) -> None:
    r = rooms()
    incident = r.service.declare(title="Checkout down", severity="SEV4", actor="cat")
    # The channel an earlier sync made and marked, then died before recording it.
    _, made, _ = r.slack.handle(
        "conversations.create", {"name": "inc-20260301-checkout-down"}, "Bearer xoxb-test"
    )
    r.slack.channels[made["channel"]["id"]].purpose = f"Tocsin incident #{incident.id}: x"
    r.service.request_room(incident.id, "slack", "cat")
    r.run()
    names = [c.name for c in r.slack.channels.values() if c.name.startswith("inc-")]
    assert names == ["inc-20260301-checkout-down"]
    assert _card(r.slack.channel("inc-20260301-checkout-down"))


def test_a_namesake_channel_that_is_not_the_incidents_is_left_alone(rooms: Any) -> None:
    r = rooms()
    r.slack.handle(
        "conversations.create", {"name": "inc-20260301-checkout-down"}, "Bearer xoxb-test"
    )
    incident = r.service.declare(title="Checkout down", severity="SEV1", actor="cat")
    r.run()
    theirs = r.slack.channel("inc-20260301-checkout-down")
    assert theirs.messages == {} and theirs.members == ["UBOT"]
    ours = r.slack.channel(f"inc-20260301-checkout-down-{incident.id}")
    assert ours.purpose.startswith(f"Tocsin incident #{incident.id}: Checkout down")
    assert _card(ours)


def test_same_day_namesakes_get_their_own_channels(rooms: Any) -> None:
    r = rooms()
    first = r.service.declare(title="Checkout down!", severity="SEV1", actor="cat")
    second = r.service.declare(title="Checkout down", severity="SEV2", actor="cat")
    r.run()
    # Synced side by side: whichever came first has the plain name, the other its own.
    got = {i: r.service.rooms(i)[0].state.channel_name for i in (first.id, second.id)}
    plain = "inc-20260301-checkout-down"
    assert sorted(got.values()) in (
        [plain, f"{plain}-{first.id}"],
        [plain, f"{plain}-{second.id}"],
    )
    for incident_id, name in got.items():
        assert name in (plain, f"{plain}-{incident_id}")
        channel = r.slack.channel(name)
        assert channel.purpose.startswith(f"Tocsin incident #{incident_id}:")
        assert f"#{incident_id} " in _card(channel)["text"]


def test_people_without_a_slack_account_are_named(rooms: Any) -> None:
    r = rooms()
    incident = r.service.declare(title="Disk", severity="SEV1", actor="cat")
    r.service.assign_role(incident.id, "investigator", "dan", "cat")
    r.run()
    assert (
        "Could not invite dan to the channel: nobody in Slack has the email dan@elsewhere.example"
        in r.timeline(incident.id)
    )
    r.service.add_note(incident.id, "still looking", "cat")
    r.run()
    looked_up = [a["email"] for a in r.slack.named("users.lookupByEmail")]
    assert looked_up.count("dan@elsewhere.example") == 1


def test_the_card_counts_the_alerts_as_they_fire_and_resolve(rooms: Any) -> None:
    from tests.notify.conftest import firing

    r = rooms()
    r.alert(instance="a")
    channel = next(c for c in r.slack.channels.values() if c.name.startswith("inc-"))

    def firing_now() -> str:
        card = _card(channel)
        fields = [f["text"] for b in card["blocks"] for f in b.get("fields", [])]
        return next((f for f in fields if f.startswith("*Alerts firing*")), "")

    assert firing_now() == "*Alerts firing*\n1"
    r.h.post(firing("HighErrorRate", severity="critical", service="api", instance="b"))
    r.run(60)  # the group's next flush links the second alert
    assert firing_now() == "*Alerts firing*\n2"
