"""Reading the record of notifications: what was sent (or not), where, why, and every try."""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.errors import NotFound
from tocsin.store import deliveries as store
from tocsin.store import messages as message_store
from tocsin.store.database import Database
from tocsin.store.deliveries import Attempt, DeliveryRow
from tocsin.store.messages import Message

__all__ = ["MESSAGE_STATUSES", "NotificationService", "STATUSES"]

STATUSES = ("pending", "sent", "failed", "superseded")
#: What becomes of a message to a person (a page no longer needed is cancelled).
MESSAGE_STATUSES = ("pending", "sent", "failed", "cancelled")


@dataclass
class NotificationService:
    db: Database

    def recent(
        self, *, limit: int = 50, receiver: str | None = None, status: str | None = None
    ) -> list[DeliveryRow]:
        with self.db.read() as conn:
            return store.list_recent(conn, limit=limit, receiver=receiver, status=status)

    def get(self, delivery_id: int) -> tuple[DeliveryRow, list[Attempt]]:
        with self.db.read() as conn:
            delivery = store.get(conn, delivery_id)
            if delivery is None:
                raise NotFound(f"notification {delivery_id} not found")
            return delivery, store.attempts_of(conn, delivery_id)

    def messages(
        self,
        *,
        limit: int = 50,
        user: str | None = None,
        status: str | None = None,
        kind: str | None = None,
    ) -> list[Message]:
        """Recent messages to people (pages, handoffs, reminders, tests), newest first."""
        with self.db.read() as conn:
            return message_store.recent(conn, user, limit, status=status, kind=kind)

    def message(self, message_id: int) -> Message:
        with self.db.read() as conn:
            found = message_store.get(conn, message_id)
        if found is None:
            raise NotFound(f"message {message_id} not found")
        return found
