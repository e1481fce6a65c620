"""How people's contact methods and notification rules read on a page, and which addresses a
viewer may see in full (a phone number or a webhook URL is someone's private address)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import urlsplit

from tocsin.domain.users import ContactMethod, Rule

__all__ = ["METHOD_WORDS", "delay_text", "delay_words", "method_words", "rules_text", "shown"]

#: What each method is called in a sentence: "SMS after 2 min, call after 5 min".
METHOD_WORDS = {
    ContactMethod.EMAIL.value: "email",
    ContactMethod.SMS.value: "SMS",
    ContactMethod.VOICE.value: "call",
    ContactMethod.PUSH.value: "push",
    ContactMethod.SLACK.value: "Slack",
    ContactMethod.WEBHOOK.value: "webhook",
}


def method_words(method: str) -> str:
    return METHOD_WORDS.get(method, method)


def delay_words(delay: timedelta) -> str:
    """``at once``, ``after 30 s``, ``after 2 min``, ``after 1 h 30 min``."""
    seconds = int(delay.total_seconds())
    if seconds <= 0:
        return "at once"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes else []
    parts += [f"{secs} s"] if secs else []
    return "after " + " ".join(parts)


def delay_text(delay: timedelta) -> str:
    """A delay as the form shows it (a duration the configuration file takes): 0m, 2m, 90s."""
    seconds = int(delay.total_seconds())
    if seconds % 3600 == 0 and seconds:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def rules_text(rules: Sequence[Rule]) -> str:
    """ "push at once, SMS after 2 min, call after 5 min"; "nothing" when there are none."""
    if not rules:
        return "nothing (no contact method)"
    return ", ".join(f"{method_words(r.method.value)} {delay_words(r.delay)}" for r in rules)


def _masked_phone(phone: str) -> str:
    if len(phone) <= 6:
        return "…"
    return f"{phone[:3]}…{phone[-3:]}"


def _masked_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        host = parts.hostname  # never the user:password@ part
        port = parts.port
    except ValueError:
        return "…"
    if not host:
        return "…"
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}/…"


def _masked_topic(topic: str) -> str:
    return f"{topic[:2]}…" if len(topic) > 4 else "…"


def shown(method: str, address: str | None, full: bool) -> tuple[str, bool]:
    """``address`` as this viewer may see it, and whether it was shortened. Phone numbers,
    webhook URLs (whose path is often a secret) and ntfy topics (a password, in effect) are
    shown in full only to the person themselves and to admins."""
    if not address:
        return "", False
    if full:
        return address, False
    if method in (ContactMethod.SMS.value, ContactMethod.VOICE.value, "phone"):
        return _masked_phone(address), True
    if method in (ContactMethod.WEBHOOK.value, "webhook_url"):
        return _masked_url(address), True
    if method in (ContactMethod.PUSH.value, "ntfy_topic"):
        # On a public ntfy server whoever knows the topic reads (and sends) the pages.
        return _masked_topic(address), True
    return address, False
