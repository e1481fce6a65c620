"""Markdown shown as HTML in a page (a postmortem's preview), safe whatever it says.

markdown-it-py renders CommonMark (with tables and strikethrough, and the HTML written in
it); nh3 (the Ammonia sanitiser) then keeps only harmless tags and attributes and
http(s)/mailto links: a script goes with its content, comments (Tocsin's block markers)
go, an ``onclick`` goes, a ``javascript:`` link loses its address. The document's headings move down
under the page's own (its top level becomes ``h3``), so the page keeps one ``h1``, and a
table's header cells say they head columns."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

__all__ = ["preview"]

_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h3", "h4", "h5", "h6", "hr", "li", "ol",
    "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"scope"}}


def preview(text: str, top: int = 3) -> Markup:
    """``text`` (Markdown) as sanitised HTML; its highest heading becomes ``h{top}``."""
    tokens = _MD.parse(text)
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    shift = top - min(levels) if levels else 0
    for t in tokens:
        if t.type in ("heading_open", "heading_close"):
            t.tag = f"h{min(6, int(t.tag[1]) + shift)}"
        elif t.type == "th_open":
            t.attrs = {"scope": "col"}  # screen readers say which column a cell is in
    html = _MD.renderer.render(tokens, _MD.options, {})
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(clean)  # sanitised just above
