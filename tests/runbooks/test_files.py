"""Runbook files: read at configuration load (and reload), refused with file, line and key;
``tocsin runbook check`` and ``tocsin runbook new`` without a server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.runbooks.conftest import LATENCY
from tocsin.cli.main import app
from tocsin.config.compile import load_config
from tocsin.config.runbooks import check_directory
from tocsin.errors import ConfigError

CONFIG = """\
route: {receiver: x}
receivers: [{name: x}]
users: [{id: ann, email: ann@example.com}]
teams: [{name: platform, members: [ann]}]
runbooks:
  directory: books
  review_every: 30d
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text)
    return path


def problems_of(directory: Path, people: set[str] | None = None) -> list[str]:
    return check_directory(directory, people)[1]


def test_a_good_directory(tmp_path: Path) -> None:
    write(tmp_path / "books", "api-latency.md", LATENCY)
    write(tmp_path / "books" / "storage", "disk-full.md", "---\ntitle: Disk full\n---\n# x\n")
    write(tmp_path / "books", "README.md", "# About these runbooks\n")
    write(tmp_path / "books", "_template.md", "# {title}\n")
    (tmp_path / "tocsin.yaml").write_text(CONFIG)
    config = load_config(str(tmp_path / "tocsin.yaml"))
    files = config.runbooks.files
    assert sorted(files) == ["api-latency", "disk-full"]
    rb = files["api-latency"]
    assert rb.title == "API latency is high" and rb.alerts == ("APIHighLatency",)
    assert [str(m) for m in rb.matchers] == ['service="api"']
    assert rb.owner == "platform" and rb.service == "api"
    assert rb.path == str(tmp_path / "books" / "api-latency.md")
    assert config.runbooks.review_every.days == 30


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("---\ntitle: T\nowner_team: x\n---\n", ":3: owner_team:", "is not a known field"),
        ("---\ntitle: T\nmatchers: ['service=\"api']\n---\n", ":3: matchers.0:", ""),
        ("---\ntitle: T\nmatchers: ['a=~\"(\"']\n---\n", ":3: matchers.0:", "regular expression"),
        ("---\ntitle: T\nlast_reviewed: 2026-13-01\n---\n", ":3: last_reviewed:", "like 2026"),
        ("---\ntitle: T\nlast_reviewed: 20261001\n---\n", ":3: last_reviewed:", "like 2026"),
        ("---\nalerts: [A]\n---\n", ":2: title:", "is required"),
        ("---\ntitle: '  '\n---\n", ":2: title:", "must not be blank"),
        ("---\ntitle: T\nowner: zed\n---\n", ":3: owner:", "'zed' is not a user id or team"),
        ("---\ntitle: T\nreview_every: 2h\n---\n", ":3: review_every:", "at least a day"),
        ("---\ntitle: T\nalerts: A\n---\n", ":3: alerts:", "valid list"),
        ("---\ntitle: [unclosed\n---\n", ":3:", "invalid YAML"),
        ("# No front matter\n", ":1:", "no front matter"),
    ],
)
def test_a_bad_file_is_refused_naming_file_line_and_key(
    tmp_path: Path, text: str, where: str, problem: str
) -> None:
    path = write(tmp_path, "bad.md", text)
    [found] = problems_of(tmp_path, {"ann", "platform"})
    assert found.startswith(f"{path}{where}"), found
    assert problem in found


def test_a_file_name_that_is_no_slug_and_a_duplicate_slug(tmp_path: Path) -> None:
    write(tmp_path, "API Latency.md", "---\ntitle: T\n---\n")
    write(tmp_path, "disk.md", "---\ntitle: T\n---\n")
    write(tmp_path / "more", "disk.md", "---\ntitle: T\n---\n")
    found = problems_of(tmp_path)
    assert len(found) == 2
    assert "API Latency.md: the file name must be a slug" in found[0]
    assert f"{tmp_path / 'more' / 'disk.md'}: duplicate slug 'disk'" in found[1]


def test_a_bad_file_refuses_the_configuration_and_a_reload_keeps_the_running_one(
    routed: Any, tmp_path: Path
) -> None:
    books = tmp_path / "books"
    write(books, "api-latency.md", LATENCY)
    harness = routed(CONFIG)
    assert list(harness.runtime.runbooks.policy.files) == ["api-latency"]
    bad = write(books, "disk.md", "---\ntitle: Disk\nmatcher: ['a=\"b\"']\n---\n")
    with pytest.raises(ConfigError) as refused:
        harness.runtime.reload()
    assert f"{bad}:3: matcher: is not a known field" in str(refused.value)
    assert list(harness.runtime.runbooks.policy.files) == ["api-latency"]
    bad.write_text("---\ntitle: Disk\nmatchers: ['a=\"b\"']\n---\n")
    harness.runtime.reload()
    assert sorted(harness.runtime.runbooks.policy.files) == ["api-latency", "disk"]


def test_config_section_problems(tmp_path: Path) -> None:
    (tmp_path / "tocsin.yaml").write_text(
        CONFIG.replace("directory: books", "directory: nowhere\n  ask_review_after: [SEV9]")
    )
    with pytest.raises(ConfigError) as refused:
        load_config(str(tmp_path / "tocsin.yaml"))
    text = str(refused.value)
    assert "tocsin.yaml:7: runbooks.ask_review_after.0: 'SEV9' is not one of" in text
    assert "tocsin.yaml:6: runbooks.directory:" in text and "is not a directory" in text


def test_check_without_a_server(tmp_path: Path) -> None:
    write(tmp_path, "api-latency.md", LATENCY)
    runner = CliRunner()
    good = runner.invoke(app, ["runbook", "check", str(tmp_path)])
    assert good.exit_code == 0, good.output
    assert "1 runbook OK" in good.output
    write(tmp_path, "bad.md", "---\ntitle: T\nlast_reviewed: yesterday\n---\n")
    bad = runner.invoke(app, ["runbook", "check", str(tmp_path)])
    assert bad.exit_code == 1
    assert "bad.md:3: last_reviewed: 'yesterday' is not a date like 2026-10-01" in bad.output


def test_new_writes_a_file_from_the_template(tmp_path: Path) -> None:
    (tmp_path / "tocsin.yaml").write_text(CONFIG)
    (tmp_path / "books").mkdir()
    runner = CliRunner()
    made = runner.invoke(
        app,
        [
            "runbook", "new", "disk-full", "--title", "Disk full", "--alert", "DiskFull",
            "--matcher", 'severity="critical"', "--owner", "platform",
            "--config", str(tmp_path / "tocsin.yaml"),
        ],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    path = tmp_path / "books" / "disk-full.md"
    text = path.read_text()
    assert text.startswith("---\ntitle: Disk full\nalerts:\n- DiskFull\nmatchers:\n")
    assert "## Quick assessment" in text and "## Previous incidents" in text
    files, problems = check_directory(tmp_path / "books", {"platform"})
    assert problems == [] and files["disk-full"].alerts == ("DiskFull",)
    again = runner.invoke(
        app, ["runbook", "new", "disk-full", "--title", "X", "--dir", str(tmp_path / "books")]
    )
    assert again.exit_code == 1 and "exists already" in again.output
