"""Alertmanager matchers and label sets (domain/matchers.py, domain/labels.py)."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.fuzz.conftest import FUZZ
from tests.fuzz.strategies import LABEL_NAMES, LABELS
from tocsin.domain.labels import fingerprint, label_name_problem, normalise_labels
from tocsin.domain.matchers import Matcher, MatchOp, parse_matcher, parse_matchers

MATCHER_ALPHABET = st.sampled_from(list('abc_=!~"{},\\ \n\t.*|()[]0é'))
#: Names as the parser reads them: no space, '=', '!', '~', '"', '{', '}' or ','.
LOOSE_NAMES = st.text(
    st.characters(
        blacklist_categories=["Cs", "Zs", "Zl", "Zp", "Cc"], blacklist_characters='=!~"{},'
    ),
    min_size=1,
    max_size=12,
).filter(lambda s: not any(c.isspace() for c in s))
OPS = st.sampled_from(list(MatchOp))


@FUZZ
@given(st.text(max_size=40) | st.text(MATCHER_ALPHABET, max_size=40))
def test_any_text_parses_or_raises_value_error(text: str) -> None:
    try:
        found = parse_matchers(text)
    except ValueError as exc:
        assert str(exc)
        return
    # What parsed prints as text that parses back to the same matchers.
    again = parse_matchers("{" + ", ".join(str(m) for m in found) + "}")
    assert again == found


@FUZZ
@given(LABEL_NAMES, st.sampled_from([MatchOp.EQ, MatchOp.NE]), st.text(max_size=30))
def test_equality_matcher_round_trips(name: str, op: MatchOp, value: str) -> None:
    m = Matcher.of(name, op, value)
    assert parse_matcher(str(m)) == m
    assert parse_matchers("{" + str(m) + "," + str(m) + "}") == [m, m]


@FUZZ
@given(LOOSE_NAMES, OPS, st.text(max_size=20))
def test_any_matcher_round_trips(name: str, op: MatchOp, text: str) -> None:
    value = re.escape(text) if op.is_regex else text
    m = Matcher.of(name, op, value)
    back = parse_matcher(str(m))
    assert back == m
    # The regex keeps its meaning: it matches the text it escapes.
    labels = {name: text}
    assert back.matches(labels) == m.matches(labels) == (op in (MatchOp.EQ, MatchOp.RE))


@pytest.mark.filterwarnings("ignore::FutureWarning")  # re's "possible nested set"
@FUZZ
@given(LABEL_NAMES, OPS, st.text(st.sampled_from(list("ab.*+?|()[]\\d{}^$")), max_size=12))
def test_regex_values_compile_or_raise_value_error(name: str, op: MatchOp, value: str) -> None:
    try:
        m = Matcher.of(name, op, value)
    except ValueError as exc:
        assert op.is_regex and "invalid regular expression" in str(exc)
        return
    assert parse_matcher(str(m)) == m


@FUZZ
@given(LABELS, st.randoms(use_true_random=False))
def test_fingerprint_ignores_order(labels: dict[str, str], rnd: object) -> None:
    items = list(labels.items())
    rnd.shuffle(items)  # type: ignore[attr-defined]
    assert fingerprint(dict(items)) == fingerprint(labels)
    assert re.fullmatch(r"[0-9a-f]{16}", fingerprint(labels))
    normal = normalise_labels(labels)
    assert list(normal) == sorted(normal) and "" not in normal.values()


@FUZZ
@given(LABELS, LABELS)
def test_different_label_sets_differ(a: dict[str, str], b: dict[str, str]) -> None:
    assume(a != b)
    assert fingerprint(a) != fingerprint(b)


@FUZZ
@given(st.text(max_size=20))
def test_label_name_check(name: str) -> None:
    ok = re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", name) is not None
    assert (label_name_problem(name) is None) == ok
