"""``incidents.slack``, ``incidents.teams`` and ``incidents.update_every``: compiled, and every
mistake named by file, line and key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.config.test_paging_config import load
from tocsin.config.compile import RoutingConfig
from tocsin.domain.incidents import Severity
from tocsin.errors import ConfigError

BASE = """route:
  receiver: r
receivers:
  - name: r
incidents:
  slack:
    channel_for: [SEV1, 2]
    prefix: incident
    invite: [U0MGR]
    announce: C0ANNOUNCE
    note_emoji: pencil2
  teams:
    webhook_url: https://example.webhook.office.com/x
    severities: [SEV1]
  update_every: {SEV1: 30m, SEV2: 1h}
"""


def test_the_chat_policy_compiles(tmp_path: Path) -> None:
    config = load(tmp_path, BASE)
    assert isinstance(config, RoutingConfig)
    chat = config.incidents.chat
    assert chat.slack is not None
    assert chat.slack.severities == {Severity.SEV1, Severity.SEV2}
    assert (chat.slack.prefix, chat.slack.invite, chat.slack.announce) == (
        "incident",
        ("U0MGR",),
        "C0ANNOUNCE",
    )
    assert chat.slack.note_emoji == "pencil2" and chat.slack.pinned_notes is True
    assert chat.teams == {Severity.SEV1}
    assert chat.teams_url == "https://example.webhook.office.com/x"
    assert chat.update_every == {
        Severity.SEV1: timedelta(minutes=30),
        Severity.SEV2: timedelta(hours=1),
    }


def test_without_it_nothing_is_made(tmp_path: Path) -> None:
    config = load(tmp_path, BASE.split("incidents:")[0])
    assert isinstance(config, RoutingConfig)
    assert config.incidents.chat.slack is None and config.incidents.chat.teams_url is None
    assert config.incidents.chat.update_every == {}


def test_the_teams_url_may_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "teams-url"
    secret.write_text("https://example.webhook.office.com/secret\n")
    text = BASE.replace(
        "webhook_url: https://example.webhook.office.com/x", f"webhook_url_file: {secret}"
    )
    config = load(tmp_path, text)
    assert isinstance(config, RoutingConfig)
    assert config.incidents.chat.teams_url == "https://example.webhook.office.com/secret"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("channel_for: [SEV1, 2]", "channel_for: [SEV9]", "incidents.slack.channel_for.0:"),
        ("prefix: incident", "prefix: Inc!", "incidents.slack.prefix:"),
        ("invite: [U0MGR]", "invite: [bob]", "incidents.slack.invite.0:"),
        ("announce: C0ANNOUNCE", "announce: '#incidents'", "incidents.slack.announce:"),
        ("SEV1: 30m", "SEV1: soon", "incidents.update_every.SEV1: not a valid duration"),
        ("SEV2: 1h", "SEV2: 30s", "incidents.update_every.SEV2: must be between 1m and 7d"),
        ("SEV2: 1h", "SEV7: 1h", "incidents.update_every.SEV7: 'SEV7' is not a severity"),
        ("severities: [SEV1]", "severities: [urgent]", "incidents.teams.severities.0:"),
        (
            "    webhook_url: https://example.webhook.office.com/x\n",
            "",
            "incidents.teams.webhook_url: is required (or webhook_url_file)",
        ),
        (
            "webhook_url: https://example.webhook.office.com/x",
            "webhook_url_file: /nonexistent/teams",
            "incidents.teams.webhook_url_file: cannot read it",
        ),
        ("note_emoji: pencil2", "note_emoji: ':memo:'", "incidents.slack.note_emoji:"),
    ],
)
def test_problems_name_file_line_and_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in BASE
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, BASE.replace(old, new, 1))
    text = str(caught.value)
    assert message in text, text
    assert "tocsin.yaml:" in text
