"""Who may sign in to the web UI, their sessions, and the contact methods and notification
rules people set for themselves.

Passwords are hashed with argon2id. A session is a random token in a cookie; the database
keeps its SHA-256 digest and the session's CSRF secret. Sessions end after a while idle
(12 hours by default), or a while after sign-in (7 days), or at sign-out, or when the
password changes. Wrong passwords lock the account, and the client address, for a while
(``services/sign_in_guard``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.config.users import USER_ID, with_profile
from tocsin.config.validation import field_path
from tocsin.domain.access import Role
from tocsin.domain.sign_in_lockout import LockoutPolicy
from tocsin.domain.users import User
from tocsin.engine.clock import Clock
from tocsin.errors import FieldProblem, InputError, NotFound, Unauthorized
from tocsin.services.sign_in_guard import SessionPolicy, SignInGuard, account_key, address_key
from tocsin.store import accounts as store
from tocsin.store import audit
from tocsin.store.accounts import Account
from tocsin.store.database import Database

__all__ = ["AccountService", "SignedIn", "account_role", "merge_people"]

#: A session's last-seen time is written at most this often.
TOUCH_EVERY = timedelta(minutes=5)
MIN_PASSWORD = 10
#: Every refused sign-in says this, whether the name is unknown, the password wrong or the
#: account locked: the answer tells an attacker nothing.
REFUSED = "wrong user or password, or too many tries: wait a minute and try again"

_hasher = PasswordHasher()
#: Verified against when the account does not exist, so a wrong name costs the same time.
_DUMMY = _hasher.hash("not a password anyone has")


@dataclass(frozen=True)
class SignedIn:
    """A browser's session: who it is, and the secret its forms carry."""

    user_id: str
    csrf: str
    name: str
    #: Their role (the configuration's, else their account's).
    role: Role = Role.RESPONDER

    @property
    def admin(self) -> bool:
        return self.role is Role.ADMIN


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def merge_people(
    file: RoutingConfig | None, accounts: Mapping[str, Account]
) -> RoutingConfig | None:
    """The configuration with the people as they are: accounts made with ``tocsin user
    create`` join the configured users, and what people set for themselves (contact
    methods, rules) replaces the file's."""
    if file is None or not accounts:
        return file
    users = dict(file.users)
    for account in accounts.values():
        person = users.get(account.user_id) or User(
            account.user_id, account.name, account.email, role=account_role(account)
        )
        person = replace(
            person,
            admin=person.admin or account.admin,
            name=person.name or account.name,
            email=person.email or account.email,
        )
        if account.profile:
            person = with_profile(person, account.profile, lambda keys, text: None) or person
        users[account.user_id] = person
    return replace(file, users=users)


def account_role(account: Account) -> Role:
    """The role of a person made with ``tocsin user create``."""
    if account.admin:
        return Role.ADMIN
    return Role(account.role) if account.role in set(Role) else Role.RESPONDER


#: A new password, as the audit log records it (never the password, nor its hash).
_NEW_PASSWORD = {"password": audit.SECRET, "sessions": "ended"}


def _audit(
    conn: Connection,
    now: datetime,
    action: str,
    user_id: str,
    before: Account | Mapping[str, Any] | None,
    after: Account | Mapping[str, Any] | None,
    actor: str | None = None,
) -> None:
    """An account's change in the audit log: the fields that changed (``before`` None: a
    new account, shown whole); its password only as "changed"."""
    if before is None:
        audit.record(conn, now, action, "account", user_id, actor=actor, after=after)
        return
    audit.record_change(conn, now, action, "account", user_id, before, after, actor=actor)


