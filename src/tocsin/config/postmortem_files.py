"""Postmortems as files (``tocsin postmortem export|sync``): Markdown with YAML front matter.

::

    ---
    incident: 42
    state: draft
    version: 3
    title: Checkout errors after the deploy
    root_cause_category: deploy
    authors: [ann]
    reviewers: [bob]
    updated_at: '2026-03-02T10:15:00+00:00'
    ---
    # Postmortem: Checkout errors after the deploy
    ...

``version`` is the stored version the file was written from; a sync uses it to tell an
edit of the latest text from an edit of an older one (a conflict). ``state`` and
``updated_at`` are for reading only. A mistake in the front matter is a FrontMatterError
naming its line in the file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from tocsin.domain.postmortems import Postmortem, normalise_body

__all__ = ["FrontMatterError", "PostmortemFile", "file_name", "parse", "slug", "write"]

_FENCE = "---"


class FrontMatterError(ValueError):
    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class PostmortemFile:
    """What a file says."""

    incident: int
    version: int
    title: str
    root_cause_category: str | None
    authors: tuple[str, ...]
    reviewers: tuple[str, ...]
    body: str
    state: str = ""


def slug(title: str, limit: int = 60) -> str:
    """``checkout-errors-after-the-deploy``: lower case letters and digits joined by ``-``."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    text = "-".join(words)[:limit].strip("-")
    return text or "postmortem"


def file_name(pm: Postmortem) -> str:
    return f"{pm.incident_id}-{slug(pm.title)}.md"


def write(pm: Postmortem) -> str:
    """The file's text for ``pm``."""
    front = {
        "incident": pm.incident_id,
        "state": pm.state.value,
        "version": pm.version,
        "title": pm.title,
        "root_cause_category": pm.root_cause_category,
        "authors": list(pm.authors),
        "reviewers": [r.user for r in pm.reviewers],
        "updated_at": pm.updated_at.isoformat(),
    }
    dumped = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)
    return f"{_FENCE}\n{dumped}{_FENCE}\n{pm.body}"


def _split(text: str) -> tuple[str, str]:
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != _FENCE:
        raise FrontMatterError(1, "a postmortem file starts with front matter: a line ---")
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() == _FENCE:
            return "\n".join(lines[1:i]) + "\n", "\n".join(lines[i + 1 :])
    raise FrontMatterError(1, "the front matter has no closing line ---")


def _key_lines(front: str) -> dict[str, int]:
    """Each top-level key's line in the file (the front matter starts on line 2)."""
    node = yaml.compose(front, Loader=yaml.SafeLoader)
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 2 for k, _ in node.value if isinstance(k, yaml.Node)}


def _people(data: dict[str, Any], key: str, line: int) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FrontMatterError(line, f"{key} must be a list of user ids, like [ann, bob]")
    return tuple(value)


def parse(text: str) -> PostmortemFile:
    """The file's front matter and body; FrontMatterError naming the line of a mistake."""
    front, body = _split(text)
    try:
        data = yaml.safe_load(front)
        lines = _key_lines(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 2
        raise FrontMatterError(line, f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise FrontMatterError(2, "the front matter must be keys and values (incident: 42)")

    def line_of(key: str) -> int:
        return lines.get(key, 2)

    for key in ("incident", "version"):
        value = data.get(key)
        if key not in data:
            raise FrontMatterError(2, f"{key} is missing")
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise FrontMatterError(line_of(key), f"{key} must be a whole number from 1")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise FrontMatterError(line_of("title"), "title must be some text")
    category = data.get("root_cause_category")
    if category is not None and not isinstance(category, str):
        raise FrontMatterError(line_of("root_cause_category"), "root_cause_category is text")
    return PostmortemFile(
        incident=data["incident"],
        version=data["version"],
        title=title,
        root_cause_category=category,
        authors=_people(data, "authors", line_of("authors")),
        reviewers=_people(data, "reviewers", line_of("reviewers")),
        body=normalise_body(body),
        state=str(data.get("state") or ""),
    )
