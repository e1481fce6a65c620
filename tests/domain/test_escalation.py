"""Escalation policies as pure functions: where an incident goes next, who a level reaches,
round-robin turns, and snapshots that survive configuration edits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.escalation import (
    EscalationPolicy,
    Level,
    Mode,
    Position,
    Target,
    TargetKind,
    next_position,
    policy_from_snapshot,
    resolve_level,
    snapshot,
)

U = TargetKind.USER
S = TargetKind.SCHEDULE
C = TargetKind.SLACK_CHANNEL


def policy(levels: int, repeat: int = 0) -> EscalationPolicy:
    return EscalationPolicy(
        "p", tuple(Level((Target(U, f"u{i}"),)) for i in range(levels)), repeat=repeat
    )


def test_levels_then_passes_then_done() -> None:
    p = policy(2, repeat=1)
    walk = [Position(0, 0)]
    while (n := next_position(p, walk[-1])) is not None:
        walk.append(n)
    assert walk == [Position(0, 0), Position(0, 1), Position(1, 0), Position(1, 1)]


@given(st.integers(1, 6), st.integers(0, 5))
def test_every_level_fires_once_per_pass(levels: int, repeat: int) -> None:
    p = policy(levels, repeat)
    at: Position | None = Position(0, 0)
    seen: list[Position] = []
    while at is not None:
        seen.append(at)
        at = next_position(p, at)
    assert len(seen) == levels * (repeat + 1)
    assert seen == sorted(seen) and len(set(seen)) == len(seen)


def test_schedules_are_asked_and_gaps_reported() -> None:
    level = Level((Target(S, "primary"), Target(S, "night"), Target(U, "bob"), Target(C, "C1")))
    oncall = {"primary": "ann", "night": None}
    reached = resolve_level(level, oncall.get)
    assert reached.users == ("ann", "bob")
    assert reached.slack_channels == ("C1",)
    assert reached.gaps == ("night",)
    assert not reached.nobody


def test_a_person_reached_twice_is_paged_once() -> None:
    level = Level((Target(S, "primary"), Target(U, "ann")))
    assert resolve_level(level, {"primary": "ann"}.get).users == ("ann",)


def test_a_level_of_gaps_reaches_nobody() -> None:
    reached = resolve_level(Level((Target(S, "night"),)), lambda _: None)
    assert reached.nobody and reached.gaps == ("night",)


def test_round_robin_takes_turns_and_skips_gaps() -> None:
    level = Level((Target(U, "ann"), Target(S, "night"), Target(U, "cat")), mode=Mode.ROUND_ROBIN)
    oncall = {"night": None}
    first = resolve_level(level, oncall.get, 0)
    assert (first.users, first.next_counter) == (("ann",), 1)
    second = resolve_level(level, oncall.get, 1)  # night has a gap: cat instead
    assert (second.users, second.next_counter, second.gaps) == (("cat",), 3, ("night",))
    third = resolve_level(level, oncall.get, 3)  # wraps to ann
    assert third.users == ("ann",)


def test_snapshot_round_trips() -> None:
    p = EscalationPolicy(
        "platform",
        (
            Level((Target(S, "primary"), Target(C, "C0")), timedelta(minutes=5)),
            Level((Target(U, "bob"),), timedelta(minutes=10), Mode.ROUND_ROBIN),
        ),
        repeat=2,
        ack_timeout=timedelta(minutes=30),
        owner="ann",
        team="platform",
    )
    back = policy_from_snapshot(snapshot(p))
    assert back == EscalationPolicy(**{**p.__dict__, "description": ""})


@pytest.mark.parametrize("counter", [0, 1, 2, 7])
def test_round_robin_counter_wraps(counter: int) -> None:
    level = Level((Target(U, "a"), Target(U, "b")), mode=Mode.ROUND_ROBIN)
    assert resolve_level(level, lambda _: None, counter).users == (("a", "b")[counter % 2],)


def test_a_channel_alone_is_nobody_but_still_hears_of_it() -> None:
    level = Level((Target(S, "night"), Target(C, "C0OPS")))
    reached = resolve_level(level, lambda _: None)
    assert reached.nobody and reached.slack_channels == ("C0OPS",)
