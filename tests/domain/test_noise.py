"""Flap detection and volume holds as pure decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tocsin.domain.noise import FlapPolicy, VolumePolicy, is_flapping, volume_hold_until

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
M = timedelta(minutes=1)
POLICY = FlapPolicy(changes=3, window=10 * M, quiet=5 * M)


@pytest.mark.parametrize(
    ("minutes", "now", "flapping", "why"),
    [
        ([], 1, False, "never changed"),
        ([0, 1, 2], 3, False, "three changes is not more than three"),
        ([0, 1, 2, 3], 4, True, "four changes in ten minutes"),
        ([0, 1, 2, 3], 7, True, "quiet for four minutes only"),
        ([0, 1, 2, 3], 8, False, "stable for the quiet period: released"),
        ([0, 20, 21, 22], 23, False, "the first change is outside the window"),
        ([0, 5, 10, 15], 16, False, "spread over fifteen minutes"),
    ],
)
def test_is_flapping(minutes: list[int], now: int, flapping: bool, why: str) -> None:
    changes = [T0 + m * M for m in minutes]
    assert is_flapping(changes, T0 + now * M, POLICY) is flapping, why


def test_volume_hold() -> None:
    off = VolumePolicy()
    assert volume_hold_until([T0], T0, off) is None
    by_count = VolumePolicy(min_alerts=3)
    assert volume_hold_until([T0, T0], T0, by_count) == datetime.max.replace(tzinfo=UTC)
    assert volume_hold_until([T0, T0, T0], T0, by_count) is None
    by_time = VolumePolicy(min_firing_for=5 * M)
    assert volume_hold_until([T0 + M, T0], T0 + 2 * M, by_time) == T0 + 5 * M
    assert volume_hold_until([T0], T0 + 5 * M, by_time) is None
    either = VolumePolicy(min_alerts=2, min_firing_for=5 * M)
    assert volume_hold_until([T0, T0], T0, either) is None
    assert volume_hold_until([T0], T0, either) == T0 + 5 * M
    assert volume_hold_until([], T0, either) is None  # nothing firing: nothing to hold
