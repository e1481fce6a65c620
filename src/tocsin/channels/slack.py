"""``slack_configs``: Alertmanager's Slack receiver, plus posting as a Slack app (bot token).

Configuration is Alertmanager's: ``api_url`` / ``api_url_file`` (falling back to the global
``slack_api_url`` / ``slack_api_url_file``), ``channel``, ``username``, ``color``, ``title``,
``title_link``, ``pretext``, ``text``, ``message_text``, ``fields``, ``short_fields``,
``footer``, ``fallback``, ``callback_id``, ``icon_emoji``, ``icon_url``, ``image_url``,
``thumb_url``, ``link_names``, ``mrkdwn_in``, ``actions``, ``timeout``, ``http_config`` and
``send_resolved`` (default false). Every text field is a Jinja template (see ``templates``).

The wire format is Alertmanager's, one legacy attachment per notification::

    {"channel": "#ops", "username": "...", "icon_emoji": "...", "link_names": true,
     "text": "<message_text>",
     "attachments": [{"title": "[FIRING:2] ...", "title_link": "...", "pretext": "...",
                      "text": "...", "fallback": "...", "callback_id": "", "footer": "",
                      "color": "danger", "mrkdwn_in": ["fallback", "pretext", "text"],
                      "fields": [{"title": "...", "value": "...", "short": false}],
                      "actions": [{"type": "button", "text": "...", "url": "..."}]}]}

Keys Alertmanager omits when empty are omitted here too. It is sent one of two ways:

* an incoming webhook (``api_url``): POSTed as JSON; Slack answers 200 with the body ``ok``,
  or a 4xx naming the problem (``channel_not_found``...). An ``api_url`` pointing at the Web
  API (``.../chat.postMessage`` with an ``http_config`` bearer token) answers JSON
  ``{"ok": true|false, "error": ...}``, which is read as such.
* a Slack app (Tocsin extension; ``bot_token`` / ``bot_token_file``, or Alertmanager 0.29's
  ``app_token`` / ``app_token_file`` / ``app_url``): sent with slack_sdk's
  ``WebClient.chat_postMessage`` to ``channel`` (required). ``api_url`` or ``app_url``, when
  given, names the Web API (``https://slack.com/api/`` by default). Slack answers
  ``{"ok": false, "error": "..."}`` for failures: ``ratelimited`` and Slack's own internal
  errors are retried; the rest (``channel_not_found``, ``invalid_auth``...) wait for the
  group's next change. The message's ``ts`` and ``channel`` are kept in the result.

Default templates: title ``[FIRING:N] alertname (group labels)``; per alert its severity,
summary and description annotations and links (``runbook_url``, ``dashboard_url``, the
generator URL) in Slack's ``<url|text>`` form; a link back to ``{ExternalURL}/alerts``;
colour ``danger`` (critical or no severity), ``warning`` (only warning/info severities) or
``good`` (resolved). Alert text is escaped for mrkdwn (``&``, ``<``, ``>``), so an annotation
cannot ping ``<!channel>`` or forge a link.
"""

from __future__ import annotations

import http.client
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
import pydantic
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from tocsin.channels.building import FieldError, compile_field
from tocsin.channels.http_config import Duration, HttpConfig, StrictModel, read_secret
from tocsin.channels.notification import Notification, SendResult, transport_failure
from tocsin.channels.registry import register
from tocsin.channels.slack_web import SlackWebClient
from tocsin.channels.templates import DEFAULT_TITLE, Template, TemplateError

__all__ = ["SlackChannel", "SlackConfig", "SlackMessage"]

SLACK_API = "https://slack.com/api/"
#: Alertmanager truncates the attachment title to this many characters.
MAX_TITLE = 1024
#: Slack Web API errors worth retrying; every other ``ok: false`` is a request to fix.
RETRYABLE_ERRORS = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable",
     "request_timeout"}
)  # fmt: skip
DEFAULT_TIMEOUT = 10.0

# --- default templates --------------------------------------------------------------------

#: Escapes alert text for Slack mrkdwn; a URL additionally loses "|", which would end it.
_ESCAPE = (
    '{%- macro e(s) -%}{{ s|string|replace("&", "&amp;")|replace("<", "&lt;")'
    '|replace(">", "&gt;") }}{%- endmacro -%}'
    '{%- macro link(url, text) -%}{% if url.startswith("http://") or url.startswith("https://")'
    ' %}<{{ e(url)|replace("|", "%7C") }}|{{ text }}>{% else %}{{ text }}: {{ e(url) }}'
    "{% endif %}{%- endmacro -%}"
)


