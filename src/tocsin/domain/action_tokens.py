"""Signed one-click links for pages: a token bound to one incident, one user and one action.

A page carries links such as ``https://tocsin.example.com/a/<token>``; opening one acts for
the person it was sent to without a login. The token is short enough for an SMS,
URL-safe, expires, and cannot be altered or forged without the key.

Wire format: ``base64url_nopad(payload || mac)`` where

* ``payload`` is ASCII ``<incident>.<action>.<expiry>.<user>``: the incident id in decimal,
  the action as one letter (``a`` ack, ``r`` resolve, ``o`` open), the expiry in epoch
  seconds (UTC), then the user id. The user id comes last because it is the only field
  that may contain ``.``: the payload is split at the first three dots, so no user id can
  make it ambiguous.
* ``mac`` is the first 16 bytes (128 bits) of HMAC-SHA256(key, ``_CONTEXT`` + payload).
  The context string keeps these MACs apart from anything else signed with the same key.

Only the canonical encoding verifies (base64url without padding whose unused trailing bits
are zero), so every character of a token matters: changing any one of them fails.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["ACTIONS", "ActionClaim", "TokenError", "TokenProblem", "sign", "verify"]

#: What a link can do: acknowledge, resolve, or open the incident's page.
ACTIONS = frozenset({"ack", "resolve", "open"})

_ACTION_CODES = {"ack": "a", "resolve": "r", "open": "o"}
_CODE_ACTIONS = {code: action for action, code in _ACTION_CODES.items()}
_CONTEXT = b"tocsin/action-token/v1\n"
_MAC_BYTES = 16
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
#: Far above any real token (an 80-character user id gives ~150); bounds the work an
#: unauthenticated request can cause.
_MAX_TOKEN_CHARS = 512

_USER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]*")
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]+")
_PAYLOAD = re.compile(r"(0|[1-9][0-9]*)\.([aro])\.(0|[1-9][0-9]{0,11})\.(.+)", re.DOTALL)


class TokenProblem(enum.StrEnum):
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad signature"
    EXPIRED = "expired"


class TokenError(ValueError):
    """The token does not authorise anything; ``problem`` says why (for the page shown)."""

    def __init__(self, problem: TokenProblem, detail: str) -> None:
        self.problem = problem
        super().__init__(f"{problem}: {detail}")


@dataclass(frozen=True)
class ActionClaim:
    incident_id: int
    user: str
    #: ack | resolve | open
    action: str
    #: Timezone-aware; a token signs it to the second (rounded down), and verifies until
    #: just before it.
    expires_at: datetime


def sign(claim: ActionClaim, key: bytes) -> str:
    """The token for ``claim``. ValueError if the claim cannot be expressed (unknown action,
    user id outside ``[A-Za-z0-9][A-Za-z0-9._@+-]*``, negative incident id, naive or
    pre-1970 expiry, a token over 512 characters) or the key is empty."""
    if not key:
        raise ValueError("the signing key is empty")
    if claim.action not in _ACTION_CODES:
        raise ValueError(f"unknown action {claim.action!r}: use one of {sorted(ACTIONS)}")
    if not _USER.fullmatch(claim.user):
        raise ValueError(f"user id {claim.user!r} is not of the form [A-Za-z0-9][A-Za-z0-9._@+-]*")
    if claim.incident_id < 0:
        raise ValueError(f"incident id {claim.incident_id} is negative")
    if claim.expires_at.tzinfo is None or claim.expires_at.utcoffset() is None:
        raise ValueError("expires_at must be timezone-aware")
    expiry = (claim.expires_at - _EPOCH) // _SECOND
    if expiry < 0:
        raise ValueError("expires_at is before 1970")
    payload = f"{claim.incident_id}.{_ACTION_CODES[claim.action]}.{expiry}.{claim.user}".encode(
        "ascii"
    )
    token = _b64encode(payload + _mac(key, payload))
    if len(token) > _MAX_TOKEN_CHARS:
        raise ValueError(f"user id {claim.user[:40]!r}... is too long for a link")
    return token


def verify(token: str, key: bytes, now: datetime) -> ActionClaim:
    """The claim ``token`` carries if it was signed with ``key`` and has not expired at
    ``now`` (timezone-aware; expired at or after ``expires_at``); TokenError otherwise."""
    if not key:
        raise ValueError("the signing key is empty")
    raw = _b64decode(token)
    if len(raw) <= _MAC_BYTES:
        raise TokenError(TokenProblem.MALFORMED, "too short")
    payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(key, payload)):
        raise TokenError(TokenProblem.BAD_SIGNATURE, "the token was not signed with this key")
    claim = _parse(payload)
    if now >= claim.expires_at:
        raise TokenError(TokenProblem.EXPIRED, f"the link expired at {claim.expires_at:%FT%TZ}")
    return claim


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, _CONTEXT + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(token: str) -> bytes:
    if len(token) > _MAX_TOKEN_CHARS:
        raise TokenError(TokenProblem.MALFORMED, "too long")
    if not _TOKEN_CHARS.fullmatch(token) or len(token) % 4 == 1:
        raise TokenError(TokenProblem.MALFORMED, "not base64url")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise TokenError(TokenProblem.MALFORMED, "not base64url") from None
    # Unused trailing bits must be zero, so no two strings decode to the same token.
    if _b64encode(raw) != token:
        raise TokenError(TokenProblem.MALFORMED, "not canonical base64url")
    return raw


def _parse(payload: bytes) -> ActionClaim:
    # Only a payload signed with this key gets here: a failure means a signer bug.
    try:
        text = payload.decode("ascii")
    except UnicodeDecodeError:
        raise TokenError(TokenProblem.MALFORMED, "payload is not ASCII") from None
    match = _PAYLOAD.fullmatch(text)
    if match is None or not _USER.fullmatch(match[4]):
        raise TokenError(TokenProblem.MALFORMED, "payload is not incident.action.expiry.user")
    try:
        expires_at = _EPOCH + int(match[3]) * _SECOND
    except OverflowError:
        raise TokenError(TokenProblem.MALFORMED, "expiry is out of range") from None
    return ActionClaim(int(match[1]), match[4], _CODE_ACTIONS[match[2]], expires_at)
