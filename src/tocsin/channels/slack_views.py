"""Slack modals Tocsin opens (``views.open``), in Block Kit.

"Page someone" (from the incident card's button): one choice among people and schedules
(``static_select`` with option groups, at most 100 options each, as Slack allows) and an
optional message. Its ``callback_id`` is ``tocsin_page`` and its ``private_metadata`` the
incident id; the submission's values are ``who.target`` (``user:ID`` or ``schedule:NAME``)
and ``why.text``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["PAGE_CALLBACK", "page_modal"]

PAGE_CALLBACK = "tocsin_page"
MAX_OPTIONS = 100


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text[:75]}, "value": value[:150]}


def page_modal(
    incident_id: int, title: str, people: Sequence[tuple[str, str]], schedules: Sequence[str]
) -> dict[str, Any]:
    """``people``: (user id, display name)."""
    groups = []
    if people:
        groups.append(
            {
                "label": {"type": "plain_text", "text": "People"},
                "options": [_option(name, f"user:{uid}") for uid, name in people[:MAX_OPTIONS]],
            }
        )
    if schedules:
        groups.append(
            {
                "label": {"type": "plain_text", "text": "On call for"},
                "options": [_option(s, f"schedule:{s}") for s in schedules[:MAX_OPTIONS]],
            }
        )
    return {
        "type": "modal",
        "callback_id": PAGE_CALLBACK,
        "private_metadata": str(incident_id),
        "title": {"type": "plain_text", "text": "Page someone"},
        "submit": {"type": "plain_text", "text": "Page"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "section",
                "text": {"type": "plain_text", "text": f"#{incident_id} {title}"[:3000]},
            },
            {
                "type": "input",
                "block_id": "who",
                "label": {"type": "plain_text", "text": "Who"},
                "element": {
                    "type": "static_select",
                    "action_id": "target",
                    "placeholder": {"type": "plain_text", "text": "A person or a schedule"},
                    "option_groups": groups,
                },
            },
            {
                "type": "input",
                "block_id": "why",
                "optional": True,
                "label": {"type": "plain_text", "text": "Note for the timeline"},
                "element": {"type": "plain_text_input", "action_id": "text", "multiline": True},
            },
        ],
    }
