"""``/tocsin`` commands read from text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.chat_commands import Command, CommandError, Verb, parse_command
from tocsin.domain.incidents import Severity


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("", Command(Verb.HELP)),
        ("help", Command(Verb.HELP)),
        ("declare Checkout errors", Command(Verb.DECLARE, text="Checkout errors")),
        (
            "declare sev1 Checkout errors",
            Command(Verb.DECLARE, text="Checkout errors", severity=Severity.SEV1),
        ),
        ("declare 3 pods crashlooping", Command(Verb.DECLARE, text="3 pods crashlooping")),
        ("note line one\nline two", Command(Verb.NOTE, text="line one\nline two")),
        ("update #4 A\n\nB", Command(Verb.UPDATE, 4, text="A\n\nB")),
        ("ack", Command(Verb.ACK)),
        ("ACK #12", Command(Verb.ACK, 12)),
        ("acknowledge 12", Command(Verb.ACK, 12)),
        ("resolve", Command(Verb.RESOLVE)),
        ("resolve #7 rolled back 2 hosts", Command(Verb.RESOLVE, 7, text="rolled back 2 hosts")),
        ("resolve 7 hosts fixed", Command(Verb.RESOLVE, text="7 hosts fixed")),
        ("mitigate failed over", Command(Verb.MITIGATE, text="failed over")),
        ("note #3 db is fine", Command(Verb.NOTE, 3, text="db is fine")),
        ("update Payments recovering", Command(Verb.UPDATE, text="Payments recovering")),
        ("severity SEV2", Command(Verb.SEVERITY, severity=Severity.SEV2)),
        ("sev #9 1", Command(Verb.SEVERITY, 9, severity=Severity.SEV1)),
        (
            "role comms <@U0BOB|bob>",
            Command(Verb.ROLE, role="communications", target="U0BOB", mention=True),
        ),
        ("role commander ann #4", Command(Verb.ROLE, 4, role="commander", target="ann")),
        ("page <@U0ANN>", Command(Verb.PAGE, target="U0ANN", mention=True)),
        ("page primary #4", Command(Verb.PAGE, 4, target="primary")),
        ("page @bob", Command(Verb.PAGE, target="bob")),
        ("oncall", Command(Verb.ONCALL)),
        ("oncall primary", Command(Verb.ONCALL, target="primary")),
        ("channel #5", Command(Verb.CHANNEL, 5)),
    ],
)
def test_commands(text: str, command: Command) -> None:
    assert parse_command(text) == command


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("launch", "unknown command 'launch'"),
        ("declare", "declare needs a title"),
        ("declare SEV1", "declare needs a title"),
        ("ack now please", "ack takes only an incident"),
        ("note", "note needs text"),
        ("update #4", "update needs text"),
        ("severity", "severity takes one severity"),
        ("severity SEV9", "'SEV9' is not a severity"),
        ("role boss ann", "'boss' is not a role"),
        ("role commander", "role takes a role and a person"),
        ("page", "page takes one person or schedule"),
        ("page ann bob", "page takes one person or schedule"),
    ],
)
def test_mistakes_say_how_to_write_it(text: str, problem: str) -> None:
    with pytest.raises(CommandError, match=problem):
        parse_command(text)


@given(st.text(max_size=200))
def test_any_text_is_a_command_or_a_clear_error(text: str) -> None:
    try:
        command = parse_command(text)
    except CommandError as exc:
        assert str(exc)
    else:
        assert isinstance(command.verb, Verb)
