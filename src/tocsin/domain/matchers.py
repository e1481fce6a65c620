"""Label matchers as Alertmanager writes them: ``name="v"``, ``name!="v"``, ``name=~"re"``,
``name!~"re"``. Regexes are fully anchored and ``\\d \\w \\s`` are ASCII-only, as in RE2.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "MatchOp",
    "Matcher",
    "matches_all",
    "parse_matcher",
    "parse_matchers",
    "quote_value",
]


class MatchOp(enum.StrEnum):
    EQ = "="
    NE = "!="
    RE = "=~"
    NRE = "!~"

    @classmethod
    def from_flags(cls, is_regex: bool, is_equal: bool) -> MatchOp:
        """From Alertmanager's API form ``{isRegex, isEqual}``."""
        if is_regex:
            return cls.RE if is_equal else cls.NRE
        return cls.EQ if is_equal else cls.NE

    @property
    def is_regex(self) -> bool:
        return self in (MatchOp.RE, MatchOp.NRE)

    @property
    def is_equal(self) -> bool:
        return self in (MatchOp.EQ, MatchOp.RE)


@dataclass(frozen=True)
class Matcher:
    name: str
    op: MatchOp
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, name: str, op: MatchOp | str, value: str) -> Matcher:
        op = MatchOp(op)
        regex = None
        if op in (MatchOp.RE, MatchOp.NRE):
            try:
                regex = re.compile(f"(?:{value})", re.ASCII)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {value!r}: {exc.msg}") from None
        return cls(name, op, value, regex)

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op is MatchOp.EQ:
            return actual == self.value
        if self.op is MatchOp.NE:
            return actual != self.value
        assert self._regex is not None
        hit = self._regex.fullmatch(actual) is not None
        return hit if self.op is MatchOp.RE else not hit

    def __str__(self) -> str:
        return f"{self.name}{self.op.value}{quote_value(self.value)}"

    def as_api(self) -> dict[str, object]:
        """Alertmanager's API form, as silences carry their matchers."""
        return {
            "name": self.name,
            "value": self.value,
            "isRegex": self.op.is_regex,
            "isEqual": self.op.is_equal,
        }


def quote_value(value: str) -> str:
    """A label value as Alertmanager prints it: double-quoted, with \\ \" and \n escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def matches_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)


_HEAD = re.compile(r'\s*([^\s=!~"{},]+)\s*(=~|!~|!=|=)\s*')


def _unquote(text: str, pos: int) -> tuple[str, int]:
    """Read a double-quoted string starting at ``text[pos] == '"'``; return it and the end."""
    out: list[str] = []
    i = pos + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            # Alertmanager unescapes only \" \\ and \n; "\d" stays a regex class.
            out.append({"n": "\n", '"': '"', "\\": "\\"}.get(nxt, "\\" + nxt))
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise ValueError(f"unterminated quoted value in {text!r}")


def parse_matchers(text: str) -> list[Matcher]:
    """Parse ``{a="1", b=~"x|y"}`` or ``a=1,b!=2`` (braces optional)."""
    text = text.strip()
    if text.startswith("{"):
        if not text.endswith("}"):
            raise ValueError(f"missing closing '}}' in {text!r}")
        text = text[1:-1]
    result: list[Matcher] = []
    pos = 0
    while pos < len(text):
        if text[pos] in " ,":
            pos += 1
            continue
        head = _HEAD.match(text, pos)
        if head is None:
            raise ValueError(f"bad matcher at {text[pos:]!r}: expected name, operator, value")
        name, op = head.group(1), head.group(2)
        pos = head.end()
        if pos < len(text) and text[pos] == '"':
            value, pos = _unquote(text, pos)
        else:
            end = text.find(",", pos)
            end = len(text) if end == -1 else end
            value, pos = text[pos:end].strip(), end
        result.append(Matcher.of(name, op, value))
    return result


def parse_matcher(text: str) -> Matcher:
    found = parse_matchers(text)
    if len(found) != 1:
        raise ValueError(f"expected exactly one matcher in {text!r}")
    return found[0]
