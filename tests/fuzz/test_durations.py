"""Durations (config/durations.py) and how they are written (domain/durations.py)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.conftest import FUZZ
from tocsin.config.durations import duration_input, parse_duration
from tocsin.domain.durations import duration_text
from tocsin.errors import InputError

UNITS = ["y", "w", "d", "h", "m", "s", "ms"]
SIZE = {
    "y": timedelta(days=365),
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
    "s": timedelta(seconds=1),
    "ms": timedelta(milliseconds=1),
}
DURATION_ALPHABET = st.sampled_from(list("0123456789ymwdhs msPT.-+"))


@FUZZ
@given(st.text(max_size=20) | st.text(DURATION_ALPHABET, max_size=20))
def test_any_text_parses_or_raises_value_error(text: str) -> None:
    try:
        span = parse_duration(text)
    except ValueError as exc:
        assert repr(text)[1:-1] in str(exc) or "too long" in str(exc)
        return
    assert span >= timedelta(0)


@FUZZ
@given(
    st.lists(st.sampled_from(UNITS), min_size=1, max_size=7, unique=True).flatmap(
        lambda units: st.tuples(
            st.just(sorted(units, key=UNITS.index)),
            st.lists(st.integers(0, 10_000), min_size=len(units), max_size=len(units)),
        )
    )
)
def test_well_formed_durations_add_up(parts: tuple[list[str], list[int]]) -> None:
    units, numbers = parts
    text = "".join(f"{n}{u}" for n, u in zip(numbers, units, strict=True))
    assert parse_duration(text) == sum(
        (n * SIZE[u] for n, u in zip(numbers, units, strict=True)), timedelta(0)
    )


@FUZZ
@given(st.lists(st.sampled_from(UNITS), min_size=2, max_size=4))
def test_units_out_of_order_or_repeated_are_refused(units: list[str]) -> None:
    ordered = [UNITS.index(u) for u in units]
    text = "".join(f"1{u}" for u in units)
    if ordered == sorted(set(ordered)):
        assert parse_duration(text) > timedelta(0)
    else:
        try:
            parse_duration(text)
        except ValueError:
            return
        raise AssertionError(f"{text!r} parsed")


@FUZZ
@given(st.text(max_size=16), st.text(min_size=1, max_size=10))
def test_duration_input_names_the_field(text: str, field: str) -> None:
    try:
        duration_input(text, field)
    except InputError as exc:
        assert [p.field for p in exc.problems] == [field]


@FUZZ
@given(st.integers(0, 400 * 86400))
def test_duration_text_reads_back_as_its_two_largest_units(seconds: int) -> None:
    span = timedelta(seconds=seconds)
    text = duration_text(span)
    back = parse_duration(text.replace(" ", ""))
    # Two units at most: what is dropped is less than the smaller unit written.
    smaller = SIZE[text.split(" ")[-1].lstrip("0123456789")]
    assert back <= span < back + smaller


@FUZZ
@given(st.timedeltas(min_value=timedelta(days=-3), max_value=timedelta(days=3)))
def test_duration_text_never_negative(span: timedelta) -> None:
    text = duration_text(span)
    assert not text.startswith("-")
    assert parse_duration(text.replace(" ", "")) <= max(span, timedelta(0))
