"""Twilio's inbound webhooks: checking ``X-Twilio-Signature`` and reading SMS replies.

Twilio signs each webhook request with the account's Auth Token:
base64(HMAC-SHA1(auth_token, url + name1 + value1 + name2 + value2 ...)) where ``url`` is
the full URL Twilio requested (scheme, host, path and query string, exactly as configured
in Twilio's console) and the POST parameters follow sorted by name (case-sensitive, no
delimiters). See https://www.twilio.com/docs/usage/webhooks/webhooks-security and the
reference validator, twilio-python ``twilio/request_validator.py``.

Twilio signs the public URL it was configured with, not the one a reverse proxy hands to
Tocsin: pass the configured URL (Tocsin's external base URL plus the path and query).

Only form-encoded bodies (what inbound SMS uses) are handled. For JSON bodies Twilio adds
``bodySHA256`` (hex SHA-256 of the body) to the query string and signs the URL alone; such a
request is refused here rather than half-checked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit, urlunsplit

__all__ = ["SmsReply", "parse_sms_reply", "twilio_signature", "valid_twilio_request"]

_DEFAULT_PORTS = {"https": "443", "http": "80"}
_PORT = re.compile(r"(.*):([0-9]*)", re.DOTALL)


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str | Sequence[str]]) -> str:
    """The ``X-Twilio-Signature`` Twilio sends for a POST of ``params`` to ``url``.

    A parameter sent more than once is given as a sequence of its values; each distinct
    value is signed once, in sorted order, as Twilio's own helper libraries do.
    """
    signed = [url]
    for name in sorted(params):
        value = params[name]
        values = [value] if isinstance(value, str) else sorted(set(value))
        signed.extend(name + v for v in values)
    mac = hmac.new(auth_token.encode(), "".join(signed).encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def valid_twilio_request(
    auth_token: str,
    url: str,
    params: Mapping[str, str | Sequence[str]],
    signature: str,
) -> bool:
    """Whether ``signature`` (the ``X-Twilio-Signature`` header) is Twilio's for this request.

    Twilio sometimes signs the URL with the scheme's default port (``:443``/``:80``) and
    sometimes without it, so both forms are accepted, as Twilio's validators do. (They also
    drop a non-default port; Tocsin does not, so ``:8443`` must be in the signed URL.)
    """
    if not auth_token or not signature:
        return False
    if "bodySHA256" in parse_qs(urlsplit(url).query):
        return False  # a JSON body: the signature covers the URL, not the body
    given = signature.encode()
    matched = False
    for candidate in _url_variants(url):
        expected = twilio_signature(auth_token, candidate, params).encode()
        matched |= hmac.compare_digest(expected, given)
    return matched


def _url_variants(url: str) -> list[str]:
    """``url`` as given, and with the default port toggled (added if absent, else dropped)."""
    parts = urlsplit(url)
    default = _DEFAULT_PORTS.get(parts.scheme.lower())
    if default is None or not parts.netloc:
        return [url]
    userinfo, at, hostport = parts.netloc.rpartition("@")
    explicit = None if hostport.endswith("]") else _PORT.fullmatch(hostport)
    if explicit is None:
        other = hostport + ":" + default
    elif explicit[2] == default:
        other = explicit[1]
    else:
        return [url]
    return [url, urlunsplit(parts._replace(netloc=userinfo + at + other))]


@dataclass(frozen=True)
class SmsReply:
    #: ack | resolve | help (anything not understood)
    action: str
    #: The page's reply code; None means the latest page sent to this number.
    code: str | None


_REPLY_ACTIONS = {"4": "ack", "ack": "ack", "6": "resolve", "resolve": "resolve"}
_CODE = re.compile(r"[A-Za-z0-9]{1,16}")
_HELP = SmsReply("help", None)


def parse_sms_reply(body: str) -> SmsReply:
    """Read a reply to a page: ``4 <code>`` or ``ack <code>`` acknowledges, ``6 <code>`` or
    ``resolve <code>`` resolves; without a code it means the latest page. Case and
    surrounding whitespace do not matter; anything else is ``help``. The code is returned
    as typed."""
    words = body.split()
    if not 1 <= len(words) <= 2:
        return _HELP
    action = _REPLY_ACTIONS.get(words[0].casefold())
    if action is None:
        return _HELP
    if len(words) == 1:
        return SmsReply(action, None)
    if not _CODE.fullmatch(words[1]):
        return _HELP
    return SmsReply(action, words[1])