DEFAULT_TITLE_LINK = '{% if ExternalURL %}{{ ExternalURL.rstrip("/") }}/alerts{% endif %}'

DEFAULT_TEXT = (
    _ESCAPE
    + """\
{% for a in Alerts %}\
*{{ "Resolved" if a.Status == "resolved" else "Firing" }}: {{ e(a.Labels.alertname) }}*\
{% if a.Labels.severity %} · severity `{{ e(a.Labels.severity) }}`{% endif %}
{% if a.Annotations.summary %}{{ e(a.Annotations.summary) }}
{% endif %}{% if a.Annotations.description %}{{ e(a.Annotations.description) }}
{% endif %}\
{% set links = [("Runbook", a.Annotations.runbook_url),
                ("Dashboard", a.Annotations.dashboard_url), ("Source", a.GeneratorURL)]
   |selectattr("1")|list %}\
{% for name, url in links %}{{ link(url, name) }}{% if not loop.last %} · {% endif %}\
{% endfor %}{% if links %}
{% endif %}\
{% endfor %}\
{% if ExternalURL %}{{ link(ExternalURL.rstrip("/") ~ "/alerts", "View in Tocsin") }}{% endif %}"""
)

DEFAULT_COLOR = (
    '{% if Status == "resolved" %}good'
    '{% elif Alerts.Firing|rejectattr("Labels.severity", "in", ["warning", "info", "none"])'
    "|list %}danger{% else %}warning{% endif %}"
)

DEFAULT_FALLBACK = (
    DEFAULT_TITLE + '{% if ExternalURL %} | {{ ExternalURL.rstrip("/") }}/alerts{% endif %}'
)

# --- configuration ------------------------------------------------------------------------


class SlackField(StrictModel):
    title: str = pydantic.Field(min_length=1)
    value: str = pydantic.Field(min_length=1)
    short: bool | None = None


class SlackConfirm(StrictModel):
    text: str = pydantic.Field(min_length=1)
    title: str = ""
    ok_text: str = ""
    dismiss_text: str = ""


class SlackAction(StrictModel):
    type: str = pydantic.Field(min_length=1)
    text: str = pydantic.Field(min_length=1)
    url: str = ""
    style: str = ""
    name: str = ""
    value: str = ""
    confirm: SlackConfirm | None = None

    @pydantic.model_validator(mode="after")
    def _target(self) -> SlackAction:
        if not (self.url or self.name):
            raise ValueError("a Slack action needs a url or a name")
        return self


class SlackConfig(StrictModel):
    send_resolved: bool = False
    api_url: pydantic.AnyHttpUrl | None = None
    api_url_file: str | None = None
    #: Tocsin extension: post as a Slack app with chat.postMessage.
    bot_token: str | None = None
    bot_token_file: str | None = None
    #: Alertmanager 0.29's names for the same thing.
    app_token: str | None = None
    app_token_file: str | None = None
    app_url: pydantic.AnyHttpUrl | None = None
    channel: str = ""
    username: str = ""
    color: str = DEFAULT_COLOR
    title: str = DEFAULT_TITLE
    title_link: str = DEFAULT_TITLE_LINK
    pretext: str = ""
    text: str = DEFAULT_TEXT
    message_text: str = ""
    fields: list[SlackField] = pydantic.Field(default_factory=list)
    short_fields: bool = False
    footer: str = ""
    fallback: str = DEFAULT_FALLBACK
    callback_id: str = ""
    icon_emoji: str = ""
    icon_url: str = ""
    image_url: str = ""
    thumb_url: str = ""
    link_names: bool = False
    mrkdwn_in: list[str] = pydantic.Field(default_factory=list)
    actions: list[SlackAction] = pydantic.Field(default_factory=list)
    update_message: bool = False
    timeout: Duration | None = None
    http_config: HttpConfig = pydantic.Field(default_factory=HttpConfig)

    @pydantic.model_validator(mode="after")
    def _sources(self) -> SlackConfig:
        if self.api_url is not None and self.api_url_file:
            raise ValueError("at most one of api_url and api_url_file")
        tokens = [self.bot_token, self.bot_token_file, self.app_token, self.app_token_file]
        if sum(1 for t in tokens if t) > 1:
            raise ValueError("at most one of bot_token, bot_token_file, app_token, app_token_file")
        if any(tokens) and self.api_url_file:
            raise ValueError("api_url_file is for webhooks; with a bot token use api_url")
        if self.update_message:
            raise ValueError("update_message is not supported by Tocsin yet")
        return self

    @property
    def uses_bot(self) -> bool:
        return any((self.bot_token, self.bot_token_file, self.app_token, self.app_token_file))


