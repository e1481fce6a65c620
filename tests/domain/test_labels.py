from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.labels import fingerprint, label_name_problem, normalise_labels, scoped_key


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("alertname", True),
        ("_private", True),
        ("a1_B2", True),
        ("__name__", True),
        ("1abc", False),
        ("with-dash", False),
        ("dotted.name", False),
        ("", False),
        ("ünïcode", False),
    ],
)
def test_label_names_follow_alertmanager(name: str, valid: bool) -> None:
    assert (label_name_problem(name) is None) is valid


def test_empty_values_are_dropped_and_names_sorted() -> None:
    assert list(normalise_labels({"b": "1", "a": "2", "c": ""})) == ["a", "b"]


def test_fingerprint_of_empty_set_is_fnv_offset() -> None:
    # prometheus/common: emptyLabelSignature = hashNew() = the FNV-1a 64 offset basis.
    assert fingerprint({}) == "cbf29ce484222325"


def test_fingerprint_is_sixteen_hex_digits_and_order_free() -> None:
    a = fingerprint({"alertname": "X", "job": "api"})
    b = fingerprint({"job": "api", "alertname": "X"})
    assert a == b
    assert len(a) == 16 and int(a, 16) >= 0


def test_fingerprint_separates_names_from_values() -> None:
    # Without the 0xff separator these two would hash the same bytes.
    assert fingerprint({"ab": "c"}) != fingerprint({"a": "bc"})


def test_scoped_keys_differ_per_scope() -> None:
    assert scoped_key("1", "disk") != scoped_key("2", "disk")
    assert scoped_key("1", "disk") == scoped_key("1", "disk")


@given(
    st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True), st.text(), max_size=8)
)
def test_fingerprint_is_a_function_of_the_label_set(labels: dict[str, str]) -> None:
    reordered = dict(reversed(list(labels.items())))
    assert fingerprint(labels) == fingerprint(reordered)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        # Read off a real Alertmanager 0.25 (GET /api/v2/alerts) for the same label sets.
        ({"alertname": "X", "job": "a"}, "73d97ba8ea3585d2"),
        ({"alertname": "Ünï", "zone": "ap-south-1", "a": 'b"c'}, "c62063b83166d30a"),
    ],
)
def test_fingerprint_equals_alertmanagers(labels: dict[str, str], expected: str) -> None:
    assert fingerprint(labels) == expected
