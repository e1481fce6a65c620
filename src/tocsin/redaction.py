"""Keeping secrets out of logs and stored error texts (docs/security.md#secrets).

Each place that handles a secret keeps it out of what it says (channels blank their tokens
in error texts); this is the net under them. ``remember`` is told every secret the
configuration holds when it loads; ``redact`` blanks those, and the secrets that can be
recognised by their shape (a Telegram bot token in a URL path, Slack tokens, a password in
a URL, an Authorization header's credentials), with ``<secret>``. ``install`` makes every
log record pass through ``redact`` (its message and its traceback), whichever logger made
it: Tocsin's, httpx's (which logs each request's URL at INFO), or any other.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from typing import Any

__all__ = ["MASK", "forget_all", "install", "redact", "remember"]

MASK = "<secret>"
#: Shorter values are not remembered: blanking every "admin" or "1234" in the logs would
#: garble them and hide nothing worth hiding.
MIN_LENGTH = 6

_lock = threading.Lock()
_known: frozenset[str] = frozenset()
_ordered: tuple[str, ...] = ()

_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    # Telegram: https://api.telegram.org/bot<id>:<token>/sendMessage
    (re.compile(r"(/bot)\d{3,}:[A-Za-z0-9_-]{10,}"), r"\1" + MASK),
    # Slack tokens: bot, user, app-level, configuration
    (re.compile(r"\bx(?:ox[abposre]|app)-[A-Za-z0-9-]{8,}"), MASK),
    # Slack incoming webhooks: https://hooks.slack.com/services/T…/B…/<secret>
    (re.compile(r"(/services/[A-Z0-9]+/[A-Z0-9]+/)[A-Za-z0-9]+"), r"\1" + MASK),
    # A password in a URL: scheme://user:password@host
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@"), r"\1" + MASK + "@"),
    # Credentials in a URL's query (?token=..., &api_key=...)
    (
        re.compile(
            r"(?i)([?&](?:token|access_token|api_key|apikey|key|secret|password|signature|sig)=)"
            r"[^&\s\"'#]+"
        ),
        r"\1" + MASK,
    ),
    # Credentials in an Authorization header, as printed by a client or a server
    (
        re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:basic|bearer|token)\s+)[^\s'\",]+"),
        r"\1" + MASK,
    ),
)


def remember(*secrets: str | None) -> None:
    """Secrets to blank from now on (those shorter than MIN_LENGTH are not)."""
    global _known, _ordered
    fresh = {s for s in secrets if s and len(s) >= MIN_LENGTH} - _known
    if not fresh:
        return
    with _lock:
        _known = _known | fresh
        _ordered = tuple(sorted(_known, key=len, reverse=True))


def forget_all() -> None:
    """Tests only: start again with no remembered secret."""
    global _known, _ordered
    with _lock:
        _known, _ordered = frozenset(), ()


def redact(text: str) -> str:
    """``text`` with every remembered secret, and every secret recognised by its shape,
    replaced by ``<secret>``."""
    # Shapes first: a remembered secret may be the start of a longer token (a test's
    # "xoxb-1"), and blanking it first would leave the token's tail unrecognised.
    for pattern, replacement in _SHAPES:
        text = pattern.sub(replacement, text)
    for secret in _ordered:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


_installed = False


def install() -> None:
    """Make every log record from now on pass through ``redact`` (once per process)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
        make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        _scrub(record)
        return record

    logging.setLogRecordFactory(factory)


def _scrub(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: logging reports it as it always does
        return
    if redact(message) != message:
        # Argument by argument, so that formatters that read ``args`` (uvicorn's access
        # log) still find them; the whole message if a secret spans them.
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        try:
            again = record.getMessage()
        except Exception:
            again = message
        if redact(again) != again or again == message:
            record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[0] is not None:
        text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = redact(text)


def _clean(value: Any) -> Any:
    if isinstance(value, int | float) or value is None:
        return value
    text = str(value)
    clean = redact(text)
    return value if clean == text else clean