def _verify(stored: str | None, password: str) -> bool:
    """Whether ``password`` is the one ``stored`` was hashed from. Without an account the
    check runs against a dummy hash, so a wrong name costs the same time as a wrong
    password."""
    try:
        _hasher.verify(stored or _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


def _same(email: str | None, wanted: str) -> bool:
    return bool(email) and str(email).lower() == wanted


class AccountService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        config: Callable[[], RoutingConfig | None],
        on_change: Callable[[dict[str, Account]], None] = lambda accounts: None,
        file: Callable[[], RoutingConfig | None] | None = None,
        *,
        guard: SignInGuard | None = None,
        sessions: SessionPolicy | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.on_change = on_change
        #: The configuration file's own (``config`` has what people set on top).
        self.file = file or config
        self.guard = guard or SignInGuard(db, LockoutPolicy(), LockoutPolicy(max_failures=50))
        self.sessions = sessions or SessionPolicy()

    # -- accounts ----------------------------------------------------------------------------

    def load(self) -> dict[str, Account]:
        """Every account; hands them to ``on_change`` (the people in force on this node)."""
        with self.db.read() as conn:
            found = {a.user_id: a for a in store.all_accounts(conn)}
        self.on_change(found)
        return found

    def everyone(self) -> dict[str, Account]:
        """Every account by user id, read now (``load`` also hands them to ``on_change``)."""
        with self.db.read() as conn:
            return {a.user_id: a for a in store.all_accounts(conn)}

    def account(self, user_id: str) -> Account | None:
        with self.db.read() as conn:
            return store.get(conn, user_id)

    def create(
        self,
        user_id: str,
        password: str,
        *,
        admin: bool = False,
        name: str = "",
        email: str | None = None,
        role: Role | None = None,
    ) -> Account:
        """Let ``user_id`` sign in: a configured user, or a new person. Someone who already
        has a password is refused (``set_password`` changes it)."""
        if not re.match(USER_ID, user_id):
            raise InputError(FieldProblem("user", f"{user_id!r} is not a valid user id"))
        hashed = self._hash(password)
        now = self.clock.now()
        with self.db.write() as conn:
            existing = store.get(conn, user_id)
            if existing is not None and existing.password_hash:
                raise InputError(
                    FieldProblem(
                        "user",
                        f"{user_id} already has an account: `tocsin user password {user_id}` "
                        "sets a new password",
                    )
                )
            store.save(
                conn,
                user_id,
                now,
                admin=admin or bool(existing and existing.admin),
                name=name or (existing.name if existing else ""),
                email=email or (existing.email if existing else None),
                password_hash=hashed,
                role=role.value if role else (existing.role if existing else None),
            )
            store.delete_sessions_of(conn, user_id)
            account = store.get(conn, user_id)
            _audit(conn, now, "account.created", user_id, existing, account)
        assert account is not None
        self.load()
        return account

    def join(self, user_id: str, *, name: str = "", email: str | None = None) -> None:
        """Someone new whom single sign-on vouched for: an account without a password,
        a viewer (``services/sso_people``)."""
        now = self.clock.now()
        with self.db.write() as conn:
            if store.get(conn, user_id) is not None:
                raise InputError(FieldProblem("user", f"{user_id} already has an account"))
            store.save(conn, user_id, now, admin=False, name=name, email=email, role=Role.VIEWER)
            _audit(conn, now, "account.created", user_id, None, store.get(conn, user_id))
        self.load()

    def set_password(self, user_id: str, password: str) -> None:
        """A new password for ``user_id`` (a configured user gets an account); every session
        of theirs ends."""
        hashed = self._hash(password)
        now = self.clock.now()
        config = self.config()
        with self.db.write() as conn:
            if store.get(conn, user_id) is None:
                if config is None or user_id not in config.users:
                    raise NotFound(f"no user {user_id!r}")
                store.save(conn, user_id, now, admin=False)
            store.set_password(conn, user_id, hashed, now)
            store.delete_sessions_of(conn, user_id)
            _audit(conn, now, "account.password_changed", user_id, None, _NEW_PASSWORD)
        self.load()

    def change_password(self, user_id: str, current: str, new: str) -> tuple[str, SignedIn]:
        """``user_id`` changes their own password, proving they know the current one. Every
        session of theirs ends (a stolen cookie stops working); the browser that asked gets
        the new session returned (its cookie's token and the session), so it stays signed
        in. Wrong current passwords count towards the sign-in lockout."""
        now = self.clock.now()
        keys = [account_key(user_id)]
        if not self.guard.attempt(keys, now):
            raise InputError(
                FieldProblem("current_password", "too many wrong passwords: try again later")
            )
        account = self.account(user_id)
        if not _verify(account.password_hash if account else None, current):
            self.guard.failed(keys, now)
            raise InputError(FieldProblem("current_password", "is not your current password"))
        if new == current:
            raise InputError(FieldProblem("new_password", "is the same as the current one"))
        try:
            hashed = self._hash(new)
        except InputError:
            raise InputError(
                FieldProblem("new_password", f"must be at least {MIN_PASSWORD} characters")
            ) from None
        self.guard.succeeded(keys, now)
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_hex(32)
        with self.db.write() as conn:
            store.set_password(conn, user_id, hashed, now)
            store.delete_sessions_of(conn, user_id)
            store.insert_session(conn, digest(token), user_id, csrf, now, self._expiry(now, now))
            _audit(conn, now, "account.password_changed", user_id, None, _NEW_PASSWORD, user_id)
        return token, self._signed_in(user_id, csrf)

    @staticmethod
    def _hash(password: str) -> str:
        if len(password) < MIN_PASSWORD:
            raise InputError(
                FieldProblem("password", f"must be at least {MIN_PASSWORD} characters")
            )
        return _hasher.hash(password)

    # -- sessions ----------------------------------------------------------------------------

    def sign_in(
        self, login: str, password: str, address: str | None = None
    ) -> tuple[str, SignedIn]:
        """A new session for the person whose id (or email) and password these are: the
        cookie's token and the session. Unauthorized, always with the same words, when they
        do not match or the account (or the client ``address``) is locked after repeated
        failures; a locked account's right password is refused too, unchecked."""
        now = self.clock.now()
        login = login.strip()
        with self.db.read() as conn:
            account = store.get(conn, login) or self._by_email(conn, login)
        keys = [account_key(account.user_id if account else login)]
        if address:
            keys.append(address_key(address))
        if not self.guard.attempt(keys, now):
            _verify(None, password)  # the same time as a real check
            raise Unauthorized(REFUSED)
        if account is None or not _verify(account.password_hash, password):
            self.guard.failed(keys, now)
            raise Unauthorized(REFUSED)
        self.guard.succeeded(keys, now)
        return self.start_session(account.user_id)

    def start_session(self, user_id: str) -> tuple[str, SignedIn]:
        """A new session for ``user_id`` (a password, or single sign-on, vouched for them):
        the cookie's token and the session."""
        now = self.clock.now()
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_hex(32)
        with self.db.write() as conn:
            store.insert_session(conn, digest(token), user_id, csrf, now, self._expiry(now, now))
        return token, self._signed_in(user_id, csrf)

    def _expiry(self, created: datetime, now: datetime) -> datetime:
        """When a session made at ``created`` and seen at ``now`` ends."""
        return min(now + self.sessions.idle, created + self.sessions.lifetime)

    def _by_email(self, conn: Any, login: str) -> Account | None:
        """The account of the one person with this email in the configuration file or on
        their account (not an email someone put on their own profile: that would let
        anyone take over another's sign-in name). Several people: nobody."""
        if "@" not in login:
            return None
        wanted = login.lower()
        file = self.file()
        found = {p.id for p in (file.users.values() if file else ()) if _same(p.email, wanted)}
        found |= {a.user_id for a in store.all_accounts(conn) if _same(a.email, wanted)}
        return store.get(conn, found.pop()) if len(found) == 1 else None

    def session(self, token: str | None) -> SignedIn | None:
        """The session a cookie's token names, if it has not ended."""
        if not token or len(token) > 200:
            return None
        now = self.clock.now()
        hashed = digest(token)
        with self.db.read() as conn:
            row = store.get_session(conn, hashed)
        if row is None or row.expires_at <= now or now - row.created_at >= self.sessions.lifetime:
            return None
        if now - row.seen_at >= TOUCH_EVERY:
            with self.db.write() as conn:
                store.touch_session(conn, hashed, now, self._expiry(row.created_at, now))
        return self._signed_in(row.user_id, row.csrf)

    def unlock(self, user_id: str) -> bool:
        """An admin lets ``user_id`` sign in again at once (their failed tries are
        forgotten); whether there were any."""
        self.person(user_id)  # NotFound for nobody
        return self.guard.unlock(user_id, self.clock.now())

    def locked(self) -> dict[str, datetime]:
        """Accounts (ids or names typed) locked now, with when each lockout ends."""
        return self.guard.locked(self.clock.now())

    def sign_out(self, token: str | None) -> None:
        if token:
            with self.db.write() as conn:
                store.delete_session(conn, digest(token))

    def _signed_in(self, user_id: str, csrf: str) -> SignedIn:
        person = self.person(user_id)
        return SignedIn(user_id, csrf, person.display, person.role)

    def person(self, user_id: str) -> User:
        """The person as paging sees them (configuration plus their own settings)."""
        config = self.config()
        if config is not None and user_id in config.users:
            return config.users[user_id]
        account = self.account(user_id)
        if account is None:
            raise NotFound(f"no user {user_id!r}")
        return User(user_id, account.name, account.email, role=account_role(account))

    # -- profiles ----------------------------------------------------------------------------

    def save_profile(self, user_id: str, profile: Mapping[str, Any]) -> User:
        """What ``user_id`` set for themselves, checked like the configuration file; their
        pages use it from now on (on every node within seconds)."""
        config = self.config()
        base = (config.users.get(user_id) if config else None) or self.person(user_id)
        problems: list[FieldProblem] = []
        person = with_profile(
            base,
            profile,
            lambda keys, text: problems.append(FieldProblem(field_path(tuple(keys)), text)),
        )
        if person is None or problems:
            raise InputError(problems or [FieldProblem("profile", "is not valid")])
        now = self.clock.now()
        with self.db.write() as conn:
            before = store.get(conn, user_id)
            if before is None:
                store.save(conn, user_id, now, admin=False)
            store.set_profile(conn, user_id, profile, now)
            _audit(conn, now, "account.profile_changed", user_id, before, store.get(conn, user_id))
        self.load()
        return self.person(user_id)

    def clear_profile(self, user_id: str) -> None:
        """Back to the configuration file's contact methods and rules."""
        with self.db.write() as conn:
            before = store.get(conn, user_id)
            store.set_profile(conn, user_id, None, self.clock.now())
            after = store.get(conn, user_id)
            _audit(conn, self.clock.now(), "account.profile_reset", user_id, before, after)
        self.load()