# --- the message --------------------------------------------------------------------------

_ATTACHMENT_KEYS = (
    "title", "title_link", "pretext", "text", "fallback", "callback_id", "image_url",
    "thumb_url", "footer", "color",
)  # fmt: skip
_REQUEST_KEYS = ("channel", "username", "icon_emoji", "icon_url", "message_text")
#: Attachment keys Alertmanager always sends, even empty.
_ALWAYS = frozenset({"text", "fallback", "callback_id", "footer"})


@dataclass(frozen=True)
class SlackMessage:
    """Compiled templates; ``render`` gives Alertmanager's request body."""

    templates: Mapping[str, Template]
    fields: tuple[tuple[Template, Template, bool], ...] = ()
    actions: tuple[tuple[SlackAction, Mapping[str, Template]], ...] = ()
    link_names: bool = False
    mrkdwn_in: tuple[str, ...] = ("fallback", "pretext", "text")

    @classmethod
    def from_config(cls, cfg: SlackConfig) -> SlackMessage:
        sources = {k: getattr(cfg, k) for k in (*_ATTACHMENT_KEYS, *_REQUEST_KEYS)}
        fields = tuple(
            (
                compile_field(f.title, f"fields[{i}].title"),
                compile_field(f.value, f"fields[{i}].value"),
                f.short if f.short is not None else cfg.short_fields,
            )
            for i, f in enumerate(cfg.fields)
        )
        actions = []
        for i, a in enumerate(cfg.actions):
            texts = {k: getattr(a, k) for k in ("type", "text", "url", "style", "name", "value")}
            if a.confirm is not None and not a.url:
                for k in ("text", "title", "ok_text", "dismiss_text"):
                    texts[f"confirm.{k}"] = getattr(a.confirm, k)
            actions.append(
                (a, {k: compile_field(v, f"actions[{i}].{k}") for k, v in texts.items()})
            )
        return cls(
            templates={k: compile_field(v, k) for k, v in sources.items()},
            fields=fields,
            actions=tuple(actions),
            link_names=cfg.link_names,
            mrkdwn_in=tuple(cfg.mrkdwn_in) or cls.mrkdwn_in,
        )

    def render(self, n: Notification) -> dict[str, Any]:
        """Raises TemplateError."""
        out = {k: t.render(n) for k, t in self.templates.items()}
        title = out["title"]
        if len(title) > MAX_TITLE:
            out["title"] = title[: MAX_TITLE - 1] + "…"
        attachment: dict[str, Any] = {k: out[k] for k in _ATTACHMENT_KEYS if out[k] or k in _ALWAYS}
        if self.fields:
            attachment["fields"] = [
                {"title": t.render(n), "value": v.render(n), "short": short}
                for t, v, short in self.fields
            ]
        if self.actions:
            attachment["actions"] = [self._action(texts, n) for _, texts in self.actions]
        attachment["mrkdwn_in"] = list(self.mrkdwn_in)
        body: dict[str, Any] = {
            k: out[k] for k in ("channel", "username", "icon_emoji", "icon_url") if out[k]
        }
        if self.link_names:
            body["link_names"] = True
        if out["message_text"]:
            body["text"] = out["message_text"]
        body["attachments"] = [attachment]
        return body

    @staticmethod
    def _action(texts: Mapping[str, Template], n: Notification) -> dict[str, Any]:
        rendered = {k: t.render(n) for k, t in texts.items()}
        action: dict[str, Any] = {
            k: v for k, v in rendered.items() if v and not k.startswith("confirm.")
        }
        confirm = {
            k.removeprefix("confirm."): v
            for k, v in rendered.items()
            if v and k.startswith("confirm.")
        }
        if confirm:
            action["confirm"] = confirm
        return action


# --- answers ------------------------------------------------------------------------------


def _api_answer(status: int, data: Any) -> SendResult:
    """A Web API answer: ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``."""
    if not isinstance(data, Mapping):
        return SendResult.failure(
            f"HTTP {status}: unexpected answer from Slack", status_code=status
        )
    if data.get("ok") is True and 200 <= status < 300:
        return SendResult.success(status, ts=data.get("ts"), channel=data.get("channel"))
    error = str(data.get("error") or f"HTTP {status}")
    retryable = status >= 500 or status == 429 or error in RETRYABLE_ERRORS
    return SendResult.failure(f"Slack error: {error}", retryable=retryable, status_code=status)


