"""``/tocsin run ACTION [dry-run] [#ID]`` in Slack: parsed, and run as the person typing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.remediation.test_runs import GUARDED
from tocsin.domain.chat_commands import Command, CommandError, Verb, parse_command
from tocsin.domain.remediation import RunState


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("run restart-api", Command(Verb.RUN, None, text="restart-api")),
        ("run restart-api dry-run", Command(Verb.RUN, None, text="restart-api", dry_run=True)),
        ("run restart-api #12", Command(Verb.RUN, 12, text="restart-api")),
        ("run #12 flush --dry-run", Command(Verb.RUN, 12, text="flush", dry_run=True)),
    ],
)
def test_parse(text: str, command: Command) -> None:
    assert parse_command(text) == command


@pytest.mark.parametrize("text", ["run", "run a b", "run #3"])
def test_parse_mistakes(text: str) -> None:
    with pytest.raises(CommandError, match="run takes an action"):
        parse_command(text)


def test_run_from_chat(remediation: Any) -> None:
    r = remediation(actions=GUARDED)
    incident = r.incident()
    chat = r.runtime.chatops
    said = chat._run(parse_command(f"run limited #{incident}"), "bob", "C0123")
    assert said.public
    assert said.text == f"bob asked for limited on #{incident} (run 1): queued"
    r.h.tick()
    assert r.state(1) is RunState.SUCCEEDED
    dry = chat._run(parse_command(f"run failover dry-run #{incident}"), "bob", "C0123")
    assert dry.text.endswith("(run 2): dry run")
    waits = chat._run(parse_command(f"run failover #{incident}"), "bob", "C0123")
    assert waits.text.endswith("(run 3): awaiting approval")
    assert r.runs(incident)[1].requested_by == "bob"
