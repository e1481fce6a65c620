"""Heartbeat monitors: pings, their tokens, and keeping the stored heartbeats in step with
the file (docs/heartbeats.md).

Tokens: one per heartbeat, made when it first appears. The database keeps only its hash
(``hash_token``, as for integrations) and a random salt; the token itself is an HMAC of the
name and salt under a site key (``site_secrets`` "heartbeat-tokens"), so an admin can be
shown it again (a cron line to paste) and rotating (a new salt) stops the old one at once.

Restart semantics (``sync(restarted=True)``, before the engine and intake start): when
Tocsin was really away (no engine on any node ran its housekeeping, the engine's pulse, for
more than two pulses), a heartbeat whose next ping was due during the outage (the interval
from its last ping, give or take the grace) counts again from start-up: a ping sent
meanwhile was refused, not missed. A quick restart, a crash loop or a node joining a running
cluster moves nothing. One that was down stays down, its alert untouched; heartbeats gone
from the file are retired and their alerts resolved; new ones wait ``interval + grace``
from now for their first ping.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.alerts import Action
from tocsin.domain.heartbeats import (
    Heartbeat,
    HeartbeatState,
    HeartbeatStatus,
    Watchdogs,
    outage_began,
)
from tocsin.engine.clock import Clock
from tocsin.engine.housekeeping import KIND as HOUSEKEEPING
from tocsin.errors import NotFound, Unauthorized
from tocsin.integrations.alertmanager_webhook import parse_webhook_message
from tocsin.notify.heartbeat_watch import HeartbeatWatch
from tocsin.services.intake import Submission
from tocsin.services.integrations import hash_token
from tocsin.store import audit
from tocsin.store import heartbeats as store
from tocsin.store.database import Database
from tocsin.store.site_secrets import SiteSecrets

__all__ = ["HeartbeatService", "HeartbeatView", "TokenRefused"]

_KEY = "heartbeat-tokens"
_CONTEXT = "tocsin/heartbeat-token/v1"


class TokenRefused(Unauthorized):
    """No token (``missing``: 401) or a wrong one (403)."""

    def __init__(self, name: str, *, missing: bool) -> None:
        self.missing = missing
        super().__init__(
            f"heartbeat {name!r} needs its token (Bearer, basic-auth password or ?token=)"
            if missing
            else f"wrong token for heartbeat {name!r}"
        )


@dataclass(frozen=True)
class HeartbeatView:
    spec: Heartbeat
    status: HeartbeatStatus
    #: When it goes down without a ping; None while down.
    deadline: datetime | None
    #: Past its interval, within its grace.
    late: bool

    @property
    def state(self) -> str:
        return "late" if self.late else self.status.state.value


def _derive(key: str, name: str, salt: str) -> str:
    message = f"{_CONTEXT}\n{name}\n{salt}".encode()
    return hmac.new(bytes.fromhex(key), message, hashlib.sha256).hexdigest()[:32]


class HeartbeatService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        current: Callable[[], RoutingConfig | None],
        watch: HeartbeatWatch,
        wake: Callable[[], None],
        pulse: timedelta,
        site_secrets: SiteSecrets,
    ) -> None:
        self.db = db
        self.site_secrets = site_secrets
        self.clock = clock
        self.current = current
        self.watch = watch
        self.wake = wake
        #: How often a running engine beats (its housekeeping timer runs).
        self.pulse = pulse
        self._dogs: tuple[RoutingConfig | None, Watchdogs] = (None, Watchdogs(()))

    def _specs(self) -> dict[str, Heartbeat]:
        config = self.current()
        return dict(config.heartbeats) if config is not None else {}

    def _spec(self, name: str) -> Heartbeat:
        spec = self._specs().get(name)
        if spec is None:
            raise NotFound(f"no heartbeat named {name!r} in the configuration")
        return spec

    # -- keeping the rows in step with the file ---------------------------------------------

    def sync(self, *, restarted: bool) -> None:
        """Create rows for new heartbeats, retire removed ones, revive returning ones; after
        a restart that followed an outage, heartbeats whose next ping was due during it
        count from now."""
        now = self.clock.now()
        specs = self._specs()
        with self.db.write() as conn:
            away = self._away_since(conn, now) if restarted else None
            rows = store.all_rows(conn)
            for name, row in rows.items():
                if name not in specs and row.retired_at is None:
                    self.watch.retire(conn, row, now)
            for name, spec in specs.items():
                status = rows.get(name)
                if status is None:
                    self.watch.schedule(conn, spec, self._create(conn, name, now))
                elif status.retired_at is not None:
                    self.watch.revive(conn, spec, status, now)
                elif away is not None and status.missed_while_away(spec, away, now):
                    self.watch.postpone(conn, spec, status, now)
                else:
                    self.watch.schedule(conn, spec, status)
        self.wake()

    def _away_since(self, conn: Connection, now: datetime) -> datetime | None:
        """When Tocsin went away, from when an engine last ran its housekeeping (the timer
        is due a pulse after); None if it did not (really) go away."""
        due = store.timer_due_at(conn, HOUSEKEEPING, "main")
        return outage_began(due - self.pulse if due is not None else None, self.pulse, now)

    def _create(self, conn: Connection, name: str, now: datetime) -> HeartbeatStatus:
        salt = secrets.token_hex(16)
        token = _derive(self.site_secrets.get_or_create(conn, _KEY, now), name, salt)
        return store.create(conn, name, token_hash=hash_token(token), token_salt=salt, now=now)

    # -- reading ----------------------------------------------------------------------------

    def list(self) -> list[HeartbeatView]:
        specs = self._specs()
        now = self.clock.now()
        with self.db.read() as conn:
            rows = store.all_rows(conn, list(specs))
        out = []
        for name, spec in sorted(specs.items()):
            status = rows.get(name) or HeartbeatStatus(
                name=name, state=HeartbeatState.WAITING, first_seen_at=now, counting_from=now
            )
            out.append(HeartbeatView(spec, status, status.deadline(spec), status.late(spec, now)))
        return out

    def get(self, name: str) -> HeartbeatView:
        self._spec(name)
        return next(v for v in self.list() if v.spec.name == name)

    # -- tokens -----------------------------------------------------------------------------

    def token(self, name: str, *, rotate: bool = False) -> str:
        """The heartbeat's token (for admins); a new one, the old one refused, if ``rotate``.
        A heartbeat the server has not seen yet is created now."""
        spec = self._spec(name)
        now = self.clock.now()
        with self.db.write() as conn:
            key = self.site_secrets.get_or_create(conn, _KEY, now)
            if store.credentials(conn, name) is None:
                self.watch.schedule(conn, spec, self._create(conn, name, now))
            if rotate:
                salt = secrets.token_hex(16)
                store.set_token(conn, name, hash_token(_derive(key, name, salt)), salt, now)
                audit.record(
                    conn,
                    now,
                    "heartbeat.token_rotated",
                    "heartbeat",
                    name,
                    after={"token": audit.SECRET},
                )
            found = store.credentials(conn, name)
            assert found is not None
            return _derive(key, name, found.salt)

    def tokens(self) -> dict[str, str]:
        """Every stored heartbeat's token, by name (for admins), in a read transaction."""
        with self.db.read() as conn:
            found = store.salts(conn)
            if not found:
                return {}
            # The key was made with the first heartbeat: this only reads it.
            key = self.site_secrets.get_or_create(conn, _KEY, self.clock.now())
        return {name: _derive(key, name, salt) for name, salt in found.items()}

    def _check_token(self, conn: Connection, name: str, token: str | None) -> None:
        if not token:
            raise TokenRefused(name, missing=True)
        found = store.credentials(conn, name)
        if found is None or not hmac.compare_digest(found.token_hash, hash_token(token)):
            raise TokenRefused(name, missing=False)

    # -- pings ------------------------------------------------------------------------------

    def ping(self, name: str, token: str | None, *, fail: bool = False) -> HeartbeatView:
        """A ping from the job (``fail``: it says it failed). NotFound for an unknown name,
        TokenRefused without the right token."""
        spec = self._spec(name)
        now = self.clock.now()
        with self.db.write() as conn:
            self._check_token(conn, name, token)
            status = self.watch.lock(conn, name)
            assert status is not None
            if fail:
                self.watch.fail(conn, spec, status, now, "http")
            else:
                self.watch.ping(conn, spec, status, now, "http")
        self.wake()
        return self.get(name)

    def alertmanager(self, name: str, token: str | None, body: bytes) -> bool:
        """An Alertmanager webhook notification (its Watchdog route): a ping when it carries
        a firing alert. Returns whether it was one."""
        spec = self._spec(name)
        now = self.clock.now()
        with self.db.read() as conn:
            self._check_token(conn, name, token)
        events = parse_webhook_message(body)
        if not any(e.action is Action.TRIGGER for e in events):
            return False
        with self.db.write() as conn:
            status = self.watch.lock(conn, name)
            if status is None:
                return False
            self.watch.ping(conn, spec, status, now, "alertmanager")
        self.wake()
        return True

    def watchdog(self, conn: Connection, submissions: Sequence[Submission]) -> None:
        """In the intake's transaction: firing alerts matching a heartbeat's ``watchdog:``
        matchers ping it. Nothing at all when no heartbeat has watchdog matchers."""
        dogs = self._watchdogs()
        if not dogs:
            return
        pinged: dict[str, datetime] = {}
        for sub in submissions:
            if sub.integration is None:
                continue  # Tocsin's own alerts never ping
            for event in sub.events:
                if event.action is not Action.TRIGGER:
                    continue
                if event.ends_at is not None and event.ends_at <= sub.received_at:
                    continue
                for name in dogs.pinged(event.labels):
                    pinged[name] = sub.received_at
        specs = self._specs()
        for name, at in sorted(pinged.items()):
            spec = specs.get(name)
            status = self.watch.lock(conn, name) if spec is not None else None
            if spec is not None and status is not None and status.retired_at is None:
                # Received before a ping recorded meanwhile: never move the deadline back.
                at = max(at, status.counting_from)
                self.watch.ping(conn, spec, status, at, "watchdog")

    def _watchdogs(self) -> Watchdogs:
        config = self.current()
        cached_for, dogs = self._dogs
        if cached_for is not config:
            dogs = Watchdogs(config.heartbeats.values() if config is not None else ())
            self._dogs = (config, dogs)
        return dogs
