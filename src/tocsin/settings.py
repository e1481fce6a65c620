"""Settings from ``TOCSIN_*`` environment variables (and CLI flags, which override them)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TOCSIN_", extra="ignore")

    #: SQLite by default; ``postgresql+psycopg://user@host/db`` for PostgreSQL.
    database_url: str = "sqlite:///./tocsin-data/tocsin.db"
    host: str = "127.0.0.1"
    port: int = 8080
    #: The URL users reach Tocsin at (links in notifications); defaults to http://host:port.
    external_url: str | None = None
    #: Largest request body accepted by ingest endpoints (413 beyond it).
    max_body_bytes: int = 512 * 1024
    #: Alertmanager's resolve_timeout: a firing alert posted without endsAt resolves after it.
    resolve_timeout: timedelta = timedelta(minutes=5)
    #: Resolved alerts (and their events) are deleted this long after they resolved.
    alert_retention: timedelta = timedelta(days=30)
    #: Events that changed nothing (repeated re-sends) are deleted after this long.
    unchanged_event_retention: timedelta = timedelta(days=1)
    housekeeping_interval: timedelta = timedelta(seconds=30)
    #: FULL: a 2xx survives power loss. NORMAL: survives a crash of Tocsin, not of the OS.
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    log_level: str = "info"
    #: Routing configuration (Alertmanager's format: route, receivers, inhibit_rules ...).
    config: str | None = None
    #: Let status page webhook subscribers be on loopback, link-local or private addresses
    #: (a self-hosted setup whose receivers are on its own network); off, they must be public.
    status_webhooks_allow_private: bool = False
    #: Sign-in (docs/security.md): after this many wrong passwords for one account within
    #: ``signin_failure_window``, it is locked for ``signin_lockout``, twice as long each time
    #: in a row, at most ``signin_lockout_max``. One client address may fail
    #: ``signin_max_failures_per_address`` times (0: not counted) before it is locked alike.
    signin_max_failures: int = 5
    signin_failure_window: timedelta = timedelta(minutes=15)
    signin_lockout: timedelta = timedelta(minutes=1)
    signin_lockout_max: timedelta = timedelta(hours=1)
    signin_max_failures_per_address: int = 50
    #: A web session ends after this long without a request, and this long after sign-in.
    session_idle: timedelta = timedelta(hours=12)
    session_lifetime: timedelta = timedelta(days=7)
    #: Tests and demos only: the clock runs this many times faster than the wall clock,
    #: counted from ``clock_origin`` (processes given the same origin agree on the time).
    clock_rate: float = 1.0
    clock_origin: datetime | None = None

    @field_validator("database_url")
    @classmethod
    def _driver(cls, value: str) -> str:
        for plain in ("postgresql://", "postgres://"):
            if value.startswith(plain):
                return "postgresql+psycopg://" + value[len(plain) :]
        return value

    @property
    def public_url(self) -> str:
        return (self.external_url or f"http://{self.host}:{self.port}").rstrip("/")
