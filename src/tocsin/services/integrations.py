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
from collections.abc import Callable, Collection, Mapping
from typing import Any

import pydantic

from tocsin.config.validation import problems_of
from tocsin.domain.integrations import Integration, IntegrationKind
from tocsin.domain.labels import label_name_problem
from tocsin.engine.clock import Clock
from tocsin.errors import FieldProblem, InputError, NotFound, Unauthorized
from tocsin.integrations.webhook import WebhookMapping
from tocsin.services.token_cache import TokenCache
from tocsin.store import audit
from tocsin.store import integrations as store
from tocsin.store.database import Database

__all__ = ["IntegrationService", "hash_token", "new_token"]

_CACHE_SECONDS = 5.0


def new_token() -> str:
    return secrets.token_hex(16)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_settings(kind: IntegrationKind, settings: Mapping[str, Any]) -> dict[str, Any]:
    """``labels`` (any kind: labels every alert it receives gets, unless the sender sets
    them) and ``mapping`` (a generic webhook's field mapping); InputError naming a bad one."""
    settings = dict(settings)
    if "mapping" in settings:
        if kind is not IntegrationKind.WEBHOOK:
            raise InputError(FieldProblem("settings.mapping", "is only for a webhook"))
        try:
            settings["mapping"] = WebhookMapping.model_validate(settings["mapping"]).model_dump(
                exclude_defaults=True
            )
        except pydantic.ValidationError as exc:
            raise InputError(problems_of(exc, "mapping")) from None
    if "labels" in settings:
        labels = settings["labels"]
        if not isinstance(labels, Mapping):
            raise InputError(FieldProblem("settings.labels", "must be a mapping of labels"))
        for name, value in labels.items():
            problem = label_name_problem(str(name))
            if problem is None and (not isinstance(value, str) or not value):
                problem = "the value must be some text"
            if problem is not None:
                raise InputError(FieldProblem(f"settings.labels.{name}", problem))
        settings["labels"] = dict(labels)
    unknown = sorted(set(settings) - {"mapping", "labels"})
    if unknown:
        raise InputError(
            FieldProblem("settings", f"{kind.value} takes no settings ({', '.join(unknown)})")
        )
    return settings


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200 or any(ord(c) < 32 for c in name):
        raise InputError(FieldProblem("name", "must be 1 to 200 printable characters"))
    return name


#: Not shown in the audit log (the token's hash is never shown anywhere).
_BOOKKEEPING = ("token_hash", "token_rotated_at", "created_at")


class IntegrationService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        teams: Callable[[], Collection[str] | None] = lambda: None,
    ) -> None:
        self.db = db
        self.clock = clock
        #: The configured teams (None: not known here, as in a CLI run without one).
        self.teams = teams
        self.cache: TokenCache[Integration] = TokenCache(_CACHE_SECONDS)

    def create(
        self,
        name: str,
        kind: IntegrationKind,
        settings: Mapping[str, Any] | None = None,
        team: str | None = None,
    ) -> tuple[Integration, str]:
        """Create an integration (owned by ``team``, if given); return it and its token (the
        only time it is shown)."""
        name = _check_name(name)
        known = self.teams()
        if team is not None and known is not None and team not in known:
            raise InputError(FieldProblem("team", f"no team {team!r} in the configuration"))
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
                team=team,
            )
            audit.record(
                conn,
                integration.created_at,
                "integration.created",
                "integration",
                integration.id,
                after={**audit.snapshot(integration, _BOOKKEEPING), "token": audit.SECRET},
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
            audit.record(
                conn,
                self.clock.now(),
                "integration.token_rotated",
                "integration",
                integration.id,
                after={"name": integration.name, "token": audit.SECRET},
            )
        self.cache.forget(integration.token_hash)
        return integration, token

    def authenticate(self, token: str | None, kinds: Collection[IntegrationKind]) -> Integration:
        """The integration owning ``token`` if it is one of ``kinds``; Unauthorized otherwise."""
        if not token:
            raise Unauthorized("missing credentials")
        digest = hash_token(token)
        found = self.cache.get(digest, self._load)
        if (
            found is None
            or not hmac.compare_digest(found.token_hash, digest)
            or found.kind not in kinds
        ):
            raise Unauthorized("invalid credentials")
        return found

    def _load(self, digest: str) -> Integration | None:
        with self.db.read() as conn:
            return store.by_token_hash(conn, digest)
