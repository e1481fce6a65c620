"""The incident card in Teams: posted through the webhook when a SEV1 opens and again only
when what it shows changes (a webhook cannot edit its posts)."""

from __future__ import annotations

from typing import Any


def _cards(r: Any) -> list[dict[str, Any]]:
    return [b["attachments"][0]["content"] for b in r.teams.bodies("/teams")]


def test_a_sev1_card_goes_to_teams_and_again_when_it_changes(rooms: Any) -> None:
    r = rooms(teams=True)
    r.teams.answer("/teams", 202, "")
    incident = r.service.declare(
        title="Checkout down", severity="SEV1", actor="cat", summary="Card payments fail"
    )
    r.run()
    cards = _cards(r)
    assert len(cards) == 1
    card = cards[0]
    assert card["type"] == "AdaptiveCard"
    assert card["body"][0]["text"] == f"SEV1 · #{incident.id} Checkout down"
    assert card["body"][0]["color"] == "Attention"
    assert card["body"][1]["text"] == "Card payments fail"
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    assert facts == {"Status": "Triggered", "Severity": "SEV1"}
    assert card["actions"][0]["url"].endswith(f"/incidents/{incident.id}")
    r.service.add_note(incident.id, "looking", "ann")  # the card does not show notes
    r.run()
    assert len(_cards(r)) == 1
    r.service.acknowledge(incident.id, "ann")
    r.run()
    cards = _cards(r)
    assert len(cards) == 2
    facts = {f["title"]: f["value"] for f in cards[1]["body"][2]["facts"]}
    assert facts["Status"] == "Acknowledged" and facts["Acknowledged by"] == "Ann Lee"
    timeline = r.timeline(incident.id)
    assert timeline.count("Posted the incident card to Teams") == 1


def test_other_severities_stay_out_of_teams_unless_asked(rooms: Any) -> None:
    r = rooms(teams=True)
    incident = r.service.declare(title="Slow search", severity="SEV2", actor="cat")
    r.run()
    assert _cards(r) == []
    r.service.request_room(incident.id, "teams", "cat")
    r.run()
    assert len(_cards(r)) == 1


def test_a_teams_outage_is_retried(rooms: Any) -> None:
    r = rooms(teams=True)
    r.teams.answer_once(
        "/teams", (503, "busy"), (200, "Microsoft Teams endpoint returned HTTP error 429")
    )
    incident = r.service.declare(title="Checkout down", severity="SEV1", actor="cat")
    r.run()
    r.run(30)
    r.run(60)
    assert len(r.teams.bodies("/teams")) == 3
    assert "Posted the incident card to Teams" in r.timeline(incident.id)
    failed = [t for t in r.timeline(incident.id) if "Teams card could not be updated" in t]
    assert len(failed) == 2  # the 503, then the throttled 200: each said once
