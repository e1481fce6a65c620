"""Subscribing to the status page: by email (double opt-in: a confirmation email with a
signed link, nothing else before it is opened) or by webhook; unsubscribing with the signed
link every notification carries; and the list for administrators.

The public form cannot be used to flood someone's inbox: an address gets at most one
confirmation email every 6 hours however often it is entered (``CONFIRM_EVERY``), one
client (IP address) may send the form ``FORM_LIMIT`` times an hour, and an address never
confirmed is forgotten after 7 days (housekeeping). Addresses count in lower case.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from tocsin.domain import status_links
from tocsin.engine.clock import Clock
from tocsin.errors import FieldProblem, InputError, NotFound, TocsinError
from tocsin.notify.status_subscribers import CONFIRM_EVERY, Links, queue_confirmation
from tocsin.notify.status_webhook_guard import WebhookGuard
from tocsin.services.throttle import Throttle
from tocsin.store import audit
from tocsin.store import status_page as pages
from tocsin.store import status_subscribers as store
from tocsin.store.database import Database
from tocsin.store.status_subscribers import EMAIL, WEBHOOK, Notification, Subscriber

__all__ = ["FORM_LIMIT", "FORM_WINDOW", "SubscriptionService", "Throttled"]

_EMAIL = re.compile(r"[^@\s<>\"(),;:]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
#: Sends of the public form per client in ``FORM_WINDOW``.
FORM_LIMIT = 10
FORM_WINDOW = timedelta(hours=1)
_IDENT = re.compile(r"[0-9a-f]{64}")


class Throttled(TocsinError):
    """This client sent the subscribe form too often: try again later."""


def check_email(address: str, field: str = "email") -> str:
    address = address.strip()
    if not address:
        raise InputError(FieldProblem(field, "is required"))
    if len(address) > 320 or not _EMAIL.fullmatch(address):
        raise InputError(FieldProblem(field, f"{address[:80]!r} is not an email address"))
    return address.lower()


def check_url(url: str, field: str = "endpoint") -> str:
    url = url.strip()
    if not url:
        raise InputError(FieldProblem(field, "is required"))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        raise InputError(FieldProblem(field, "must be an http:// or https:// URL"))
    return url


class SubscriptionService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        links: Links,
        wake: Callable[[], None],
        *,
        guard: WebhookGuard | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.links = links
        self.wake = wake
        self.guard = guard or WebhookGuard(allow_private=False)
        self.form_throttle = Throttle(FORM_LIMIT, FORM_WINDOW)

    def subscribe_email(self, address: str, *, client: str | None = None) -> Subscriber:
        """A new (unconfirmed) email subscriber and its confirmation email. Asking again for
        an unconfirmed address sends the confirmation again, at most once every 6 hours; for
        a confirmed one it does nothing (the answer is the same either way: nobody learns
        who subscribed). ``client`` (the public form's sender) is throttled: ``Throttled``."""
        now = self.clock.now()
        if client is not None and not self.form_throttle.attempt(client, now):
            raise Throttled("too many subscriptions from here: try again in an hour")
        address = check_email(address)
        with self.db.write() as conn:
            subscriber, _ = store.add(conn, EMAIL, address, now)
            if subscriber.confirmed_at is None and store.claim_confirmation(
                conn, subscriber.id, now, CONFIRM_EVERY
            ):
                page = pages.page(conn, now)
                queue_confirmation(conn, self.links, subscriber, page.name, now)
        self.wake()
        return subscriber

    def subscribe_webhook(self, url: str) -> Subscriber:
        """A webhook subscriber (administrators only). Its address must be public unless
        private addresses are allowed (``TOCSIN_STATUS_WEBHOOKS_ALLOW_PRIVATE``)."""
        url = check_url(url)
        problem = self.guard.problem(url)
        if problem is not None:
            raise InputError(FieldProblem("endpoint", problem))
        with self.db.write() as conn:
            subscriber, made = store.add(conn, WEBHOOK, url, self.clock.now())
            if made:
                audit.record(
                    conn,
                    self.clock.now(),
                    "status_subscriber.created",
                    "status_subscriber",
                    subscriber.id,
                    after={"mode": WEBHOOK, "address": url},
                )
        return subscriber

    def _checked(self, key: str, token: str, action: str) -> tuple[bool, Subscriber | None]:
        """Whether the link (``?s=key&t=token``) is valid, and its subscriber now (None:
        the address has none). ``key`` is the address's ident; a number is a link of the
        first form (the row id), valid only while that row is there."""
        if _IDENT.fullmatch(key):
            if not status_links.verify(self.links.key(), token, action, key):
                return False, None
            with self.db.read() as conn:
                return True, store.by_ident(conn, key)
        if not key.isdigit():
            return False, None
        with self.db.read() as conn:
            found = store.get(conn, int(key))
        if found is None:
            return False, None
        return self.links.check_v1(action, found, token), found

    def confirm(self, key: str, token: str) -> Subscriber:
        """Open a confirmation link: the address is subscribed from now on."""
        valid, found = self._checked(key, token, status_links.CONFIRM)
        if not valid or found is None:
            raise InputError(FieldProblem("t", "this confirmation link is not valid"))
        with self.db.write() as conn:
            store.confirm(conn, found.id, self.clock.now())
            confirmed = store.get(conn, found.id)
        assert confirmed is not None
        return confirmed

    def unsubscribe(self, key: str, token: str) -> bool:
        """Open (or POST, RFC 8058) an unsubscribe link: the address's subscription, whichever
        it is now, ends. False when the link is not valid; an address not subscribed (any
        more) is not an error: the link did its job."""
        valid, found = self._checked(key, token, status_links.UNSUBSCRIBE)
        if not valid and not (found is None and key.isdigit()):
            return False
        if found is not None:
            with self.db.write() as conn:
                store.remove(conn, found.id)
        return True

    def subscribers(self) -> list[Subscriber]:
        with self.db.read() as conn:
            return store.subscribers(conn)

    def delete(self, subscriber_id: int) -> None:
        with self.db.write() as conn:
            found = store.get(conn, subscriber_id)
            if not store.remove(conn, subscriber_id):
                raise NotFound(f"no subscriber {subscriber_id}")
            audit.record(
                conn,
                self.clock.now(),
                "status_subscriber.deleted",
                "status_subscriber",
                subscriber_id,
                before={"mode": found.mode, "address": found.address} if found else None,
            )

    def notifications(
        self, *, subscriber_id: int | None = None, limit: int = 100
    ) -> list[Notification]:
        with self.db.read() as conn:
            return store.notifications(conn, subscriber_id=subscriber_id, limit=limit)
