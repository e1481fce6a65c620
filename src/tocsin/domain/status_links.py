"""Signed links for status page subscribers: confirm a subscription, unsubscribe.

A token is ``base64url_nopad(HMAC-SHA256(key, context || action || id || address)[:16])``:
bound to one subscriber (its id and address, so a re-subscription after an unsubscribe
gets new links) and one action, unforgeable without the key. They do not expire: an
unsubscribe link must work in an email however old (RFC 8058), and a confirmation only
confirms what its owner asked for.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["CONFIRM", "UNSUBSCRIBE", "sign", "verify"]

CONFIRM, UNSUBSCRIBE = "confirm", "unsubscribe"
_CONTEXT = b"tocsin/status-subscriber/v1\n"


def sign(key: bytes, action: str, subscriber_id: int, address: str) -> str:
    message = _CONTEXT + f"{action}\n{subscriber_id}\n{address}".encode()
    mac = hmac.new(key, message, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def verify(key: bytes, token: str, action: str, subscriber_id: int, address: str) -> bool:
    if len(token) > 64:
        return False
    expected = sign(key, action, subscriber_id, address)
    return hmac.compare_digest(token.encode(), expected.encode())
