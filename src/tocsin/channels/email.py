"""``email_configs``: Alertmanager's email receiver, sent over SMTP with aiosmtplib.

Configuration is Alertmanager's: ``to`` (a comma-separated list), ``from``, ``smarthost``
(``host:port``), ``hello``, ``auth_*``, ``require_tls``, ``tls_config``, ``headers``, ``html``,
``text`` and ``send_resolved`` (default false). Missing values come from the ``global``
section (``smtp_from``, ``smtp_smarthost``, ``smtp_hello``, ``smtp_auth_*``,
``smtp_require_tls``, ``smtp_tls_config``), field by field, as Alertmanager fills them.
``to``, ``from``, every header value, ``text`` and ``html`` are Jinja templates (see
``templates``), compiled when the configuration loads; ``html`` escapes what it renders.

One delivery is one SMTP session:

* port 465 (or ``force_implicit_tls: true``) is TLS from the first byte; otherwise the
  session upgrades with STARTTLS whenever the server offers it. With ``require_tls`` (the
  default) a server that does not offer STARTTLS is a failure, never a plain-text session.
  That failure is not retried: the server's capabilities will not change in the next
  seconds, and the message says which side to fix.
* with ``auth_username`` set and AUTH advertised, the first mechanism the server lists that
  the configured secrets allow is used: CRAM-MD5 (``auth_secret``), PLAIN (``auth_password``,
  with ``auth_identity``) or LOGIN.
* the message is multipart/alternative, a text part then an HTML part, with Subject, To and
  From (overridable in ``headers``), Date and Message-Id.

Failures come back as ``SendResult``s with the SMTP code and text: 4xx replies, refused or
dropped connections and timeouts are retryable; 5xx replies are not. When the server refuses
some recipients but takes the message for the others, the result is a non-retryable failure
naming them (a retry would mail the others twice).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, getaddresses, make_msgid
from typing import Any, ClassVar

import aiosmtplib
import httpx
import pydantic

from tocsin.channels.building import FieldError, compile_field
from tocsin.channels.http_config import StrictModel, TlsConfig, read_secret
from tocsin.channels.notification import Notification, SendResult
from tocsin.channels.registry import register
from tocsin.channels.templates import Template, TemplateError

__all__ = ["EmailChannel", "EmailConfig"]

#: Seconds allowed for connecting and for each SMTP command; a whole session gets twice that.
TIMEOUT = 30.0
#: Headers Tocsin writes itself from the parts; a configuration may not set them.
RESERVED_HEADERS = frozenset({"Content-Type", "Content-Transfer-Encoding", "Mime-Version"})
TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}

# --- default templates --------------------------------------------------------------------

DEFAULT_SUBJECT = (
    '[{{ Status|upper }}{% if Status == "firing" %}:{{ Alerts.Firing|length }}{% endif %}] '
    '{{ GroupLabels|dictsort|map(attribute="1")|join(" ") }}'
    '{% set rest = CommonLabels|dictsort|rejectattr("0", "in", GroupLabels)'
    '|map(attribute="1")|list %}'
    '{% if rest %} ({{ rest|join(" ") }}){% endif %}'
)

DEFAULT_TEXT = """\
{{ Alerts.Firing|length }} firing, {{ Alerts.Resolved|length }} resolved \
(receiver {{ Receiver }}).
{% for title, alerts in [("FIRING", Alerts.Firing), ("RESOLVED", Alerts.Resolved)] %}\
{% if alerts %}
{{ title }}
{% for a in alerts %}
* {{ a.Labels.alertname }}
  Labels: {{ a.Labels|join_labels }}
{% if a.Annotations.summary %}  Summary: {{ a.Annotations.summary }}
{% endif %}{% if a.Annotations.description %}  Description: {{ a.Annotations.description }}
{% endif %}  Started: {{ a.StartsAt.strftime("%Y-%m-%d %H:%M:%S %Z") }}
{% if a.EndsAt %}  Ended: {{ a.EndsAt.strftime("%Y-%m-%d %H:%M:%S %Z") }}
{% endif %}{% if a.Annotations.runbook_url %}  Runbook: {{ a.Annotations.runbook_url }}
{% endif %}{% if a.Annotations.dashboard_url %}  Dashboard: {{ a.Annotations.dashboard_url }}
{% endif %}{% if a.GeneratorURL %}  Source: {{ a.GeneratorURL }}
{% endif %}{% endfor %}{% endif %}{% endfor %}
{% if ExternalURL %}View in Tocsin: {{ ExternalURL.rstrip("/") }}/alerts
{% endif %}"""

DEFAULT_HTML = """\
{%- macro link(url, text) -%}
{%- if url.startswith("https://") or url.startswith("http://") -%}
<a href="{{ url }}">{{ text }}</a>
{%- else -%}{{ text }}: {{ url }}{%- endif -%}
{%- endmacro -%}
<!DOCTYPE html>
<html><head><meta charset="utf-8"></head>
<body style="font-family: Helvetica, Arial, sans-serif; font-size: 14px; color: #222;">
<p>{{ Alerts.Firing|length }} firing, {{ Alerts.Resolved|length }} resolved
(receiver {{ Receiver }}).</p>
{% for title, colour, alerts in [("Firing", "#c0392b", Alerts.Firing),
                                   ("Resolved", "#27ae60", Alerts.Resolved)] %}
{% if alerts %}
<h2 style="color: {{ colour }}; font-size: 18px;">{{ title }} ({{ alerts|length }})</h2>
{% for a in alerts %}
<div style="border-left: 4px solid {{ colour }}; padding: 4px 12px; margin: 12px 0;">
<strong>{{ a.Labels.alertname }}</strong>
{% if a.Annotations.summary %}<p>{{ a.Annotations.summary }}</p>{% endif %}
{% if a.Annotations.description %}<p>{{ a.Annotations.description }}</p>{% endif %}
<table style="font-size: 13px; border-collapse: collapse;">
{% for k, v in a.Labels|dictsort %}
<tr><td style="padding-right: 12px; color: #666;">{{ k }}</td><td>{{ v }}</td></tr>
{% endfor %}
<tr><td style="padding-right: 12px; color: #666;">started</td>
<td>{{ a.StartsAt.strftime("%Y-%m-%d %H:%M:%S %Z") }}</td></tr>
{% if a.EndsAt %}<tr><td style="padding-right: 12px; color: #666;">ended</td>
<td>{{ a.EndsAt.strftime("%Y-%m-%d %H:%M:%S %Z") }}</td></tr>{% endif %}
</table>
{% set links = [("Runbook", a.Annotations.runbook_url),
                ("Dashboard", a.Annotations.dashboard_url), ("Source", a.GeneratorURL)] %}
