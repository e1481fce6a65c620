"""Creating, listing and rotating integrations, and authenticating their tokens.

Tokens are 128 random bits, shown once, stored as a SHA-256 hash (a slow password hash buys
nothing for random tokens and would cost every ingest request), and compared in constant
time. Unknown and wrong tokens get the same answer, so callers learn nothing about which
integrations exist.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Collection, Mapping
from typing import Any

import pydantic

from tocsin.config.validation import problems_of
from tocsin.domain.integrations import Integration, IntegrationKind
from tocsin.engine.clock import Clock
from tocsin.errors import FieldProblem, InputError, NotFound, Unauthorized
from tocsin.integrations.webhook import WebhookMapping
from tocsin.store import integrations as store
from tocsin.store.database import Database

__all__ = ["IntegrationService", "hash_token", "new_token"]

_CACHE_SECONDS = 5.0


def new_token() -> str:
    return secrets.token_hex(16)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_settings(kind: IntegrationKind, settings: Mapping[str, Any]) -> dict[str, Any]:
    settings = dict(settings)
    if kind is IntegrationKind.WEBHOOK and "mapping" in settings:
        try:
            settings["mapping"] = WebhookMapping.model_validate(settings["mapping"]).model_dump(
                exclude_defaults=True
            )
        except pydantic.ValidationError as exc:
            raise InputError(problems_of(exc, "mapping")) from None
    elif settings:
        unknown = ", ".join(sorted(settings))
        raise InputError(FieldProblem("settings", f"{kind.value} takes no settings ({unknown})"))
    return settings


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200 or any(ord(c) < 32 for c in name):
        raise InputError(FieldProblem("name", "must be 1 to 200 printable characters"))
    return name


class IntegrationService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._cache: dict[str, tuple[Integration | None, float]] = {}
        self._lock = threading.Lock()

    def create(
        self, name: str, kind: IntegrationKind, settings: Mapping[str, Any] | None = None
    ) -> tuple[Integration, str]:
        """Create an integration; return it and its token (the only time it is shown)."""
        name = _check_name(name)
        checked = _check_settings(kind, settings or {})
        token = new_token()
        with self.db.write() as conn:
            integration = store.create(
                conn,
                name=name,
                kind=kind,
                token_hash=hash_token(token),
                settings=checked,
                now=self.clock.now(),
            )
        return integration, token

    def list(self) -> list[Integration]:
        with self.db.read() as conn:
            return store.list_all(conn)

    def rotate_token(self, name: str) -> tuple[Integration, str]:
        """Replace an integration's token; the old one stops working at once on this node."""
        token = new_token()
        with self.db.write() as conn:
            integration = store.by_name(conn, name)
            if integration is None:
                raise NotFound(f"no integration named {name!r}")
            store.set_token_hash(conn, integration.id, hash_token(token), self.clock.now())
        with self._lock:
            self._cache.pop(integration.token_hash, None)
        return integration, token

    def authenticate(self, token: str | None, kinds: Collection[IntegrationKind]) -> Integration:
        """The integration owning ``token`` if it is one of ``kinds``; Unauthorized otherwise."""
        if not token:
            raise Unauthorized("missing credentials")
        digest = hash_token(token)
        found = self._lookup(digest)
        if (
            found is None
            or not hmac.compare_digest(found.token_hash, digest)
            or found.kind not in kinds
        ):
            raise Unauthorized("invalid credentials")
        return found

    def _lookup(self, digest: str) -> Integration | None:
        # A short per-process cache keeps token checks off the database on the hot path.
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(digest)
            if cached is not None and cached[1] > now:
                return cached[0]
        with self.db.read() as conn:
            found = store.by_token_hash(conn, digest)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (found, now + _CACHE_SECONDS)
        return found
