"""Signed links for status page subscribers: confirm a subscription, unsubscribe.

A token is ``base64url_nopad(HMAC-SHA256(key, context || action || ident)[:16])``, where
``ident`` is the subscription's address ident (a hash of its mode and address, the same for
every subscription of that address): bound to one address and one action, unforgeable
without the key. So an unsubscribe link in an old email still unsubscribes the address
after it subscribed again (a link bound to the row would find the old row gone and do
nothing while saying "unsubscribed"). They do not expire: an unsubscribe link must work in
an email however old (RFC 8058), and a confirmation only confirms what its owner asked for.

Links sent before (bound to the row id and the address) are still honoured: ``verify_v1``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["CONFIRM", "UNSUBSCRIBE", "sign", "verify", "verify_v1"]

CONFIRM, UNSUBSCRIBE = "confirm", "unsubscribe"
_CONTEXT = b"tocsin/status-subscriber/v2\n"
_CONTEXT_V1 = b"tocsin/status-subscriber/v1\n"


def _mac(key: bytes, message: bytes) -> str:
    mac = hmac.new(key, message, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def sign(key: bytes, action: str, ident: str) -> str:
    return _mac(key, _CONTEXT + f"{action}\n{ident}".encode())


def verify(key: bytes, token: str, action: str, ident: str) -> bool:
    if len(token) > 64:
        return False
    return hmac.compare_digest(token.encode(), sign(key, action, ident).encode())


def verify_v1(key: bytes, token: str, action: str, subscriber_id: int, address: str) -> bool:
    """A link of the first form (row id and address), as emails sent before carry."""
    if len(token) > 64:
        return False
    expected = _mac(key, _CONTEXT_V1 + f"{action}\n{subscriber_id}\n{address}".encode())
    return hmac.compare_digest(token.encode(), expected.encode())
