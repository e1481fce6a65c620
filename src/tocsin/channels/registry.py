"""Which receiver types Tocsin can send to, and building them from a configuration.

A receiver type Tocsin does not support yet (Alertmanager has many) is not an error, since an
existing alertmanager.yml must load unchanged, and it is never silently dropped: the
configuration check warns with its name and line, and every notification for it is recorded
as a failed delivery saying so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
import pydantic

from tocsin.channels.notification import Channel, ChannelSpec, Notification, SendResult
from tocsin.channels.templates import TemplateError
from tocsin.channels.webhook import WebhookChannel, WebhookConfig
from tocsin.config.validation import validated

__all__ = ["KINDS", "ChannelKind", "Receivers", "UnsupportedChannel", "build_receivers"]

Keys = list[str | int]
Problem = Callable[[Keys, str], None]
Receivers = dict[str, tuple[ChannelSpec, ...]]


@dataclass(frozen=True)
class ChannelKind:
    key: str
    model: type[pydantic.BaseModel]
    build: Callable[[Any, Mapping[str, Any]], Channel]

    @property
    def name(self) -> str:
        return self.key.removesuffix("_configs")


KINDS: dict[str, ChannelKind] = {}


def register(key: str, model: type[pydantic.BaseModel], build: Callable[..., Channel]) -> None:
    KINDS[key] = ChannelKind(key, model, build)


register("webhook_configs", WebhookConfig, WebhookChannel.build)


@dataclass
class UnsupportedChannel:
    """Stands in for a receiver type Tocsin cannot send to yet; every send fails visibly."""

    kind: ClassVar[str] = "unsupported"
    key: str
    send_resolved: bool = True

    def send(self, notification: Notification, client: httpx.Client) -> SendResult:
        return SendResult.failure(
            f"receiver type {self.key} is not supported by Tocsin yet", retryable=False
        )


def _load_optional_kinds() -> None:
    # Channels that live in their own modules register themselves on import.
    import importlib

    for module in ("slack", "email", "msteams", "telegram"):
        try:
            importlib.import_module(f"tocsin.channels.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tocsin.channels.{module}":
                raise


def build_receivers(
    raw_receivers: Sequence[Any], globals_: Mapping[str, Any], problem: Problem
) -> tuple[Receivers, list[tuple[Keys, str]]]:
    """Every receiver's channels, by receiver name; and warnings (keys, text) for the
    receiver types that are kept but cannot send yet. Problems go to ``problem``."""
    _load_optional_kinds()
    receivers: Receivers = {}
    warnings: list[tuple[Keys, str]] = []
    for i, raw in enumerate(raw_receivers):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            continue  # the schema check reports it
        specs: list[ChannelSpec] = []
        for key, configs in raw.items():
            if key in ("name", "escalation_policy"):
                continue
            keys: Keys = ["receivers", i, key]
            if not key.endswith("_configs"):
                problem(keys, "is not a known field")
                continue
            if not isinstance(configs, list):
                problem(keys, "must be a list")
                continue
            kind = KINDS.get(key)
            for j, cfg in enumerate(configs):
                if kind is None:
                    warnings.append(
                        (
                            [*keys, j],
                            f"receiver type {key} is not supported yet: "
                            "notifications to it are recorded as failed deliveries",
                        )
                    )
                    specs.append(
                        ChannelSpec(
                            raw["name"],
                            f"{key.removesuffix('_configs')}[{j}]",
                            UnsupportedChannel(key),
                        )
                    )
                    continue
                cfg, dropped = without_go_templates(cfg)
                for field in dropped:
                    warnings.append(
                        (
                            [*keys, j, field],
                            "is an Alertmanager (Go) template, which Tocsin does not run: "
                            "Tocsin's default is used instead; rewrite it in Jinja "
                            "(drop the leading dots) to customise it",
                        )
                    )
                channel = _build(kind, cfg, globals_, [*keys, j], problem)
                if channel is not None:
                    specs.append(ChannelSpec(raw["name"], f"{kind.name}[{j}]", channel))
        receivers[raw["name"]] = tuple(specs)
    return receivers, warnings


# Go's text/template, as Alertmanager's templates are written: {{ .CommonLabels.x }},
# {{ range .Alerts }}, {{ template "slack.default.title" . }}, {{- if ... }} ...
_GO_TEMPLATE = re.compile(
    r"\{\{-?\s*(\.|\$|range\b|end\b|template\b|define\b|if\s+\.|with\b|else\b|"
    r"printf\b|toUpper\b|toLower\b|title\b|len\s+\.|index\s+\.|join\b|safeHtml\b)"
)


def _has_go_template(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_GO_TEMPLATE.search(value))
    if isinstance(value, dict):
        return any(_has_go_template(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_go_template(v) for v in value)
    return False


def without_go_templates(cfg: Any) -> tuple[Any, list[str]]:
    """An existing alertmanager.yml must load unchanged, but its Go templates cannot run
    here: the keys holding one are left out (so the channel's default applies), and named."""
    if not isinstance(cfg, dict):
        return cfg, []
    dropped = [k for k, v in cfg.items() if _has_go_template(v)]
    return {k: v for k, v in cfg.items() if k not in dropped}, dropped


def _build(
    kind: ChannelKind, cfg: Any, globals_: Mapping[str, Any], keys: Keys, problem: Problem
) -> Channel | None:
    model = validated(kind.model, cfg if cfg is not None else {}, keys, problem)
    if model is None:
        return None
    try:
        return kind.build(model, globals_)
    except (TemplateError, ValueError) as exc:
        field = getattr(exc, "field", None)
        problem([*keys, field] if field else keys, str(exc))
        return None
