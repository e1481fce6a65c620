"""``msteams_configs`` and ``msteamsv2_configs``: Alertmanager's Microsoft Teams receivers.

``msteams_configs`` (Office 365 connector "Incoming Webhook"): ``webhook_url`` /
``webhook_url_file``, ``title``, ``summary``, ``text``, ``http_config``, ``send_resolved``
(default true). It POSTs a legacy MessageCard, as Alertmanager does::

    {"@context": "http://schema.org/extensions", "type": "MessageCard",
     "title": "...", "summary": "...", "text": "<markdown>", "themeColor": "8C1A1A"}

``themeColor`` is red (8C1A1A) while anything fires, green (2DC72D) once all is resolved.
A connector answers 200 with the body ``1``. When Teams itself throttles or fails it may still
answer 200, with a body such as ``Microsoft Teams endpoint returned HTTP error 429 ...``:
that is read as the HTTP status it names (429 and 5xx are retried).

``msteamsv2_configs`` (Alertmanager 0.28+, Power Automate "Workflows"): ``webhook_url`` /
``webhook_url_file``, ``title``, ``text``, ``http_config``, ``send_resolved`` (default true).
It POSTs an Adaptive Card in the Workflows envelope::

    {"type": "message",
     "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                      "contentUrl": null,
                      "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                                  "type": "AdaptiveCard", "version": "1.2",
                                  "body": [{"type": "TextBlock", "text": "<title>",
                                            "weight": "Bolder", "size": "Medium", "wrap": true,
                                            "style": "heading", "color": "Attention"},
                                           {"type": "TextBlock", "text": "<text>", "wrap": true}],
                                  "msteams": {"width": "full"}}}]}

The title's colour is ``Attention`` while firing and ``Good`` when resolved. Workflows answer
202 Accepted. Both take the Markdown subset Teams renders (``**bold**``, ``- `` lists,
``[text](url)`` links); the default templates give the ``[FIRING:N] alertname (group
labels)`` title and, per alert, severity, summary, description and links to the runbook,
dashboard and source, then a link back to ``{ExternalURL}/alerts``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
import pydantic

from tocsin.channels.building import FieldError, compile_field
from tocsin.channels.http_config import HttpConfig, StrictModel, read_secret
from tocsin.channels.notification import Notification, SendResult, post_json
from tocsin.channels.registry import register
from tocsin.channels.templates import DEFAULT_TITLE, Template, TemplateError

__all__ = ["MSTeamsChannel", "MSTeamsConfig", "MSTeamsV2Channel", "MSTeamsV2Config"]

DEFAULT_TIMEOUT = 10.0
COLOR_FIRING = "8C1A1A"
COLOR_RESOLVED = "2DC72D"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"

# --- default templates --------------------------------------------------------------------


DEFAULT_TEXT = """\
{% for a in Alerts %}\
**{{ "Resolved" if a.Status == "resolved" else "Firing" }}: {{ a.Labels.alertname }}**\
{% if a.Labels.severity %} (severity {{ a.Labels.severity }}){% endif %}

{% if a.Annotations.summary %}{{ a.Annotations.summary }}

{% endif %}{% if a.Annotations.description %}{{ a.Annotations.description }}

{% endif %}\
{% set links = [("Runbook", a.Annotations.runbook_url),
                ("Dashboard", a.Annotations.dashboard_url), ("Source", a.GeneratorURL)]
   |selectattr("1")|list %}\
{% for name, url in links %}[{{ name }}]({{ url }}){% if not loop.last %} | {% endif %}\
{% endfor %}{% if links %}

