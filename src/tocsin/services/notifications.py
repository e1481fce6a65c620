"""Reading the record of notifications: what was sent (or not), where, why, and every try."""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.errors import NotFound
from tocsin.store import deliveries as store
from tocsin.store.database import Database
from tocsin.store.deliveries import Attempt, DeliveryRow

__all__ = ["NotificationService", "STATUSES"]

STATUSES = ("pending", "sent", "failed", "superseded")


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
