"""``telegram_configs``: Alertmanager's Telegram receiver, through the Bot API's sendMessage.

Configuration is Alertmanager's: ``api_url`` (default the global ``telegram_api_url``, else
``https://api.telegram.org``), ``bot_token`` / ``bot_token_file``, ``chat_id`` (required) /
``chat_id_file``, ``message_thread_id``, ``message``, ``disable_notifications``,
``parse_mode`` ("HTML" by default; "", "Markdown" or "MarkdownV2"), ``http_config`` and
``send_resolved`` (default true).

One notification is one request, ``POST {api_url}/bot{token}/sendMessage`` with JSON::

    {"chat_id": -1001234, "text": "...", "parse_mode": "HTML",
     "disable_notification": false, "message_thread_id": 42}

(``parse_mode`` is left out when empty, ``message_thread_id`` when unset.) Telegram answers
``{"ok": true, "result": {"message_id": ...}}`` or ``{"ok": false, "error_code": 400,
"description": "Bad Request: chat not found"}``; 429 ("Too Many Requests: retry after N")
and 5xx are retried, other refusals wait for the group's next change.

Telegram parses the text in ``parse_mode`` and refuses the whole message when that fails, so
alert content is escaped: with HTML, ``message`` is rendered with every value HTML-escaped
(``|safe`` opts out); with Markdown or MarkdownV2, the default message is plain text escaped
for that syntax (a custom ``message`` is sent as written). Telegram allows 4096 characters
of text; a longer message is cut there, without splitting an HTML tag or entity and closing
the tags it leaves open.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import httpx
import pydantic

from tocsin.channels.building import FieldError
from tocsin.channels.http_config import HttpConfig, StrictModel, read_secret
from tocsin.channels.notification import Notification, SendResult, post_json
from tocsin.channels.registry import register
from tocsin.channels.templates import Template, TemplateError

__all__ = ["TelegramChannel", "TelegramConfig"]

TELEGRAM_API = "https://api.telegram.org"
MAX_TEXT = 4096
DEFAULT_TIMEOUT = 10.0

# --- default templates --------------------------------------------------------------------

_TITLE = (
    '[{{ Status|upper }}{% if Status == "firing" %}:{{ Alerts.Firing|length }}{% endif %}] '
    '{{ Alerts|map(attribute="Labels.alertname")|select|unique|join(", ") or Receiver }}'
    '{% set rest = GroupLabels|dictsort|rejectattr("0", "eq", "alertname")|list %}'
    "{% if rest %} ({% for k, v in rest %}{{ k }}={{ v }}{% if not loop.last %}, "
    "{% endif %}{% endfor %}){% endif %}"
)

#: For parse_mode HTML; rendered with autoescaping, so only the tags written here are markup.
DEFAULT_HTML = (
    '{{ "🔥" if Status == "firing" else "✅" }} <b>'
    + _TITLE
    + """</b>
{% for a in Alerts %}
<b>{{ "Resolved" if a.Status == "resolved" else "Firing" }}: {{ a.Labels.alertname }}</b>\
{% if a.Labels.severity %} (severity {{ a.Labels.severity }}){% endif %}
{% if a.Annotations.summary %}{{ a.Annotations.summary }}
{% endif %}{% if a.Annotations.description %}<i>{{ a.Annotations.description }}</i>
{% endif %}\
{% set links = [("Runbook", a.Annotations.runbook_url),
                ("Dashboard", a.Annotations.dashboard_url), ("Source", a.GeneratorURL)]
   |selectattr("1")|list %}\
{% for name, url in links %}\
{% if url.startswith("http://") or url.startswith("https://") %}\
<a href="{{ url }}">{{ name }}</a>{% else %}{{ name }}: {{ url }}{% endif %}\
{% if not loop.last %} | {% endif %}{% endfor %}{% if links %}
{% endif %}\
{% endfor %}\
{% if ExternalURL %}
<a href="{{ ExternalURL.rstrip("/") }}/alerts">View in Tocsin</a>{% endif %}"""
)

#: For the other parse modes: plain text (escaped afterwards for Markdown and MarkdownV2).
DEFAULT_TEXT = (
    _TITLE
    + """
{% for a in Alerts %}
{{ "Resolved" if a.Status == "resolved" else "Firing" }}: {{ a.Labels.alertname }}\
{% if a.Labels.severity %} (severity {{ a.Labels.severity }}){% endif %}
{% if a.Annotations.summary %}{{ a.Annotations.summary }}
{% endif %}{% if a.Annotations.description %}{{ a.Annotations.description }}
{% endif %}\
{% if a.Annotations.runbook_url %}Runbook: {{ a.Annotations.runbook_url }}
{% endif %}{% if a.Annotations.dashboard_url %}Dashboard: {{ a.Annotations.dashboard_url }}
{% endif %}{% if a.GeneratorURL %}Source: {{ a.GeneratorURL }}
{% endif %}\
{% endfor %}\
{% if ExternalURL %}
View in Tocsin: {{ ExternalURL.rstrip("/") }}/alerts{% endif %}"""
)

ParseMode = Literal["", "Markdown", "MarkdownV2", "HTML"]

# --- configuration ------------------------------------------------------------------------


class TelegramConfig(StrictModel):
    send_resolved: bool = True
    api_url: pydantic.AnyHttpUrl | None = None
    bot_token: str | None = None
    bot_token_file: str | None = None
    chat_id: int | None = None
    chat_id_file: str | None = None
    message_thread_id: int | None = None
    message: str | None = None
    disable_notifications: bool = False
    parse_mode: ParseMode = "HTML"
    http_config: HttpConfig = pydantic.Field(default_factory=HttpConfig)

    @pydantic.model_validator(mode="after")
    def _required(self) -> TelegramConfig:
        if self.bot_token and self.bot_token_file:
            raise ValueError("at most one of bot_token and bot_token_file")
        if not (self.bot_token or self.bot_token_file):
            raise ValueError("one of bot_token or bot_token_file is required")
        if (self.chat_id is None) == (self.chat_id_file is None):
            raise ValueError("one of chat_id or chat_id_file is required")
        if self.chat_id == 0:
            raise ValueError("chat_id must not be 0")
        return self


# --- escaping and truncation --------------------------------------------------------------

_MARKDOWN_SPECIAL = {
    "Markdown": re.compile(r"([_*`\[])"),
    "MarkdownV2": re.compile(r"([_*\[\]()~`>#+\-=|{}.!\\])"),
}


def escape_markdown(text: str, mode: str) -> str:
    pattern = _MARKDOWN_SPECIAL.get(mode)
    return pattern.sub(r"\\\1", text) if pattern is not None else text


_HTML_TOKEN = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>|&#?\w+;|.", re.DOTALL)


def truncate(text: str, mode: str, limit: int = MAX_TEXT) -> str:
    """At most ``limit`` characters as Telegram counts them (after parsing), ending in "…".

    For HTML, tags count nothing and an entity counts one; the cut never splits either, and
    the tags still open are closed."""
    if mode != "HTML":
        if len(text) <= limit:
            return text
        cut = text[: limit - 1]
        if mode in _MARKDOWN_SPECIAL and cut.endswith("\\") and not cut.endswith("\\\\"):
            cut = cut[:-1]
        return cut + "…"
    tokens = list(_HTML_TOKEN.finditer(text))
    visible = sum(0 if t.group(2) else 1 for t in tokens)
    if visible <= limit:
        return text
    out: list[str] = []
    open_tags: list[str] = []
    count = 0
    for t in tokens:
        name = t.group(2)
        if name:
            if t.group(1):
                if name.lower() in open_tags:
                    open_tags.remove(name.lower())
            else:
                open_tags.append(name.lower())
            out.append(t.group(0))
            continue
        if count == limit - 1:
            break
        count += 1
        out.append(t.group(0))
    return "".join(out) + "…" + "".join(f"</{n}>" for n in reversed(open_tags))


# --- the channel --------------------------------------------------------------------------


@dataclass
class TelegramChannel:
    kind: ClassVar[str] = "telegram_configs"
    url: str = field(repr=False)  # holds the bot token
    chat_id: int
    message: Template
    parse_mode: str = "HTML"
    #: Escape the rendered message for Markdown (the default template is plain text).
    escape: bool = False
    message_thread_id: int | None = None
    disable_notification: bool = False
    send_resolved: bool = True
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)  # credentials
    own_client: httpx.Client | None = None
    #: Hidden from error texts: the token is part of the URL.
    token: str = field(default="", repr=False)

    @classmethod
    def build(cls, cfg: TelegramConfig, globals_: Mapping[str, Any]) -> TelegramChannel:
        token = read_secret(cfg.bot_token, cfg.bot_token_file)
        if not token:
            raise FieldError("bot_token_file" if cfg.bot_token_file else "bot_token", "is empty")
        if any(c in token for c in "/?# "):
            raise FieldError("bot_token", "is not a Telegram bot token")
        chat_id = cfg.chat_id
        if chat_id is None:
            raw = read_secret(None, cfg.chat_id_file) or ""
            try:
                chat_id = int(raw)
            except ValueError:
                raise FieldError("chat_id_file", "does not hold an integer chat id") from None
        api = str(cfg.api_url) if cfg.api_url is not None else None
        api = api or globals_.get("telegram_api_url") or TELEGRAM_API
        if not isinstance(api, str) or not api.startswith(("http://", "https://")):
            raise FieldError("api_url", f"{api!r} is not an http(s) URL")
        html = cfg.parse_mode == "HTML"
        source = (
            cfg.message if cfg.message is not None else (DEFAULT_HTML if html else DEFAULT_TEXT)
        )
        try:
            message = Template(source, html=html)
        except TemplateError as exc:
            exc.field = "message"  # type: ignore[attr-defined]
            raise
        http = cfg.http_config
        return cls(
            url=f"{api.rstrip('/')}/bot{token}/sendMessage",
            chat_id=chat_id,
            message=message,
            parse_mode=cfg.parse_mode,
            escape=cfg.message is None and cfg.parse_mode in _MARKDOWN_SPECIAL,
            message_thread_id=cfg.message_thread_id,
            disable_notification=cfg.disable_notifications,
            send_resolved=cfg.send_resolved,
            headers=http.headers(),
            own_client=http.client(DEFAULT_TIMEOUT) if http.needs_own_client() else None,
            token=token,
        )

    def body(self, notification: Notification) -> dict[str, Any]:
        """Raises TemplateError."""
        text = self.message.render(notification).strip()
        if self.escape:
            text = escape_markdown(text, self.parse_mode)
        body: dict[str, Any] = {
            "chat_id": self.chat_id,
            "text": truncate(text, self.parse_mode),
            "disable_notification": self.disable_notification,
        }
        if self.parse_mode:
            body["parse_mode"] = self.parse_mode
        if self.message_thread_id is not None:
            body["message_thread_id"] = self.message_thread_id
        return body

    def send(self, notification: Notification, client: httpx.Client) -> SendResult:
        try:
            body = self.body(notification)
        except TemplateError as exc:
            return SendResult.failure(str(exc), retryable=False)
        return post_json(
            self.own_client or client,
            self.url,
            body,
            headers=self.headers,
            answer=telegram_answer,
            secret=self.token,
        )


def telegram_answer(response: httpx.Response) -> SendResult:
    code = response.status_code
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        if response.is_success:
            return SendResult.failure(f"HTTP {code}: not a Bot API answer", status_code=code)
        return SendResult.from_response(response)
    if data.get("ok") is True and response.is_success:
        result = data.get("result")
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return SendResult.success(code, message_id=message_id)
    error_code = data.get("error_code")
    if not isinstance(error_code, int):
        error_code = code
    description = str(data.get("description") or f"HTTP {code}")
    return SendResult.failure(
        f"Telegram error {error_code}: {description}",
        retryable=error_code == 429 or error_code >= 500 or code == 429 or code >= 500,
        status_code=code,
    )


register("telegram_configs", TelegramConfig, TelegramChannel.build)