def _webhook_answer(response: httpx.Response) -> SendResult:
    if not response.is_success:
        return SendResult.from_response(response)
    if response.headers.get("content-type", "").startswith("application/json"):
        try:
            data = response.json()
        except ValueError:
            data = None
        return _api_answer(response.status_code, data)
    if response.text.strip() != "ok":
        return SendResult.failure(
            f"Slack answered {response.text[:200]!r}, not 'ok'",
            retryable=False,
            status_code=response.status_code,
        )
    return SendResult.success(response.status_code)


def _api_base(url: str | None) -> str:
    """The Web API root from ``api_url``/``app_url``, which may name chat.postMessage."""
    if not url:
        return SLACK_API
    base = url.split("?", 1)[0].rstrip("/").removesuffix("/chat.postMessage")
    return base + "/"


# --- the channel --------------------------------------------------------------------------


@dataclass
class SlackChannel:
    kind: ClassVar[str] = "slack_configs"
    message: SlackMessage
    #: An incoming webhook (or Web API method) URL; None when posting as an app.
    url: str | None = field(default=None, repr=False)  # a webhook URL is a secret
    #: The Web API client when posting as an app.
    bot: WebClient | None = None
    send_resolved: bool = False
    timeout: float | None = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)  # credentials
    own_client: httpx.Client | None = None

    @classmethod
    def build(cls, cfg: SlackConfig, globals_: Mapping[str, Any]) -> SlackChannel:
        message = SlackMessage.from_config(cfg)
        timeout = cfg.timeout.total_seconds() if cfg.timeout else None
        http = cfg.http_config
        if cfg.uses_bot:
            token = read_secret(
                cfg.bot_token or cfg.app_token, cfg.bot_token_file or cfg.app_token_file
            )
            key = "bot_token_file" if cfg.bot_token_file else "bot_token"
            if not token:
                raise FieldError(key, "the bot token is empty")
            if not cfg.channel:
                raise FieldError("channel", "is required when posting with a bot token")
            api = cfg.app_url or cfg.api_url
            bot = SlackWebClient(
                token,
                _api_base(str(api) if api is not None else None),
                timeout or DEFAULT_TIMEOUT,
                ssl=http.tls_context(),
                proxy=http.proxy_url,
            )
            return cls(message, bot=bot, send_resolved=cfg.send_resolved, timeout=timeout)
        url = _webhook_url(cfg, globals_)
        return cls(
            message,
            url=url,
            send_resolved=cfg.send_resolved,
            timeout=timeout,
            headers=http.headers(),
            own_client=http.client(timeout or DEFAULT_TIMEOUT) if http.needs_own_client() else None,
        )

    def send(self, notification: Notification, client: httpx.Client) -> SendResult:
        try:
            body = self.message.render(notification)
        except TemplateError as exc:
            return SendResult.failure(str(exc), retryable=False)
        if self.bot is not None:
            return self._post_as_app(body)
        assert self.url is not None
        try:
            response = (self.own_client or client).post(
                self.url,
                json=body,
                headers=dict(self.headers),
                timeout=self.timeout if self.timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            return transport_failure(exc)
        return _webhook_answer(response)

    def _post_as_app(self, body: dict[str, Any]) -> SendResult:
        assert self.bot is not None
        body = dict(body)
        channel = body.pop("channel")
        try:
            response = self.bot.chat_postMessage(channel=channel, **body)
        except SlackApiError as exc:
            answer = exc.response
            return _api_answer(int(answer.status_code), answer.data)
        except (SlackClientError, OSError, http.client.HTTPException) as exc:
            return SendResult.failure(f"{type(exc).__name__}: {exc}".rstrip(": "))
        return _api_answer(response.status_code, response.data)


def _webhook_url(cfg: SlackConfig, globals_: Mapping[str, Any]) -> str:
    if cfg.api_url is not None:
        return str(cfg.api_url)
    if cfg.api_url_file:
        url = read_secret(None, cfg.api_url_file)
        key = "api_url_file"
    else:
        url = read_secret(globals_.get("slack_api_url"), globals_.get("slack_api_url_file"))
        key = "api_url"
        if url is None:
            raise FieldError(
                "api_url",
                "no Slack URL: set api_url, api_url_file, bot_token or global.slack_api_url",
            )
    if not url or not url.startswith(("http://", "https://")):
        raise FieldError(key, f"{url!r} is not an http(s) URL")
    return url


register("slack_configs", SlackConfig, SlackChannel.build)
