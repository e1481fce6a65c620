"""Rate limits on what comes in (docs/security.md#rate-limits): a token bucket
(``domain.rate_limits``) per integration, per heartbeat credential and per API token.

Over its limit a sender is refused (``RateLimited``: HTTP 429 with ``Retry-After``), except
Alertmanager-kind deliveries (``POST /api/v2/alerts`` from Prometheus, the Alertmanager
webhook receiver): Prometheus drops a batch answered with any non-2xx and Alertmanager's
webhook notifier retries only 5xx, so refusing them would lose alerts. They are accepted,
stored like any other, counted (``tocsin_rate_limited_total{action="accepted"}``) and
logged once a minute per sender.

The buckets live in this process's memory: with several nodes each limits on its own (a
sender spread over N nodes may get up to N times the limit). Keys are strings
(``integration:<id>``, ``token:<id>``, ``heartbeat:<name>:<credential digest>``); beyond
``MAX_KEYS`` the full ones, which hold nothing worth keeping, are forgotten.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter

from tocsin.domain.integrations import Integration, IntegrationKind
from tocsin.domain.rate_limits import Bucket, RateLimit, retry_after
from tocsin.engine.clock import Clock
from tocsin.errors import TocsinError
from tocsin.settings import Settings

__all__ = ["NEVER_REFUSED", "RateLimited", "RateLimits", "limit_from"]

log = logging.getLogger("tocsin.rate_limits")

#: Senders that do not retry a 4xx: over the limit they are accepted, never refused.
NEVER_REFUSED = frozenset({IntegrationKind.ALERTMANAGER, IntegrationKind.ALERTMANAGER_WEBHOOK})
#: Beyond this many buckets, the full ones are forgotten (and the oldest, if all are in use).
MAX_KEYS = 10_000
#: At most one warning per sender this often.
WARN_EVERY = timedelta(minutes=1)


class RateLimited(TocsinError):
    """Over the limit: answer 429 with ``Retry-After: retry_after``."""

    def __init__(self, scope: str, name: str, limit: RateLimit, retry_after: int) -> None:
        self.scope = scope
        self.name = name
        self.limit = limit
        self.retry_after = retry_after
        super().__init__(
            f"rate limited: {scope} {name!r} may make {limit}; retry after {retry_after} s"
        )


def limit_from(per_minute: int, burst: int) -> RateLimit | None:
    """A limit from settings; None (no limit) for 0 requests a minute."""
    return RateLimit(per_minute, burst) if per_minute > 0 else None


class RateLimits:
    def __init__(
        self,
        clock: Clock,
        *,
        integration: RateLimit | None,
        api: RateLimit | None,
        heartbeat_names: Callable[[], Collection[str]] = lambda: (),
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.clock = clock
        #: Per integration, and per heartbeat credential (pings are ingest too).
        self.integration_limit = integration
        #: Per API token.
        self.api_limit = api
        self.heartbeat_names = heartbeat_names
        self.over = Counter(
            "tocsin_rate_limited",
            "Requests over a rate limit, by scope, sender and what was done: refused (429) "
            "or accepted (Alertmanager-kind senders, which do not retry a 4xx).",
            ["scope", "name", "action"],
            registry=registry,
        )
        self._buckets: dict[str, Bucket] = {}
        self._warned: dict[str, datetime] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        clock: Clock,
        *,
        heartbeat_names: Callable[[], Collection[str]] = lambda: (),
        registry: CollectorRegistry | None = None,
    ) -> RateLimits:
        return cls(
            clock,
            integration=limit_from(
                settings.rate_limit_integration, settings.rate_limit_integration_burst
            ),
            api=limit_from(settings.rate_limit_api, settings.rate_limit_api_burst),
            heartbeat_names=heartbeat_names,
            registry=registry,
        )

    # -- what the API calls -------------------------------------------------------------------

    def integration(self, integration: Integration) -> None:
        """A request from an authenticated integration. RateLimited over its limit, unless
        it is Alertmanager-kind: then it is accepted, counted and logged."""
        if self.integration_limit is None:
            return
        self.admit(
            f"integration:{integration.id}",
            self.integration_limit,
            scope="integration",
            name=integration.name,
            refuse=integration.kind not in NEVER_REFUSED,
        )

    def heartbeat(self, name: str, token: str | None, *, refuse: bool = True) -> None:
        """A ping of a configured heartbeat, before its token is checked: the bucket is the
        credential's, so pings with a wrong token cannot use up the right one's. An unknown
        heartbeat is not limited (it is answered 404 without touching the database).
        ``refuse=False``: its Alertmanager receiver, accepted over the limit."""
        if self.integration_limit is None or name not in self.heartbeat_names():
            return
        digest = hashlib.sha256((token or "").encode()).hexdigest()[:16]
        self.admit(
            f"heartbeat:{name}:{digest}",
            self.integration_limit,
            scope="heartbeat",
            name=name,
            refuse=refuse,
        )

    def api_token(self, token_id: int | str, name: str | None = None) -> None:
        """A request with an API token (call it once the token is authenticated):
        RateLimited over ``TOCSIN_RATE_LIMIT_API``."""
        if self.api_limit is None:
            return
        self.admit(
            f"token:{token_id}",
            self.api_limit,
            scope="api_token",
            name=name or str(token_id),
            refuse=True,
        )

    # -- the buckets ---------------------------------------------------------------------------

    def wait(self, key: str, limit: RateLimit) -> float:
        """Take a token from ``key``'s bucket: 0.0 if it had one, else the seconds until it has."""
        now = self.clock.now()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= MAX_KEYS:
                    self._forget(now)
                bucket = self._buckets[key] = Bucket(limit, now)
            return bucket.take(limit, now)

    def admit(self, key: str, limit: RateLimit, *, scope: str, name: str, refuse: bool) -> None:
        """One request under ``key``'s bucket: returns if within the limit or not ``refuse``
        (counted as accepted), raises RateLimited otherwise (counted as refused)."""
        wait = self.wait(key, limit)
        if wait <= 0:
            return
        if refuse:
            self.over.labels(scope, name, "refused").inc()
            self._warn(key, f"{scope} {name!r} is over its rate limit ({limit}): refused (429)")
            raise RateLimited(scope, name, limit, retry_after(wait))
        self.over.labels(scope, name, "accepted").inc()
        self._warn(
            key,
            f"{scope} {name!r} is over its rate limit ({limit}): accepted anyway, as an "
            "Alertmanager-kind sender drops what is refused",
        )

    def _warn(self, key: str, message: str) -> None:
        now = self.clock.now()
        with self._lock:
            last = self._warned.get(key)
            if last is not None and timedelta(0) <= now - last < WARN_EVERY:
                return
            if len(self._warned) >= MAX_KEYS:
                self._warned.clear()
            self._warned[key] = now
        log.warning("%s", message)

    def _forget(self, now: datetime) -> None:
        """Make room (under the lock): drop full buckets, or else the least recently used half."""
        limits = {"integration": self.integration_limit, "token": self.api_limit}
        for key in list(self._buckets):
            limit = limits.get(key.split(":", 1)[0], self.integration_limit)
            if limit is None or self._buckets[key].full(limit, now):
                del self._buckets[key]
        if len(self._buckets) >= MAX_KEYS:
            by_age = sorted(self._buckets, key=lambda k: self._buckets[k].updated)
            for key in by_age[: len(by_age) // 2]:
                del self._buckets[key]
