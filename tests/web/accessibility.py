"""Accessibility basics any page can be checked for, from its HTML alone.

``check_page(html)`` returns the problems found (an empty list: none), each a sentence that
names the element, so a test can ``assert check_page(text) == []`` and read what is wrong.

It checks that every form control (input, select, textarea) has a name people hear (a
``<label for=its id>``, a wrapping ``<label>``, ``aria-label`` or ``aria-labelledby``); that
there is one ``h1`` and headings never skip a level going down; that table headers say what
they head (``scope``); that buttons and links have text (or ``aria-label``); and that ids
are unique (a label pointing at a duplicated id labels the wrong control).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

__all__ = ["check_page"]

#: Inputs that need no label: not shown, or their own text is their name.
_UNLABELLED_INPUTS = {"hidden", "submit", "button", "reset", "image"}
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass
class _Named:
    """A button or link being read: whether it has text or a label of its own."""

    tag: str
    described: str
    text: list[str] = field(default_factory=list)
    labelled: bool = False


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.controls: list[tuple[str, str, bool]] = []  # (description, id, has own label)
        self.label_for: set[str] = set()
        self.label_depth = 0
        self.headings: list[int] = []
        self.ids: dict[str, int] = {}
        self.problems: list[str] = []
        self.named: list[_Named] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if "id" in a:
            self.ids[a["id"]] = self.ids.get(a["id"], 0) + 1
        if tag == "label":
            if a.get("for"):
                self.label_for.add(a["for"])
            self.label_depth += 1
        elif tag in ("input", "select", "textarea"):
            kind = a.get("type", "text").lower() if tag == "input" else tag
            if tag == "input" and kind in _UNLABELLED_INPUTS:
                if kind in ("submit", "button", "reset") and not (
                    a.get("value", "").strip() or a.get("aria-label", "").strip()
                ):
                    self.problems.append(f"{_describe(tag, a)} has no text")
                return
            own = bool(
                self.label_depth
                or a.get("aria-label", "").strip()
                or a.get("aria-labelledby", "").strip()
            )
            self.controls.append((_describe(tag, a), a.get("id", ""), own))
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.headings.append(int(tag[1]))
        elif tag == "th" and not a.get("scope"):
            self.problems.append(f"{_describe(tag, a)} has no scope")
        if tag == "button" or (tag == "a" and "href" in a):
            labelled = bool(a.get("aria-label", "").strip() or a.get("aria-labelledby"))
            self.named.append(_Named(tag, _describe(tag, a), labelled=labelled))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.label_depth = max(0, self.label_depth - 1)
        elif tag in ("button", "a") and self.named and self.named[-1].tag == tag:
            done = self.named.pop()
            if self.named:  # a link in a button (or so): its text counts for both
                self.named[-1].text.extend(done.text)
            if not done.labelled and not "".join(done.text).strip():
                self.problems.append(f"{done.described} has no text")

    def handle_data(self, data: str) -> None:
        if self.named:
            self.named[-1].text.append(data)


def _describe(tag: str, attrs: dict[str, str]) -> str:
    bits = [tag]
    for key in ("type", "name", "id", "href"):
        if attrs.get(key):
            bits.append(f'{key}="{attrs[key]}"')
    return "<" + " ".join(bits) + ">"


def check_page(html: str) -> list[str]:
    """The accessibility problems of a page (empty: none found)."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    problems = list(reader.problems)
    for described, control_id, own in reader.controls:
        if not own and not (control_id and control_id in reader.label_for):
            problems.append(f"{described} has no label (label for= its id, or aria-label)")
    for found_id, count in reader.ids.items():
        if count > 1:
            problems.append(f'id="{found_id}" is used {count} times')
    levels = reader.headings
    if levels.count(1) != 1:
        problems.append(f"the page has {levels.count(1)} h1 headings (it needs exactly one)")
    if levels and levels[0] != 1:
        problems.append(f"the first heading is h{levels[0]}, not h1")
    for before, after in zip(levels, levels[1:], strict=False):
        if after > before + 1:
            problems.append(f"heading h{after} follows h{before}: a level is skipped")
    return problems
