"""SMS through any HTTP SMS gateway, for teams without Twilio (a modem box, a local carrier's
API, an internal relay).

The request is configured, not coded: ``url``, ``method`` (POST or GET), extra ``headers``,
``content_type`` (``json`` or ``form``) and ``params``, a mapping of field name to a Jinja
template rendered (in a sandbox) with:

============== ==========================================================================
``to``         the phone number (the address)
``text``       the whole SMS, as Twilio's (``twilio.sms_text``), within ``max_length``
``subject``    the message's subject line
``body``       its body, unshortened
``link``       the incident's link ("" if none)
``reply_code`` the code to reply with ("" if none)
``idempotency_key``
============== ==========================================================================

The default is ``{"to": "{{ to }}", "text": "{{ text }}"}``. A POST sends the fields as a JSON
object or form fields; a GET as query parameters (added to any already in ``url``). Success
is any 2xx, or one of ``success_status`` when given; 5xx, 429 and transport failures are
retried, any other answer is not. Header values, literal (untemplated) parameter values and
the URL's password and query values are treated as secrets: blanked in error texts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from tocsin.channels.contact import ContactMethod, PersonalMessage
from tocsin.channels.notification import SendResult, transport_failure
from tocsin.channels.templates import TemplateError
from tocsin.channels.twilio import MAX_SMS, sms_text

__all__ = ["DEFAULT_PARAMS", "NAMES", "GatewaySms", "GatewayTemplate"]

NAMES = frozenset({"to", "text", "subject", "body", "link", "reply_code", "idempotency_key"})
DEFAULT_PARAMS = {"to": "{{ to }}", "text": "{{ text }}"}

_env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)

_SAMPLE = {
    "to": "+15550001111",
    "text": "Sample incident\nSample body",
    "subject": "Sample incident",
    "body": "Sample body",
    "link": "https://tocsin.example/incidents/1",
    "reply_code": "1A",
    "idempotency_key": "sample",
}


class GatewayTemplate:
    """One parameter's template; raises TemplateError when it does not compile, names
    something other than ``NAMES`` or fails on sample data."""

    def __init__(self, source: str) -> None:
        self.source = source
        try:
            unknown = meta.find_undeclared_variables(_env.parse(source)) - NAMES
            if unknown:
                raise TemplateError(
                    f"unknown name(s) {', '.join(sorted(unknown))}; "
                    f"available: {', '.join(sorted(NAMES))}"
                )
            self._template = _env.from_string(source)
        except jinja2.TemplateError as exc:
            raise TemplateError(f"template error: {exc}") from None
        self.render(_SAMPLE)

    @property
    def literal(self) -> bool:
        """Whether it is plain text (maybe an API key), with no template syntax."""
        return "{{" not in self.source and "{%" not in self.source

    def render(self, data: Mapping[str, str]) -> str:
        try:
            return self._template.render(data)
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError) as exc:
            raise TemplateError(f"template error: {exc}") from None


def _default_params() -> dict[str, GatewayTemplate]:
    return {k: GatewayTemplate(v) for k, v in DEFAULT_PARAMS.items()}


@dataclass(frozen=True)
class GatewaySms:
    method: ClassVar[ContactMethod] = ContactMethod.SMS
    url: str
    #: The HTTP method, POST or GET (``method`` is the contact method).
    http_method: str = "POST"
    #: json | form (a POST's body; a GET always sends query parameters).
    content_type: str = "json"
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    params: Mapping[str, GatewayTemplate] = field(default_factory=_default_params)
    #: Answers that mean "sent"; empty: any 2xx.
    success_status: Collection[int] = ()
    #: Seconds; None uses the client's.
    timeout: float | None = None
    #: The longest ``text``.
    max_length: int = MAX_SMS

    def __post_init__(self) -> None:
        if self.http_method not in ("GET", "POST"):
            raise ValueError(f"method must be GET or POST, not {self.http_method!r}")
        if self.content_type not in ("json", "form"):
            raise ValueError(f"content_type must be json or form, not {self.content_type!r}")

    def fields(self, address: str, message: PersonalMessage) -> dict[str, str]:
        """The rendered parameters; raises TemplateError."""
        link = next((a.url for a in message.actions if a.kind == "open"), None) or message.link
        data = {
            "to": address,
            "text": sms_text(message, self.max_length),
            "subject": message.subject,
            "body": message.body,
            "link": link or "",
            "reply_code": message.reply_code or "",
            "idempotency_key": message.idempotency_key,
        }
        return {name: t.render(data) for name, t in self.params.items()}

    def send(self, address: str, message: PersonalMessage, client: httpx.Client) -> SendResult:
        try:
            fields = self.fields(address, message)
        except TemplateError as exc:
            return SendResult.failure(str(exc), retryable=False)
        url = httpx.URL(self.url)
        body: dict[str, Any]
        if self.http_method == "GET":  # added to the URL's own query, not replacing it
            url, body = url.copy_merge_params(fields), {}
        elif self.content_type == "json":
            body = {"json": fields}
        else:
            body = {"data": fields}
        try:
            response = client.request(
                self.http_method,
                url,
                headers=dict(self.headers),
                timeout=self.timeout if self.timeout is not None else httpx.USE_CLIENT_DEFAULT,
                **body,
            )
        except httpx.HTTPError as exc:
            return transport_failure(exc, self._blank)
        return self._answer(response)

    def _answer(self, response: httpx.Response) -> SendResult:
        code = response.status_code
        sent = code in self.success_status if self.success_status else response.is_success
        if sent:
            return SendResult.success(code)
        return SendResult.failure(
            self._blank(f"HTTP {code}: {response.text[:500]}".strip()),
            retryable=code >= 500 or code == 429,
            status_code=code,
        )

    def _secrets(self) -> list[str]:
        url = httpx.URL(self.url)
        values = [*self.headers.values(), url.password or ""]
        values += [v for _, v in url.params.multi_items()]
        values += [t.source for t in self.params.values() if t.literal]
        # Longest first, so that a secret containing another is blanked whole.
        return sorted({v for v in values if len(v) >= 4}, key=len, reverse=True)

    def _blank(self, text: str) -> str:
        for secret in self._secrets():
            text = text.replace(secret, "<secret>")
        return text
