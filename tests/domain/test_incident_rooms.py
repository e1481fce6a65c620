"""Channel names and topics of incident rooms, and when a card counts as changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.incident_rooms import IncidentCard, channel_name, topic
from tocsin.domain.incidents import Incident, Severity, Status, Urgency

OPENED = datetime(2026, 3, 1, 23, 59, tzinfo=UTC)


def incident(title: str = "Checkout errors", **kw: object) -> Incident:
    base = Incident(
        id=42,
        title=title,
        status=Status.TRIGGERED,
        severity=Severity.SEV1,
        urgency=Urgency.HIGH,
        created_at=OPENED,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("title", "suffix", "name"),
    [
        ("Checkout errors", "", "inc-20260301-checkout-errors"),
        ("HighErrorRate (service=api)", "", "inc-20260301-higherrorrate-service-api"),
        ("  Ünïcode — only!  ", "", "inc-20260301-n-code-only"),
        ("!!!", "", "inc-20260301-incident-42"),
        ("Checkout errors", "42", "inc-20260301-checkout-errors-42"),
        ("x" * 200, "42", "inc-20260301-" + "x" * (80 - 13 - 3) + "-42"),
    ],
)
def test_channel_names(title: str, suffix: str, name: str) -> None:
    assert channel_name("inc", incident(title), suffix) == name


@given(st.text(max_size=300), st.sampled_from(["", "7", "123456789"]))
def test_any_title_makes_a_valid_slack_name(title: str, suffix: str) -> None:
    name = channel_name("inc", incident(title), suffix)
    assert len(name) <= 80
    assert all(c in "abcdefghijklmnopqrstuvwxyz0123456789-" for c in name)
    assert not name.endswith("-") and "--" not in name.replace("-" + suffix, "")


def test_topics() -> None:
    names = {"ann": "Ann Lee", "bob": "Bob Ray"}
    assert topic(incident(), names) == "SEV1 · triggered"
    roles = {"commander": "ann", "communications": "bob", "investigator": ["cat"]}
    due = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
    text = topic(incident(roles=roles, next_update_at=due, status=Status.ACKNOWLEDGED), names)
    assert (
        text == "SEV1 · acknowledged · Commander: Ann Lee · Comms: Bob Ray · next update 00:30 UTC"
    )
    resolved = incident(roles=roles, next_update_at=due, status=Status.RESOLVED)
    assert "next update" not in topic(resolved, names)
    assert len(topic(incident(roles={"commander": "x" * 400}), {})) == 250


def test_a_card_digest_changes_exactly_with_what_it_shows() -> None:
    card = IncidentCard(42, "t", "", "SEV1", "triggered", {"Commander": ("Ann",)}, "http://x/1")
    same = IncidentCard(42, "t", "", "SEV1", "triggered", {"Commander": ("Ann",)}, "http://x/1")
    assert card.digest() == same.digest()
    assert replace(card, status="acknowledged").digest() != card.digest()
    assert replace(card, roles={"Commander": ("Bob",)}).digest() != card.digest()


def test_someone_not_found_is_looked_for_again_only_when_that_could_change() -> None:
    from tocsin.domain.incident_rooms import RoomState, RoomWish, tried

    card = IncidentCard(42, "t", "", "SEV1", "triggered", {}, "http://x/1")

    def wish(how: tuple[str | None, str | None]) -> RoomWish:
        return RoomWish("n", "n-42", "t", card, {"dan": how})

    state = RoomState(unknown={"dan": tried((None, "dan@example.com"))})
    assert wish((None, "dan@example.com")).to_invite(state) == {}
    assert wish((None, "Dan@Example.com")).to_invite(state) == {}
    assert wish((None, "dan@new.example")).to_invite(state) == {"dan": (None, "dan@new.example")}
    assert wish(("U0DAN", "dan@example.com")).to_invite(state) == {
        "dan": ("U0DAN", "dan@example.com")
    }
    joined = RoomState(members={"dan": "U0DAN"})
    assert wish(("U0DAN", None)).to_invite(joined) == {}
