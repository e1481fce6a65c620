from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.matchers import parse_matchers
from tocsin.domain.silences import Silence, Silencer, SilenceState, silence_problems

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


def silence(sid: str, matchers: str, start: datetime = T0, end: datetime = T0 + H) -> Silence:
    return Silence(sid, tuple(parse_matchers(matchers)), start, end, "ann", "deploy", T0)


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (T0 - timedelta(seconds=1), SilenceState.PENDING),
        (T0, SilenceState.ACTIVE),
        (T0 + H - timedelta(microseconds=1), SilenceState.ACTIVE),
        (T0 + H, SilenceState.EXPIRED),
    ],
)
def test_states(now: datetime, state: SilenceState) -> None:
    assert silence("s", 'job="api"').state(now) is state


def test_only_active_matching_silences_mute() -> None:
    silencer = Silencer(
        [
            silence("api", 'job="api"'),
            silence("later", 'job="db"', T0 + H, T0 + 2 * H),
            silence("regex", 'instance=~"web-.*", env!="prod"'),
        ]
    )
    assert silencer.silenced_by({"job": "api"}, T0) == ["api"]
    assert silencer.silenced_by({"job": "db"}, T0) == []
    assert silencer.silenced_by({"job": "db"}, T0 + H) == ["later"]
    assert silencer.silenced_by({"instance": "web-1", "env": "stage"}, T0) == ["regex"]
    assert not silencer.mutes({"instance": "web-1", "env": "prod"}, T0)


@pytest.mark.parametrize(
    ("matchers", "start", "end", "problem"),
    [
        ("", T0, T0 + H, "at least one matcher is required"),
        ('job=~".*"', T0, T0 + H, "must not match the empty string"),
        ('job!="x"', T0, T0 + H, "must not match the empty string"),
        ('job="api"', T0 + H, T0, "must not be before startsAt"),
    ],
)
def test_invalid_silences(matchers: str, start: datetime, end: datetime, problem: str) -> None:
    found = silence_problems(tuple(parse_matchers(matchers)), start, end)
    assert any(problem in text for _, text in found), found


def test_a_valid_silence_has_no_problems() -> None:
    assert silence_problems(tuple(parse_matchers('job="api", env=~".*"')), T0, T0 + H) == []


_OPS = ["=", "!=", "=~", "!~"]


@given(
    st.lists(
        st.lists(
            st.tuples(
                st.sampled_from(["a", "b", "c"]),
                st.sampled_from(_OPS),
                st.sampled_from(["", "x", "y", "x|y", ".*"]),
            ),
            min_size=1,
            max_size=3,
        ),
        max_size=8,
    ),
    st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(["x", "y", "z"])),
)
def test_the_silencer_index_finds_exactly_the_silences_that_match(specs, labels):
    silences = [
        silence(f"s{i}", ", ".join(f'{n}{op}"{v}"' for n, op, v in spec))
        for i, spec in enumerate(specs)
    ]
    expected = [s.id for s in silences if s.mutes(labels, T0)]
    assert Silencer(silences).silenced_by(labels, T0) == expected
