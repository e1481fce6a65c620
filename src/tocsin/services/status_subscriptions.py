"""Subscribing to the status page: by email (double opt-in: a confirmation email with a
signed link, nothing else before it is opened) or by webhook; unsubscribing with the signed
link every notification carries; and the list for administrators."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from tocsin.domain import status_links
from tocsin.engine.clock import Clock
from tocsin.errors import FieldProblem, InputError, NotFound
from tocsin.notify.status_subscribers import Links, queue_confirmation
from tocsin.store import status_page as pages
from tocsin.store import status_subscribers as store
from tocsin.store.database import Database
from tocsin.store.status_subscribers import EMAIL, WEBHOOK, Notification, Subscriber

__all__ = ["SubscriptionService"]

_EMAIL = re.compile(r"[^@\s<>\"(),;:]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def check_email(address: str, field: str = "email") -> str:
    address = address.strip()
    if not address:
        raise InputError(FieldProblem(field, "is required"))
    if len(address) > 320 or not _EMAIL.fullmatch(address):
        raise InputError(FieldProblem(field, f"{address[:80]!r} is not an email address"))
    return address


def check_url(url: str, field: str = "endpoint") -> str:
    url = url.strip()
    if not url:
        raise InputError(FieldProblem(field, "is required"))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        raise InputError(FieldProblem(field, "must be an http:// or https:// URL"))
    return url


class SubscriptionService:
    def __init__(self, db: Database, clock: Clock, links: Links, wake: Callable[[], None]) -> None:
        self.db = db
        self.clock = clock
        self.links = links
        self.wake = wake

    def subscribe_email(self, address: str) -> Subscriber:
        """A new (unconfirmed) email subscriber and its confirmation email; asking again
        for an unconfirmed address sends the confirmation again, for a confirmed one does
        nothing (the answer is the same either way: nobody learns who subscribed)."""
        address = check_email(address)
        now = self.clock.now()
        with self.db.write() as conn:
            subscriber, _ = store.add(conn, EMAIL, address, now)
            if subscriber.confirmed_at is None:
                page = pages.page(conn, now)
                queue_confirmation(conn, self.links, subscriber, page.name, now)
        self.wake()
        return subscriber

    def subscribe_webhook(self, url: str) -> Subscriber:
        url = check_url(url)
        with self.db.write() as conn:
            subscriber, _ = store.add(conn, WEBHOOK, url, self.clock.now())
        return subscriber

    def _checked(self, subscriber_id: int, token: str, action: str) -> Subscriber | None:
        with self.db.read() as conn:
            found = store.get(conn, subscriber_id)
        if found is None or not self.links.check(action, found, token):
            return None
        return found

    def confirm(self, subscriber_id: int, token: str) -> Subscriber:
        """Open a confirmation link: the address is subscribed from now on."""
        found = self._checked(subscriber_id, token, status_links.CONFIRM)
        if found is None:
            raise InputError(FieldProblem("t", "this confirmation link is not valid"))
        with self.db.write() as conn:
            store.confirm(conn, found.id, self.clock.now())
            confirmed = store.get(conn, found.id)
        assert confirmed is not None
        return confirmed

    def unsubscribe(self, subscriber_id: int, token: str) -> bool:
        """Open (or POST, RFC 8058) an unsubscribe link; False when it was not valid. An
        address already unsubscribed is not an error: the link did its job."""
        with self.db.read() as conn:
            found = store.get(conn, subscriber_id)
        if found is None:
            return True
        if not self.links.check(status_links.UNSUBSCRIBE, found, token):
            return False
        with self.db.write() as conn:
            store.remove(conn, found.id)
        return True

    def subscribers(self) -> list[Subscriber]:
        with self.db.read() as conn:
            return store.subscribers(conn)

    def delete(self, subscriber_id: int) -> None:
        with self.db.write() as conn:
            if not store.remove(conn, subscriber_id):
                raise NotFound(f"no subscriber {subscriber_id}")

    def notifications(
        self, *, subscriber_id: int | None = None, limit: int = 100
    ) -> list[Notification]:
        with self.db.read() as conn:
            return store.notifications(conn, subscriber_id=subscriber_id, limit=limit)
