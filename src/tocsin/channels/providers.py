"""The senders that page one person, built from the ``paging:`` section of tocsin.yaml::

    paging:
      sms_provider: twilio          # or sms_gateway; default: twilio when configured
      twilio: {account_sid: AC..., auth_token: ... | auth_token_file: ...,
               from: "+15550001111", messaging_service_sid: MG...,
               base_url: "https://api.twilio.com", timeout: 10s}
      sms_gateway: {url: ..., method: POST, content_type: json, headers: {}, params: {...},
                    success_status: [200], max_length: 1600, timeout: 10s}
      ntfy: {base_url: "https://ntfy.sh", token: ... | token_file: ...,
             username: ..., password: ... | password_file: ..., timeout: 10s}
      slack: {bot_token: ... | bot_token_file: ...,
              signing_secret: ... | signing_secret_file: ...,
              api_url: "https://slack.com/api/", timeout: 10s}
      webhook: {headers: {}, timeout: 10s}

SMS goes through Twilio or a generic gateway; voice calls need Twilio with a ``from`` number;
Slack needs a bot token; push (ntfy, the public server unless ``base_url`` names your own) and
webhooks need nothing. A method that cannot be used is in ``Providers.missing`` with the
reason, for the person's contact-method page and for the delivery record. Email is not built
here. ``Providers`` also carries the secrets that check inbound requests: Twilio's auth token
(SMS replies) and Slack's signing secret (button clicks). Every problem is reported with its
key (``paging.twilio.from: ...``); secrets given as ``*_file`` are read now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Annotated, Any, Literal, TypeVar

import httpx
import pydantic

from tocsin.channels.contact import ContactMethod, ContactSender
from tocsin.channels.http_config import Duration, StrictModel, read_secret
from tocsin.channels.ntfy import NTFY_URL, NtfySender
from tocsin.channels.personal_webhook import WebhookSender
from tocsin.channels.slack import SLACK_API
from tocsin.channels.slack_app import SlackApp
from tocsin.channels.slack_dm import SlackDirect
from tocsin.channels.sms_gateway import DEFAULT_PARAMS, GatewaySms, GatewayTemplate
from tocsin.channels.templates import TemplateError
from tocsin.channels.twilio import MAX_SMS, TWILIO_API, TwilioAccount, TwilioSms, TwilioVoice
from tocsin.config.validation import validated

__all__ = [
    "GatewaySettings",
    "NtfySettings",
    "Providers",
    "SlackSettings",
    "TwilioSettings",
    "WebhookSettings",
    "build_providers",
]

Keys = list[str | int]
Problem = Callable[[Keys, str], None]

DEFAULT_TIMEOUT = timedelta(seconds=10)
NO_SMS = "no SMS provider: configure paging.twilio or paging.sms_gateway"
NO_VOICE = "voice calls need paging.twilio"
NO_VOICE_FROM = "voice calls need paging.twilio.from (a messaging service cannot place calls)"
NO_SLACK = "Slack messages need paging.slack.bot_token (the Tocsin Slack app's bot token)"


def _http_url(value: str) -> str:
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


HttpUrl = Annotated[str, pydantic.AfterValidator(_http_url)]


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


class TwilioSettings(StrictModel):
    account_sid: str = pydantic.Field(min_length=1)
    auth_token: str | None = None
    auth_token_file: str | None = None
    from_: str | None = pydantic.Field(default=None, alias="from")
    messaging_service_sid: str | None = None
    base_url: HttpUrl = TWILIO_API
    timeout: Duration = DEFAULT_TIMEOUT


class GatewaySettings(StrictModel):
    url: HttpUrl
    method: Annotated[Literal["GET", "POST"], pydantic.BeforeValidator(_upper)] = "POST"
    content_type: Literal["json", "form"] = "json"
    headers: dict[str, str] = pydantic.Field(default_factory=dict)
    params: dict[str, str] = pydantic.Field(default_factory=lambda: dict(DEFAULT_PARAMS))
    success_status: list[Annotated[int, pydantic.Field(ge=100, le=599)]] = pydantic.Field(
        default_factory=list
    )
    max_length: int = pydantic.Field(default=MAX_SMS, ge=20)
    timeout: Duration = DEFAULT_TIMEOUT


class NtfySettings(StrictModel):
    base_url: HttpUrl = NTFY_URL
    token: str | None = None
    token_file: str | None = None
    username: str | None = None
    password: str | None = None
    password_file: str | None = None
    timeout: Duration = DEFAULT_TIMEOUT


class SlackSettings(StrictModel):
    bot_token: str | None = None
    bot_token_file: str | None = None
    #: Checks that button clicks (Slack's interactivity requests) come from Slack.
    signing_secret: str | None = None
    signing_secret_file: str | None = None
    api_url: HttpUrl = SLACK_API
    timeout: Duration = DEFAULT_TIMEOUT


class WebhookSettings(StrictModel):
    headers: dict[str, str] = pydantic.Field(default_factory=dict)
    timeout: Duration = DEFAULT_TIMEOUT


SECTIONS = ("sms_provider", "twilio", "sms_gateway", "ntfy", "slack", "webhook")


@dataclass(frozen=True)
class Providers:
    senders: Mapping[ContactMethod, ContactSender]
    #: Why a method cannot be used, e.g. "no SMS provider: configure paging.twilio ...".
    missing: Mapping[ContactMethod, str]
    #: paging.twilio's auth token, which signs Twilio's inbound webhooks (SMS replies).
    twilio_auth_token: str | None = field(default=None, repr=False)
    #: paging.slack.signing_secret, which signs Slack's interactivity requests (buttons).
    slack_signing_secret: str | None = field(default=None, repr=False)
    #: The Slack app for incident channels, slash commands and events.
    slack_app: SlackApp | None = None

    def sender(self, method: ContactMethod) -> ContactSender | str:
        """The sender for ``method``, or why there is none."""
        found = self.senders.get(method)
        if found is not None:
            return found
        return self.missing.get(method, f"no {method.value} sender is configured")


M = TypeVar("M", bound=pydantic.BaseModel)


def _validate(model: type[M], raw: Any, keys: Keys, problem: Problem) -> M | None:
    return validated(model, raw if raw is not None else {}, keys, problem)


@dataclass(frozen=True)
class _Secret:
    value: str | None
    ok: bool = True


def _secret(cfg: pydantic.BaseModel, name: str, keys: Keys, problem: Problem) -> _Secret:
    """``name`` or ``name_file`` of ``cfg``; a problem (and not ok) if both or unreadable."""
    value, file = getattr(cfg, name), getattr(cfg, f"{name}_file")
    if value and file:
        problem([*keys, f"{name}_file"], f"at most one of {name} and {name}_file")
        return _Secret(None, ok=False)
    try:
        secret = read_secret(value, file)
    except ValueError as exc:
        problem([*keys, f"{name}_file"], str(exc))
        return _Secret(None, ok=False)
    if file and not secret:
        problem([*keys, f"{name}_file"], f"{file} is empty")
        return _Secret(None, ok=False)
    return _Secret(secret or None)


def _twilio(raw: Any, keys: Keys, problem: Problem) -> tuple[TwilioSms, TwilioVoice | None] | None:
    """The SMS sender and, with a ``from`` number, the voice sender."""
    cfg = _validate(TwilioSettings, raw, keys, problem)
    if cfg is None:
        return None
    token = _secret(cfg, "auth_token", keys, problem)
    ok = token.ok
    if token.ok and not token.value:
        problem([*keys, "auth_token"], "is required (or auth_token_file)")
        ok = False
    if not (cfg.from_ or cfg.messaging_service_sid):
        problem([*keys, "from"], "is required (or messaging_service_sid)")
        ok = False
    if not ok or token.value is None:
        return None
    account = TwilioAccount(cfg.account_sid, token.value, cfg.base_url, cfg.timeout.total_seconds())
    sms = TwilioSms(account, cfg.from_, cfg.messaging_service_sid)
    return sms, (TwilioVoice(account, cfg.from_) if cfg.from_ else None)


def _gateway(raw: Any, keys: Keys, problem: Problem) -> GatewaySms | None:
    cfg = _validate(GatewaySettings, raw, keys, problem)
    if cfg is None:
        return None
    params: dict[str, GatewayTemplate] = {}
    for name, source in cfg.params.items():
        try:
            params[name] = GatewayTemplate(source)
        except TemplateError as exc:
            problem([*keys, "params", name], str(exc))
    if len(params) != len(cfg.params):
        return None
    return GatewaySms(
        cfg.url,
        http_method=cfg.method,
        content_type=cfg.content_type,
        headers=dict(cfg.headers),
        params=params,
        success_status=frozenset(cfg.success_status),
        timeout=cfg.timeout.total_seconds(),
        max_length=cfg.max_length,
    )


def _ntfy(raw: Any, keys: Keys, problem: Problem) -> NtfySender | None:
    cfg = _validate(NtfySettings, raw, keys, problem)
    if cfg is None:
        return None
    token = _secret(cfg, "token", keys, problem)
    password = _secret(cfg, "password", keys, problem)
    ok = token.ok and password.ok
    if token.value and cfg.username:
        problem([*keys, "username"], "at most one of token and username/password")
        ok = False
    if password.value and not cfg.username:
        problem([*keys, "username"], "is required with a password")
        ok = False
    if not ok:
        return None
    return NtfySender(
        cfg.base_url,
        token=token.value,
        username=cfg.username,
        password=password.value,
        timeout=cfg.timeout.total_seconds(),
    )


def _slack(raw: Any, keys: Keys, problem: Problem) -> tuple[SlackDirect, SlackApp] | None:
    """The sender and the app (which holds the signing secret)."""
    cfg = _validate(SlackSettings, raw, keys, problem)
    if cfg is None:
        return None
    token = _secret(cfg, "bot_token", keys, problem)
    signing = _secret(cfg, "signing_secret", keys, problem)
    if token.ok and not token.value:
        problem([*keys, "bot_token"], "is required (or bot_token_file)")
    if token.value is None or not signing.ok:
        return None
    timeout = cfg.timeout.total_seconds()
    return (
        SlackDirect(token.value, cfg.api_url, timeout),
        SlackApp(token.value, signing.value, cfg.api_url, timeout),
    )


def _webhook(raw: Any, keys: Keys, problem: Problem) -> WebhookSender | None:
    cfg = _validate(WebhookSettings, raw, keys, problem)
    if cfg is None:
        return None
    return WebhookSender(dict(cfg.headers), cfg.timeout.total_seconds())


def _invalid(section: str) -> str:
    return f"paging.{section} has configuration problems"


def build_providers(raw: Mapping[str, Any] | None, problem: Problem) -> Providers:
    """The senders of ``paging:`` (None when the file has none); problems go to
    ``problem(["paging", ...keys], text)``."""
    root: Keys = ["paging"]
    if raw is None:
        raw = {}
    elif not isinstance(raw, Mapping):
        problem(root, "must be a mapping")
        raw = {}
    for key in raw:
        if key not in SECTIONS:
            problem([*root, key], "is not a known field")
    senders: dict[ContactMethod, ContactSender] = {}
    missing: dict[ContactMethod, str] = {}

    def place(method: ContactMethod, sender: ContactSender | None, reason: str) -> None:
        if sender is not None:
            senders[method] = sender
        else:
            missing[method] = reason

    def given(section: str) -> bool:
        return raw.get(section) is not None

    twilio = _twilio(raw["twilio"], [*root, "twilio"], problem) if given("twilio") else None
    gateway = (
        _gateway(raw["sms_gateway"], [*root, "sms_gateway"], problem)
        if given("sms_gateway")
        else None
    )
    provider = _sms_provider(raw, problem)
    if provider == "twilio":
        place(ContactMethod.SMS, twilio[0] if twilio else None, _invalid("twilio"))
    elif provider == "sms_gateway":
        place(ContactMethod.SMS, gateway, _invalid("sms_gateway"))
    else:
        missing[ContactMethod.SMS] = NO_SMS

    if not given("twilio"):
        missing[ContactMethod.VOICE] = NO_VOICE
    elif twilio is None:
        missing[ContactMethod.VOICE] = _invalid("twilio")
    else:
        place(ContactMethod.VOICE, twilio[1], NO_VOICE_FROM)

    slack = _slack(raw["slack"], [*root, "slack"], problem) if given("slack") else None
    reason = _invalid("slack") if given("slack") else NO_SLACK
    place(ContactMethod.SLACK, slack[0] if slack else None, reason)
    place(ContactMethod.PUSH, _ntfy(raw.get("ntfy"), [*root, "ntfy"], problem), _invalid("ntfy"))
    place(
        ContactMethod.WEBHOOK,
        _webhook(raw.get("webhook"), [*root, "webhook"], problem),
        _invalid("webhook"),
    )
    return Providers(
        MappingProxyType(senders),
        MappingProxyType(missing),
        twilio_auth_token=twilio[0].account.auth_token if twilio else None,
        slack_signing_secret=slack[1].signing_secret if slack else None,
        slack_app=slack[1] if slack else None,
    )


def _sms_provider(raw: Mapping[str, Any], problem: Problem) -> str | None:
    """Which SMS provider to use: the one named, else Twilio when configured, else the
    gateway when configured, else none."""
    named = raw.get("sms_provider")
    keys: Keys = ["paging", "sms_provider"]
    if named is None:
        if raw.get("twilio") is not None:
            return "twilio"
        return "sms_gateway" if raw.get("sms_gateway") is not None else None
    if named not in ("twilio", "sms_gateway"):
        problem(keys, f"must be twilio or sms_gateway, not {named!r}")
        return None
    if raw.get(named) is None:
        problem(keys, f"is {named}, but paging.{named} is not configured")
        return None
    return str(named)
