"""Heartbeat monitors (dead man's switches) and their pings."""

from __future__ import annotations

from tocsin.store.metadata import metadata  # noqa: F401
