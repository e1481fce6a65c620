"""API tokens: personal (act as their owner, within the owner's role) and service (act as
themselves). Scoped (read, respond, manage; optionally one team), expiring, revocable, shown
once: only the SHA-256 digest is stored (docs/security.md, "API tokens")."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import timedelta

from tocsin.config.compile import RoutingConfig
from tocsin.config.durations import duration_input
from tocsin.domain.access import Need, Principal, Role, Scope
from tocsin.engine.clock import Clock
from tocsin.errors import Conflict, FieldProblem, Forbidden, InputError, NotFound, Unauthorized
from tocsin.services.access import person_principal
from tocsin.services.integrations import hash_token
from tocsin.services.token_cache import TokenCache
from tocsin.store import api_tokens as store
from tocsin.store import audit
from tocsin.store.api_tokens import TokenRow
from tocsin.store.database import Database

__all__ = ["PREFIXES", "ApiTokenService", "TokenRow", "is_api_token", "lifetime_of"]

#: What every API token starts with (secret scanners recognise them): personal, service.
PREFIXES = {"personal": "tocsin_p_", "service": "tocsin_s_"}
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._:@+-]{0,99}$")
#: When no expiry is given.
DEFAULT_LIFETIME = timedelta(days=90)
#: Last use is written at most this often per token.
TOUCH_EVERY = timedelta(minutes=1)
#: Tokens found are cached this long (other nodes forget them when one is revoked, and in any
#: case within it).
CACHE_SECONDS = 5.0
_SCOPE_NEED = {"read": Need.READ, "respond": Need.RESPOND, "manage": Need.MANAGE}
_SERVICE_ROLE = {Scope.READ: Role.VIEWER, Scope.RESPOND: Role.RESPONDER, Scope.MANAGE: Role.ADMIN}


def is_api_token(token: str) -> bool:
    return token.startswith(tuple(PREFIXES.values()))


class ApiTokenService:
    def __init__(
        self, db: Database, clock: Clock, config: Callable[[], RoutingConfig | None]
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.cache: TokenCache[TokenRow] = TokenCache(CACHE_SECONDS)

    # -- making and ending -----------------------------------------------------------------

    def create(
        self,
        *,
        kind: str,
        name: str,
        scope: str,
        created_by: str,
        owner: str | None = None,
        team: str | None = None,
        lifetime: timedelta | None = DEFAULT_LIFETIME,
    ) -> tuple[TokenRow, str]:
        """Make a token; the row and the token itself (shown once, never stored)."""
        config = self.config()
        users = config.users if config else {}
        teams = config.teams if config else {}
        problems = []
        if kind not in PREFIXES:
            problems.append(FieldProblem("kind", f"{kind!r} is not personal or service"))
        if not NAME.match(name or ""):
            problems.append(FieldProblem("name", "1-100 letters, digits, spaces or ._:@+-"))
        if scope not in {s.value for s in Scope}:
            problems.append(FieldProblem("scope", f"{scope!r} is not read, respond or manage"))
        if kind == "personal" and owner not in users:
            problems.append(FieldProblem("owner", f"no user {owner!r}"))
        if kind == "service" and owner is not None:
            problems.append(FieldProblem("owner", "a service token has no owner"))
        if team is not None and team not in teams:
            problems.append(FieldProblem("team", f"no team {team!r} in the configuration"))
        if lifetime is not None and lifetime <= timedelta(0):
            problems.append(FieldProblem("expires", "must be in the future"))
        if problems:
            raise InputError(problems)
        token = PREFIXES[kind] + secrets.token_urlsafe(32)
        now = self.clock.now()
        with self.db.write() as conn:
            row = store.insert_token(
                conn,
                hash_token(token),
                name=name,
                kind=kind,
                owner=owner,
                scope=scope,
                team=team,
                prefix=token[: len(PREFIXES[kind]) + 4],
                created_at=now,
                created_by=created_by,
                expires_at=now + lifetime if lifetime is not None else None,
            )
            audit.record(
                conn,
                now,
                "api_token.created",
                "api_token",
                row.id,
                actor=created_by,
                after=audit.snapshot(row, ("hash", "last_used_at")),
            )
        return row, token

    def issue(
        self,
        by: Principal,
        *,
        kind: str,
        name: str,
        scope: str,
        team: str | None = None,
        lifetime: timedelta | None = DEFAULT_LIFETIME,
    ) -> tuple[TokenRow, str]:
        """Make a token for ``by``: a personal token for themselves, within their role (and
        a token's own scope); a service token if they are an admin, or one of a team they
        manage. A token making a token passes on its limits: no wider scope, its team, and
        an expiry no later than its own."""
        if by.team is not None:
            if team is not None and team != by.team:
                raise Forbidden(f"a token for team {by.team!r} cannot make one for {team!r}")
            team = by.team
        if by.token_id is not None:
            parent = self.get(by.token_id)
            if parent.expires_at is not None:
                left = parent.expires_at - self.clock.now()
                lifetime = left if lifetime is None else min(lifetime, left)
        wanted = _SCOPE_NEED.get(scope)
        if wanted is None:
            raise InputError(FieldProblem("scope", f"{scope!r} is not read, respond or manage"))
        if by.scope is not None and wanted > _SCOPE_NEED[by.scope.value]:
            raise Forbidden(f"a {by.scope.value} token cannot make a {scope} token")
        if kind == "personal":
            if by.user is None:
                raise Forbidden("a personal token is made by the person it acts as")
            if wanted is Need.RESPOND and by.role.rank < Role.RESPONDER.rank:
                raise Forbidden(f"a {by.role.value} cannot hold a respond token")
            if wanted is Need.MANAGE and not (by.role is Role.ADMIN or by.manages):
                raise Forbidden("only admins and team managers can hold a manage token")
            if team is not None and by.role is not Role.ADMIN and team not in by.teams:
                raise Forbidden(f"you are not a member of team {team!r}")
            owner: str | None = by.user
        elif kind == "service":
            if not (by.may(Need.ADMIN) or (team is not None and by.may(Need.MANAGE, team))):
                raise Forbidden(
                    "service tokens are made by admins, or by a team's managers for the team"
                )
            owner = None
        else:
            raise InputError(FieldProblem("kind", f"{kind!r} is not personal or service"))
        return self.create(
            kind=kind,
            name=name,
            scope=scope,
            created_by=by.actor,
            owner=owner,
            team=team,
            lifetime=lifetime,
        )

    def revoke(self, token_id: int, by: Principal) -> TokenRow:
        """Revoke a token: its owner or an admin (a service token: an admin)."""
        row = self.get(token_id)
        if by.scope is Scope.READ:
            raise Forbidden("a read token cannot revoke tokens")
        own = row.owner is not None and row.owner == by.user
        teams = row.owner is None and row.team is not None and by.may(Need.MANAGE, row.team)
        if not (own or teams or by.may(Need.ADMIN)):
            raise Forbidden("only the token's owner, its team's managers or an admin can revoke it")
        with self.db.write() as conn:
            done = store.revoke(conn, token_id, self.clock.now(), by.actor)
            found = store.get(conn, token_id)
            if not done:
                raise Conflict(f"API token {token_id} was revoked already")
            audit.record(
                conn,
                self.clock.now(),
                "api_token.revoked",
                "api_token",
                token_id,
                actor=by.actor,
                after={"name": row.name, "revoked": True},
            )
        self.cache.clear()
        assert found is not None
        return found

    def get(self, token_id: int) -> TokenRow:
        with self.db.read() as conn:
            row = store.get(conn, token_id)
        if row is None:
            raise NotFound(f"no API token {token_id}")
        return row

    def visible_to(self, by: Principal) -> list[TokenRow]:
        """The tokens ``by`` may see and revoke: every one for an admin; else their own
        and the service tokens of the teams they manage."""
        if by.may(Need.ADMIN):
            return self.listing()
        return [
            t
            for t in self.listing()
            if (t.owner is not None and t.owner == by.user)
            or (t.owner is None and t.team is not None and by.may(Need.MANAGE, t.team))
        ]

    def listing(self, owner: str | None = None, kind: str | None = None) -> list[TokenRow]:
        with self.db.read() as conn:
            return store.listing(conn, owner, kind)

    # -- using -----------------------------------------------------------------------------

    def principal(self, token: str) -> Principal:
        """Who ``token`` acts as; Unauthorized when it is unknown, expired or revoked."""
        digest = hash_token(token)
        row = self.cache.get(digest, self._load)
        now = self.clock.now()
        if row is None or not row.live(now):
            raise Unauthorized("the API token is unknown, expired or revoked")
        if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
            with self.db.write(durable=False) as conn:
                store.touch(conn, row.id, now)
            self.cache.forget(digest)
        scope = Scope(row.scope)
        if row.owner is None:
            role = _SERVICE_ROLE[scope]
            if row.team is not None and role is Role.ADMIN:
                role = Role.RESPONDER  # manages its own team only (Principal.may)
            return Principal(f"token:{row.name}", role, scope=scope, team=row.team, token_id=row.id)
        config = self.config()
        person = person_principal(config, row.owner)
        if person is None:
            raise Unauthorized(f"the API token's owner {row.owner!r} is no longer a user")
        return Principal(
            person.actor,
            person.role,
            person.manages,
            person.teams,
            scope=scope,
            team=row.team,
            user=row.owner,
            token_id=row.id,
        )

    def _load(self, digest: str) -> TokenRow | None:
        with self.db.read() as conn:
            return store.by_hash(conn, digest)


def lifetime_of(text: str | None) -> timedelta | None:
    """``expires``: a duration (``90d``), ``never``, or None for the default (90 days)."""
    if text is None or text == "":
        return DEFAULT_LIFETIME
    if text == "never":
        return None
    return duration_input(text, "expires")