<p>{% for name, url in links if url %}{{ link(url, name) }}{% if not loop.last %} | {% endif %}
{%- endfor %}</p>
</div>
{% endfor %}
{% endif %}
{% endfor %}
{% if ExternalURL %}
<p>{{ link(ExternalURL.rstrip("/") ~ "/alerts", "View in Tocsin") }}</p>
{% endif %}
</body></html>
"""

# --- configuration ------------------------------------------------------------------------


def _canonical_header(name: str) -> str:
    """Go's ``CanonicalMIMEHeaderKey``, as Alertmanager normalises header names."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


class EmailConfig(StrictModel):
    send_resolved: bool = False
    to: str = pydantic.Field(min_length=1)
    from_: str | None = pydantic.Field(default=None, alias="from")
    smarthost: str | None = None
    hello: str | None = None
    auth_username: str | None = None
    auth_password: str | None = None
    auth_password_file: str | None = None
    auth_secret: str | None = None
    auth_secret_file: str | None = None
    auth_identity: str | None = None
    require_tls: bool | None = None
    force_implicit_tls: bool | None = None
    tls_config: TlsConfig | None = None
    headers: dict[str, str] = pydantic.Field(default_factory=dict)
    html: str | None = None
    text: str | None = None

    @pydantic.field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, template in value.items():
            key = _canonical_header(name)
            if not key or any(c <= " " or c == ":" or c > "~" for c in key):
                raise ValueError(f"invalid header name {name!r}")
            if key in RESERVED_HEADERS:
                raise ValueError(f"header {key} is set by Tocsin from the message parts")
            if key in out:
                raise ValueError(f"duplicate header {key!r}")
            out[key] = template
        return out

    @pydantic.model_validator(mode="after")
    def _secrets(self) -> EmailConfig:
        if self.auth_password and self.auth_password_file:
            raise ValueError("at most one of auth_password and auth_password_file")
        if self.auth_secret and self.auth_secret_file:
            raise ValueError("at most one of auth_secret and auth_secret_file")
        if self.html == "" and self.text == "":
            raise ValueError("at least one of html and text must be non-empty")
        return self


