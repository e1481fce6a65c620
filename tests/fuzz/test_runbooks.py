"""Runbook files: front matter and body (domain/runbooks.py, config/runbooks.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.conftest import FUZZ
from tests.fuzz.strategies import SCALARS, documents
from tocsin.config.runbooks import read_runbook
from tocsin.domain.runbooks import split_front_matter

KEYS = ["title", "alerts", "matchers", "service", "owner", "last_reviewed", "review_every", "x"]
VALUES = (
    documents()
    | st.sampled_from(["2026-10-01", "2026-13-01", "90d", "1h", "ann", 'a="1"', "a=~(", ""])
    | st.lists(st.sampled_from(['a="1"', "{b!~x}", "c=~(", "", "HighLatency"]), max_size=3)
)
BODY = st.text(st.sampled_from(list("# ab\n-")), max_size=30)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzzrunbooks")


def _read(folder: Path, text: str | bytes) -> tuple[Any, list[str]]:
    path = folder / "rb.md"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    reports: list[str] = []
    return read_runbook(path, reports.append, people={"ann"}), reports


def _check(folder: Path, text: str | bytes) -> None:
    runbook, reports = _read(folder, text)
    if runbook is None:
        assert reports
        for line in reports:
            assert re.match(re.escape(str(folder / "rb.md")) + r":\d+: ", line), line
    else:
        assert not reports and runbook.title.strip() == runbook.title


@FUZZ
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=5) | documents(SCALARS), BODY)
def test_any_front_matter(folder: Path, front: Any, body: str) -> None:
    _check(folder, "---\n" + yaml.safe_dump(front) + "---\n" + body)


@FUZZ
@given(st.text(max_size=60) | st.text(st.sampled_from(list("-.\n:ab #'")), max_size=40))
def test_any_file_text(folder: Path, text: str) -> None:
    _check(folder, text)


@FUZZ
@given(st.text(st.sampled_from(list("ab: \n-'")), max_size=30), BODY)
def test_front_matter_keeps_its_lines(front: str, body: str) -> None:
    lines = front.splitlines()
    if any(line.rstrip() in ("---", "...") for line in lines):
        return
    front = "".join(line + "\n" for line in lines)
    parts = split_front_matter("---\n" + front + "---\n" + body)
    assert parts == ("\n" + front, body.lstrip("\n"))
