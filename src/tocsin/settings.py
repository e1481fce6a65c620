"""Settings from ``TOCSIN_*`` environment variables (and CLI flags, which override them)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import NonNegativeInt, PositiveInt, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tocsin.outbound_rules import Allowlist

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
    #: Let status page webhook subscribers be on loopback or private addresses (a
    #: self-hosted setup whose receivers are on its own network); off, they must be public.
    status_webhooks_allow_private: bool = False
    #: Outbound requests (docs/security.md#outbound-requests): networks, addresses and host
    #: names any of them may reach even when private or link-local, comma-separated
    #: ("10.0.0.0/8, hooks.internal, *.corp.example"); the largest answer read (bytes); how
    #: long one request may take in all (at least its own timeout).
    outbound_allow: str = ""
    outbound_max_response_bytes: PositiveInt = 1024 * 1024
    outbound_timeout: timedelta = timedelta(seconds=30)
    #: Keys that encrypt the secrets Tocsin stores (docs/security.md#secrets): Fernet keys,
    #: comma-separated (the first encrypts, all decrypt), or a file holding them. Neither:
    #: a SQLite database gets a key file beside it; PostgreSQL should be given one.
    secret_keys: SecretStr | None = None
    secret_keys_file: str | None = None
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
    #: Rate limits (docs/security.md#rate-limits): requests a minute, and how many at once,
    #: per integration (and heartbeat) and per API token; 0 requests a minute: no limit.
    #: Alertmanager-kind senders are never refused, only counted over the limit.
    rate_limit_integration: NonNegativeInt = 1200
    rate_limit_integration_burst: PositiveInt = 600
    rate_limit_api: NonNegativeInt = 600
    rate_limit_api_burst: PositiveInt = 120
    #: Single sign-on with OpenID Connect (docs/security.md): the provider's issuer URL and
    #: this Tocsin's client there (no secret: a public client, PKCE alone). People are found
    #: by their verified email, or by ``oidc_username_claim`` (a claim equal to their user
    #: id); with ``oidc_create_people_from`` (email domains, comma-separated) people new to
    #: Tocsin get an account as a viewer. ``password_sign_in`` off: single sign-on only.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scopes: str = "openid email profile"
    oidc_username_claim: str | None = None
    oidc_button: str = "Sign in with single sign-on"
    oidc_create_people_from: str = ""
    password_sign_in: bool = True
    #: Several nodes on one PostgreSQL (docs/cluster.md): this node's name in the cluster
    #: (default: the host name, made unique); how often it says it is alive and looks for
    #: changes other nodes made (besides being told at once by LISTEN/NOTIFY); how long a
    #: timer it claimed stays its own (a node that dies leaves its work to the others when
    #: the lease runs out: at least 30 seconds, longer than any send may take).
    node_name: str | None = None
    #: The load balancers or proxies whose X-Forwarded-For and X-Forwarded-Proto Tocsin
    #: believes (addresses or networks, comma-separated; "*" for any): the client address
    #: sign-in lockouts, rate limits and the audit log see.
    forwarded_allow_ips: str = "127.0.0.1"
    cluster_poll: timedelta = timedelta(seconds=5)
    engine_lease: timedelta = timedelta(minutes=1)
    #: Tests and demos only: the clock runs this many times faster than the wall clock,
    #: counted from ``clock_origin`` (processes given the same origin agree on the time).
    clock_rate: float = 1.0
    clock_origin: datetime | None = None

    @field_validator("outbound_allow")
    @classmethod
    def _allowlist(cls, value: str) -> str:
        Allowlist.parse(value)  # ValueError naming the entry
        return value

    @field_validator("engine_lease")
    @classmethod
    def _lease(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=30):
            raise ValueError("must be at least 30 seconds (PT30S): a send may take that long")
        return value

    @field_validator("cluster_poll")
    @classmethod
    def _poll(cls, value: timedelta) -> timedelta:
        if not timedelta(milliseconds=100) <= value <= timedelta(minutes=5):
            raise ValueError("must be between 0.1 seconds and 5 minutes (PT5S is usual)")
        return value

    @field_validator("node_name")
    @classmethod
    def _node_name(cls, value: str | None) -> str | None:
        if value is not None and not (0 < len(value) <= 40 and value.isprintable()):
            raise ValueError("must be 1 to 40 printable characters")
        return value

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
