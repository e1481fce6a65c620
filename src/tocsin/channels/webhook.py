"""``webhook_configs``: Alertmanager's webhook, sending its exact version "4" payload, so that
every existing webhook consumer keeps working when Tocsin replaces Alertmanager."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
import pydantic

from tocsin.channels.http_config import Duration, HttpConfig, StrictModel, read_secret
from tocsin.channels.notification import Notification, SendResult, post_json
from tocsin.channels.webhook_payload import build_payload

__all__ = ["WebhookChannel", "WebhookConfig"]


class WebhookConfig(StrictModel):
    send_resolved: bool = True
    url: pydantic.AnyHttpUrl | None = None
    url_file: str | None = None
    max_alerts: int = pydantic.Field(default=0, ge=0)
    timeout: Duration | None = None
    http_config: HttpConfig = pydantic.Field(default_factory=HttpConfig)

    @pydantic.model_validator(mode="after")
    def _url(self) -> WebhookConfig:
        if (self.url is None) == (self.url_file is None):
            raise ValueError("one of url or url_file is required")
        return self


@dataclass
class WebhookChannel:
    kind: ClassVar[str] = "webhook_configs"
    url: str = field(repr=False)  # often carries a token
    send_resolved: bool = True
    max_alerts: int = 0
    timeout: float | None = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)  # credentials
    own_client: httpx.Client | None = None
    #: ``http_config.follow_redirects`` (Alertmanager's default: true); each hop is checked.
    follow_redirects: bool = True

    @classmethod
    def build(cls, cfg: WebhookConfig, globals_: Mapping[str, Any]) -> WebhookChannel:
        url = str(cfg.url) if cfg.url is not None else read_secret(None, cfg.url_file) or ""
        timeout = cfg.timeout.total_seconds() if cfg.timeout is not None else None
        http = cfg.http_config
        return cls(
            url=url,
            send_resolved=cfg.send_resolved,
            max_alerts=cfg.max_alerts,
            timeout=timeout,
            headers=http.headers(),
            own_client=http.client(timeout or 10.0) if http.needs_own_client() else None,
            follow_redirects=http.follow_redirects,
        )

    def send(self, notification: Notification, client: httpx.Client) -> SendResult:
        body = build_payload(
            receiver=notification.receiver,
            group_key=notification.group_key,
            group_labels=notification.group_labels,
            alerts=notification.alerts,
            external_url=notification.external_url,
            max_alerts=self.max_alerts,
            reason=notification.reason or None,
        )
        return post_json(
            self.own_client or client,
            self.url,
            body,
            headers=self.headers,
            timeout=self.timeout,
            follow_redirects=self.follow_redirects,
        )
