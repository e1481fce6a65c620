"""Drill RRULEs (domain/drills.py) and tabletop scenario files (config/drills.py)."""

from __future__ import annotations

import re
from typing import Any

import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from tests.fuzz.conftest import FUZZ
from tests.fuzz.strategies import SCALARS, documents
from tocsin.config.drills import load_scenario
from tocsin.config.yaml_source import YamlSource
from tocsin.domain.drills import FREQUENCIES, parse_rrule
from tocsin.errors import ConfigError

PARTS = st.sampled_from(
    [
        "FREQ=DAILY", "FREQ=WEEKLY", "FREQ=MONTHLY", "FREQ=HOURLY", "FREQ=SECONDLY",
        "BYDAY=1TU", "BYDAY=MO,FR", "BYDAY=9XX", "BYHOUR=10", "BYHOUR=25", "BYMINUTE=0",
        "INTERVAL=2", "INTERVAL=-1", "COUNT=3", "UNTIL=20270101T000000Z", "BYMONTHDAY=-1",
        "DTSTART=20260101T000000", "WKST=SU", "X=1", "", "RRULE:FREQ=YEARLY", "EXDATE=1",
    ]
)  # fmt: skip


@FUZZ
@given(st.text(max_size=40) | st.lists(PARTS, max_size=5).map(";".join))
def test_any_rrule_parses_or_raises_value_error(text: str) -> None:
    try:
        rule = parse_rrule(text)
    except ValueError as exc:
        assert str(exc)
        return
    body = text.strip().removeprefix("RRULE:").upper()
    freq = re.search(r"(?:^|;)FREQ=([A-Z]+)", body)
    assert freq is not None and freq.group(1) in FREQUENCIES
    assert "DTSTART" not in text.upper()
    assert rule is not None


@FUZZ
@given(
    st.sampled_from(FREQUENCIES),
    st.integers(0, 23),
    st.integers(0, 59),
    st.lists(st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]), max_size=3, unique=True),
)
def test_well_formed_rrules_parse(freq: str, hour: int, minute: int, days: list[str]) -> None:
    text = f"FREQ={freq};BYHOUR={hour};BYMINUTE={minute}"
    text += f";BYDAY={','.join(days)}" if days else ""
    rule = parse_rrule(text)
    first = rule[0]
    assert (first.hour, first.minute) == (hour, minute)


STEP = st.dictionaries(
    st.sampled_from(["title", "situation", "inject", "questions", "x"]),
    documents() | st.lists(st.text(max_size=5), max_size=2),
    max_size=4,
)
SCENARIO = st.dictionaries(
    st.sampled_from(["title", "summary", "roles", "steps", "debrief", "x"]),
    documents() | st.lists(STEP, max_size=2) | st.lists(st.text(max_size=5), max_size=2),
    max_size=5,
)


@FUZZ
@given(SCENARIO | documents(SCALARS))
# Defect found: a key holding a line break or control character split the message.
@example({"\r": None})
@example({"title": "t", "steps": [{"\x1e": 1}]})
def test_any_scenario_loads_or_names_file_and_line(doc: Any) -> None:
    text = yaml.safe_dump(doc)
    source = YamlSource("tabletop/drill.yaml", yaml.safe_load(text), yaml.compose(text))
    try:
        scenario = load_scenario(source)
    except ConfigError as exc:
        assert str(exc).splitlines() == str(exc).split("\n")
        for line in str(exc).split("\n"):
            assert re.match(r"tabletop/drill\.yaml:\d+: ", line), line
        return
    assert scenario.name == "drill" and scenario.steps
    assert all(step.questions for step in scenario.steps)
