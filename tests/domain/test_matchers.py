from __future__ import annotations

import pytest

from tocsin.domain.matchers import Matcher, MatchOp, parse_matcher, parse_matchers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('job="api"', [("job", MatchOp.EQ, "api")]),
        ("job=api", [("job", MatchOp.EQ, "api")]),
        (
            '{job!="api", env=~"prod|stage"}',
            [("job", MatchOp.NE, "api"), ("env", MatchOp.RE, "prod|stage")],
        ),
        ('a!~"x.*",b=""', [("a", MatchOp.NRE, "x.*"), ("b", MatchOp.EQ, "")]),
        (r'msg="say \"hi\""', [("msg", MatchOp.EQ, 'say "hi"')]),
        ('q="a,b"', [("q", MatchOp.EQ, "a,b")]),
    ],
)
def test_parse(text: str, expected: list[tuple[str, MatchOp, str]]) -> None:
    assert [(m.name, m.op, m.value) for m in parse_matchers(text)] == expected


@pytest.mark.parametrize("text", ['{job="api"', "job", '="x"', 'a=~"("', 'a="unterminated'])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_matchers(text)


@pytest.mark.parametrize(
    ("matcher", "labels", "hit"),
    [
        ('job="api"', {"job": "api"}, True),
        ('job="api"', {"job": "apiserver"}, False),
        ('job=~"api"', {"job": "apiserver"}, False),  # fully anchored
        ('job=~"api.*"', {"job": "apiserver"}, True),
        ('job!~"api.*"', {"job": "db"}, True),
        ('job=""', {}, True),  # absent == empty
        ('job!=""', {}, False),
        ('n=~"\\d+"', {"n": "١٢"}, False),  # \d is ASCII-only, as in RE2
        ('n=~"\\d+"', {"n": "12"}, True),
    ],
)
def test_matches(matcher: str, labels: dict[str, str], hit: bool) -> None:
    assert parse_matcher(matcher).matches(labels) is hit


def test_str_round_trips() -> None:
    m = Matcher.of("msg", "=", 'a "b"\nc')
    assert parse_matcher(str(m)) == m