{% endif %}\
{% endfor %}\
{% if ExternalURL %}[View in Tocsin]({{ ExternalURL.rstrip("/") }}/alerts){% endif %}"""

# --- configuration ------------------------------------------------------------------------


class _TeamsConfig(StrictModel):
    send_resolved: bool = True
    webhook_url: pydantic.AnyHttpUrl | None = None
    webhook_url_file: str | None = None
    title: str = DEFAULT_TITLE
    text: str = DEFAULT_TEXT
    http_config: HttpConfig = pydantic.Field(default_factory=HttpConfig)

    @pydantic.model_validator(mode="after")
    def _url(self) -> _TeamsConfig:
        if (self.webhook_url is None) == (self.webhook_url_file is None):
            raise ValueError("one of webhook_url or webhook_url_file is required")
        return self

    def url(self) -> str:
        if self.webhook_url is not None:
            return str(self.webhook_url)
        url = read_secret(None, self.webhook_url_file) or ""
        if not url.startswith(("http://", "https://")):
            raise FieldError("webhook_url_file", "does not hold an http(s) URL")
        return url


class MSTeamsConfig(_TeamsConfig):
    summary: str = DEFAULT_TITLE


class MSTeamsV2Config(_TeamsConfig):
    pass


# --- the wire format ----------------------------------------------------------------------


def message_card(title: str, summary: str, text: str, firing: bool) -> dict[str, Any]:
    return {
        "@context": "http://schema.org/extensions",
        "type": "MessageCard",
        "title": title,
        "summary": summary,
        "text": text,
        "themeColor": COLOR_FIRING if firing else COLOR_RESOLVED,
    }


def adaptive_card_message(title: str, text: str, firing: bool) -> dict[str, Any]:
    heading = {
        "type": "TextBlock",
        "text": title,
        "weight": "Bolder",
        "size": "Medium",
        "wrap": True,
        "style": "heading",
        "color": "Attention" if firing else "Good",
    }
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.2",
        "body": [heading, {"type": "TextBlock", "text": text, "wrap": True}],
        "msteams": {"width": "full"},
    }
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}],
    }


_CONNECTOR_ERROR = re.compile(r"HTTP error (\d{3})")


def teams_answer(response: httpx.Response) -> SendResult:
    """2xx is success, unless the body is a connector's "... returned HTTP error NNN"."""
    if not response.is_success:
        return SendResult.from_response(response)
    body = response.text.strip()
    found = _CONNECTOR_ERROR.search(body) if body not in ("", "1") else None
    if found is not None:
        code = int(found.group(1))
        return SendResult.failure(
            f"Teams: {body[:500]}",
            retryable=code >= 500 or code == 429,
            status_code=response.status_code,
        )
    return SendResult.success(response.status_code)


# --- the channels -------------------------------------------------------------------------


@dataclass
class _TeamsChannel:
    url: str = field(repr=False)  # the webhook URL is a secret
    title: Template
    text: Template
    send_resolved: bool = True
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)  # credentials
    own_client: httpx.Client | None = None

    @staticmethod
    def _common(cfg: _TeamsConfig) -> dict[str, Any]:
        http = cfg.http_config
        return {
            "url": cfg.url(),
            "title": compile_field(cfg.title, "title"),
            "text": compile_field(cfg.text, "text"),
            "send_resolved": cfg.send_resolved,
            "headers": http.headers(),
            "own_client": http.client(DEFAULT_TIMEOUT) if http.needs_own_client() else None,
        }

    def body(self, notification: Notification) -> dict[str, Any]:
        raise NotImplementedError

    def send(self, notification: Notification, client: httpx.Client) -> SendResult:
        try:
            body = self.body(notification)
        except TemplateError as exc:
            return SendResult.failure(str(exc), retryable=False)
        return post_json(
            self.own_client or client, self.url, body, headers=self.headers, answer=teams_answer
        )


@dataclass
class MSTeamsChannel(_TeamsChannel):
    kind: ClassVar[str] = "msteams_configs"
    summary: Template | None = None

    @classmethod
    def build(cls, cfg: MSTeamsConfig, globals_: Mapping[str, Any]) -> MSTeamsChannel:
        return cls(**cls._common(cfg), summary=compile_field(cfg.summary, "summary"))

    def body(self, notification: Notification) -> dict[str, Any]:
        summary = self.summary.render(notification) if self.summary is not None else ""
        return message_card(
            self.title.render(notification),
            summary,
            self.text.render(notification),
            firing=notification.status == "firing",
        )


@dataclass
class MSTeamsV2Channel(_TeamsChannel):
    kind: ClassVar[str] = "msteamsv2_configs"

    @classmethod
    def build(cls, cfg: MSTeamsV2Config, globals_: Mapping[str, Any]) -> MSTeamsV2Channel:
        return cls(**cls._common(cfg))

    def body(self, notification: Notification) -> dict[str, Any]:
        return adaptive_card_message(
            self.title.render(notification),
            self.text.render(notification),
            firing=notification.status == "firing",
        )


register("msteams_configs", MSTeamsConfig, MSTeamsChannel.build)
register("msteamsv2_configs", MSTeamsV2Config, MSTeamsV2Channel.build)
