"""A drill's incident channel says DRILL in its timeline posts too (status updates and the
reminders that one is due), in Slack and in Teams; a real incident's do not."""

from __future__ import annotations

from typing import Any

from tests.rooms.conftest import rooms as rooms  # fixture
from tests.rooms.conftest import slack as slack  # fixture
from tocsin.domain.incident_updates import UpdateParts


def _room_texts(r: Any, prefix: str) -> list[str]:
    channel = next(c for c in r.slack.channels.values() if c.name.startswith(prefix))
    return [m["text"] for m in channel.messages.values() if "blocks" not in m]


def test_a_drills_room_posts_say_drill(rooms: Any) -> None:
    r = rooms(teams=True, cadence=True)
    drill = r.service.declare(title="Checkout down", severity="SEV1", actor="cat", drill=True)
    real = r.service.declare(title="Search down", severity="SEV1", actor="cat")
    r.run()
    r.run(30 * 60)  # both owe an update: reminded in their rooms
    for incident in (drill, real):
        r.update(incident.id, "cat", UpdateParts(message="Rolling back"))
    r.run()
    reminder, update = _room_texts(r, "drill-")[-2:]
    assert reminder.startswith(":alarm_clock: [DRILL] ") and "update is due" in reminder
    assert update.startswith("*[DRILL] Update from Cat Poe*\nRolling back")
    assert all("DRILL" not in t for t in _room_texts(r, "inc-"))
    teams = [
        b["attachments"][0]["content"]["body"][0]["text"]
        for b in r.teams.bodies("/teams")
        if b["attachments"][0]["content"]["body"][0]["text"].startswith(("⏰", "**"))
    ]
    drills = [t for t in teams if "DRILL" in t]
    assert len(drills) == 2 and len(teams) == 4, teams
    assert any(t.startswith("**[DRILL] Update from Cat Poe**") for t in drills)
    assert any(t.startswith("⏰ [DRILL] ") for t in drills)