def _global(globals_: Mapping[str, Any], key: str) -> str | None:
    value = globals_.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError(key.removeprefix("smtp_"), f"global.{key} must be a string")
    return value


def _parse_smarthost(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise FieldError("smarthost", f"{value!r} must be host:port, e.g. smtp.example.com:587")
    return host, int(port)


def _tls_context(tls: TlsConfig | None) -> ssl.SSLContext:
    tls = tls or TlsConfig()
    try:
        context = ssl.create_default_context(cafile=tls.ca_file)
        if tls.insecure_skip_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if tls.cert_file or tls.key_file:
            if not (tls.cert_file and tls.key_file):
                raise FieldError("tls_config", "cert_file and key_file go together")
            context.load_cert_chain(tls.cert_file, tls.key_file)
    except (OSError, ssl.SSLError) as exc:
        raise FieldError("tls_config", f"cannot load TLS files: {exc}") from None
    if tls.min_version:
        version = TLS_VERSIONS.get(tls.min_version.upper())
        if version is None:
            raise FieldError("tls_config", f"min_version must be one of {', '.join(TLS_VERSIONS)}")
        context.minimum_version = version
    return context


# --- the channel --------------------------------------------------------------------------


@dataclass
class EmailChannel:
    kind: ClassVar[str] = "email_configs"
    to: Template
    sender: Template
    host: str
    port: int
    headers: Mapping[str, Template]
    text: Template | None
    html: Template | None
    hello: str = "localhost"
    send_resolved: bool = False
    require_tls: bool = True
    implicit_tls: bool = False
    tls_context: ssl.SSLContext = field(default_factory=ssl.create_default_context)
    tls_server_name: str | None = None
    auth_username: str | None = None
    auth_password: str | None = field(default=None, repr=False)
    auth_secret: str | None = field(default=None, repr=False)
    auth_identity: str | None = None
    timeout: float = TIMEOUT

    @classmethod
    def build(cls, cfg: EmailConfig, globals_: Mapping[str, Any]) -> EmailChannel:
        sender = cfg.from_ or _global(globals_, "smtp_from")
        if not sender:
            raise FieldError("from", "no sender: set from here or global.smtp_from")
        smarthost = cfg.smarthost or _global(globals_, "smtp_smarthost")
        if not smarthost:
            raise FieldError("smarthost", "no SMTP server: set smarthost or global.smtp_smarthost")
        host, port = _parse_smarthost(smarthost)
        password = read_secret(cfg.auth_password, cfg.auth_password_file)
        if not (cfg.auth_password or cfg.auth_password_file):
            password = read_secret(
                _global(globals_, "smtp_auth_password"),
                _global(globals_, "smtp_auth_password_file"),
            )
        secret = read_secret(cfg.auth_secret, cfg.auth_secret_file)
        if not (cfg.auth_secret or cfg.auth_secret_file):
            secret = read_secret(
                _global(globals_, "smtp_auth_secret"), _global(globals_, "smtp_auth_secret_file")
            )
        require_tls = cfg.require_tls
        if require_tls is None:
            require_tls = globals_.get("smtp_require_tls", True)
            if not isinstance(require_tls, bool):
                raise FieldError("require_tls", "global.smtp_require_tls must be true or false")
        implicit = cfg.force_implicit_tls
        if implicit is None:
            implicit = bool(globals_.get("smtp_force_implicit_tls")) or port == 465
        tls = cfg.tls_config
        if tls is None and globals_.get("smtp_tls_config") is not None:
            try:
                tls = TlsConfig.model_validate(globals_["smtp_tls_config"])
            except pydantic.ValidationError as exc:
                raise FieldError("tls_config", f"global.smtp_tls_config: {exc}") from None

        headers = dict(cfg.headers)
        headers.setdefault("Subject", DEFAULT_SUBJECT)
        headers.setdefault("To", cfg.to)
        headers.setdefault("From", sender)
        text = cfg.text if cfg.text is not None else DEFAULT_TEXT
        html = cfg.html if cfg.html is not None else DEFAULT_HTML
        return cls(
            to=compile_field(cfg.to, "to"),
            sender=compile_field(sender, "from"),
            host=host,
            port=port,
            headers={k: compile_field(v, "headers", prefix=k) for k, v in headers.items()},
            text=compile_field(text, "text") if text else None,
            html=compile_field(html, "html", html=True) if html else None,
            hello=cfg.hello or _global(globals_, "smtp_hello") or "localhost",
            send_resolved=cfg.send_resolved,
            require_tls=require_tls,
            implicit_tls=implicit,
            tls_context=_tls_context(tls),
            tls_server_name=tls.server_name if tls is not None else None,
            auth_username=cfg.auth_username or _global(globals_, "smtp_auth_username"),
            auth_password=password,
            auth_secret=secret,
            auth_identity=cfg.auth_identity or _global(globals_, "smtp_auth_identity"),
        )

    def send(self, notification: Notification, client: httpx.Client) -> SendResult:
        try:
            sender, recipients, message = self.compose(notification)
        except (TemplateError, ValueError) as exc:
            return SendResult.failure(f"cannot build the message: {exc}", retryable=False)
        return self.transmit(sender, recipients, message)

    def transmit(self, sender: str, recipients: list[str], message: bytes) -> SendResult:
        """One SMTP session delivering ``message``; failures say at which stage, and whether
        trying again may help."""
        try:
            return asyncio.run(
                asyncio.wait_for(self._session(sender, recipients, message), 2 * self.timeout)
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            return SendResult.failure(
                "all recipients refused: " + _refusals((r.recipient, r) for r in exc.recipients),
                retryable=any(code < 500 for code in codes),
                status_code=codes[0] if codes else None,
            )
        except aiosmtplib.SMTPResponseException as exc:
            return SendResult.failure(
                f"{_stage(exc)}: SMTP {exc.code} {exc.message}",
                retryable=exc.code < 500,
                status_code=exc.code,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError, ValueError) as exc:
            return SendResult.failure(
                f"{self.host}:{self.port}: {type(exc).__name__}: {exc}",
                retryable=not _cert_rejected(exc),
            )

    # --- the message ----------------------------------------------------------------------

    def compose(self, notification: Notification) -> tuple[str, list[str], bytes]:
        """Envelope sender, envelope recipients and the message, rendered for one send."""
        senders = [addr for _, addr in getaddresses([self.sender.render(notification)]) if addr]
        if len(senders) != 1:
            raise ValueError("from must render to exactly one address")
        recipients = [addr for _, addr in getaddresses([self.to.render(notification)]) if addr]
        if not recipients:
            raise ValueError("to renders to no address")

        msg = EmailMessage(policy=SMTP_POLICY)
        for name, template in self.headers.items():
            msg[name] = " ".join(template.render(notification).split())
        if "Date" not in msg:
            msg["Date"] = format_datetime(notification.sent_at or notification.alerts[0].starts_at)
        if "Message-Id" not in msg:
            msg["Message-Id"] = make_msgid(domain=senders[0].rpartition("@")[2] or self.hello)
        text = self.text.render(notification) if self.text is not None else None
        html = self.html.render(notification) if self.html is not None else None
        if text is not None:
            msg.set_content(text)
            if html is not None:
                msg.add_alternative(html, subtype="html")
        elif html is not None:
            msg.set_content(html, subtype="html")
        return senders[0], recipients, msg.as_bytes()

    # --- the SMTP session -----------------------------------------------------------------

    async def _session(self, sender: str, recipients: list[str], message: bytes) -> SendResult:
        server_name = self.tls_server_name or self.host
        sock = await asyncio.wait_for(
            asyncio.to_thread(socket.create_connection, (self.host, self.port), self.timeout),
            self.timeout,
        )
        smtp = aiosmtplib.SMTP(
            hostname=server_name,  # the name TLS verifies; the socket is already connected
            sock=sock,
            local_hostname=self.hello,
            timeout=self.timeout,
            use_tls=self.implicit_tls,
            start_tls=False,
            tls_context=self.tls_context,
        )
        try:
            await smtp.connect()
        except BaseException:
            sock.close()
            raise
        try:
            await self._hello(smtp)
            if not self.implicit_tls:
                if smtp.supports_extension("starttls"):
                    await smtp.starttls(server_hostname=server_name)
                    await self._hello(smtp)
                elif self.require_tls:
                    return SendResult.failure(
                        f"require_tls is true but {self.host}:{self.port} does not offer "
                        "STARTTLS: enable TLS on the server or set require_tls: false",
                        retryable=False,
                    )
            if self.auth_username and smtp.supports_extension("auth"):
                await self._authenticate(smtp)
            refused, _ = await smtp.sendmail(sender, recipients, message)
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await smtp.quit()  # the message is accepted; a rude goodbye changes nothing
        finally:
            smtp.close()
        if refused:
            accepted = [r for r in recipients if r not in refused]
            return SendResult.failure(
                f"delivered to {', '.join(accepted)}; refused "
                + _refusals((r, resp) for r, resp in refused.items()),
                retryable=False,
                status_code=next(iter(refused.values())).code,
            )
        return SendResult.success(recipients=recipients)

    async def _hello(self, smtp: aiosmtplib.SMTP) -> None:
        """EHLO, or HELO for a server that does not speak ESMTP (Go's ``Client.Hello``)."""
        try:
            await smtp.ehlo()
        except aiosmtplib.SMTPHeloError as exc:
            if exc.code < 500:
                raise
            await smtp.helo()

    async def _authenticate(self, smtp: aiosmtplib.SMTP) -> None:
        """The first mechanism, in the server's order, that the configured secrets allow."""
        username = self.auth_username or ""
        offered = [m.lower() for m in smtp.server_auth_methods]
        for mech in offered:
            if mech == "cram-md5" and self.auth_secret:
                await smtp.auth_crammd5(username, self.auth_secret)
                return
            if mech == "plain" and self.auth_password:
                await _auth_plain(smtp, self.auth_identity or "", username, self.auth_password)
                return
            if mech == "login" and self.auth_password:
                await smtp.auth_login(username, self.auth_password)
                return
        raise _NoMechanism(
            f"server offers AUTH {' '.join(offered).upper() or '(none)'}, and none can be used "
            "with the configured secrets (CRAM-MD5 needs auth_secret, PLAIN and LOGIN "
            "auth_password)"
        )


class _NoMechanism(aiosmtplib.SMTPResponseException):
    def __init__(self, message: str) -> None:
        super().__init__(504, message)


async def _auth_plain(smtp: aiosmtplib.SMTP, identity: str, username: str, password: str) -> None:
    """AUTH PLAIN with an authorisation identity (aiosmtplib's own sends none)."""
    token = base64.b64encode(f"{identity}\0{username}\0{password}".encode()).decode("ascii")
    response = await smtp.execute_command(b"AUTH", b"PLAIN", token.encode("ascii"))
    if response.code != 235:
        raise aiosmtplib.SMTPAuthenticationError(response.code, response.message)


def _stage(exc: aiosmtplib.SMTPResponseException) -> str:
    if isinstance(exc, _NoMechanism | aiosmtplib.SMTPAuthenticationError):
        return "authentication failed"
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        return f"sender {exc.sender} refused"
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        return f"recipient {exc.recipient} refused"
    if isinstance(exc, aiosmtplib.SMTPDataError):
        return "message refused"
    if isinstance(exc, aiosmtplib.SMTPConnectResponseError):
        return "server refused the session"
    return "SMTP error"


def _refusals(items: Any) -> str:
    return "; ".join(f"{rcpt} (SMTP {resp.code} {resp.message})" for rcpt, resp in items)


def _cert_rejected(exc: BaseException | None) -> bool:
    """A certificate that fails verification will fail the same way on a retry."""
    seen: Sequence[BaseException] = []
    while exc is not None and exc not in seen:
        if isinstance(exc, ssl.SSLCertVerificationError):
            return True
        seen = [*seen, exc]
        exc = exc.__cause__ or exc.__context__
    return False


register("email_configs", EmailConfig, EmailChannel.build)
