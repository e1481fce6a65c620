"""Backoff and lockout for sign-in: failed tries counted in the database per account and per
client address (so every node agrees), decided by ``domain.sign_in_lockout``.

A try on a name nobody has is counted and locked like any other, so neither the answer nor
its timing tells whether an account exists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from tocsin.domain.sign_in_lockout import LockoutPolicy, counted, failed, is_locked
from tocsin.settings import Settings
from tocsin.store import audit
from tocsin.store import sign_in_failures as store
from tocsin.store.database import Database

__all__ = [
    "SessionPolicy",
    "SignInGuard",
    "account_key",
    "address_key",
    "guard_from",
    "sessions_from",
]


@dataclass(frozen=True)
class SessionPolicy:
    """How long a browser stays signed in: ``idle`` without a request, ``lifetime`` at most."""

    idle: timedelta = timedelta(hours=12)
    lifetime: timedelta = timedelta(days=7)


def account_key(login: str) -> str:
    return "account:" + login.strip().lower()[:200]


def address_key(address: str) -> str:
    return "address:" + address[:200]


class SignInGuard:
    def __init__(
        self, db: Database, account: LockoutPolicy, address: LockoutPolicy | None = None
    ) -> None:
        self.db = db
        self.account = account
        #: None: client addresses are not counted.
        self.address = address
        #: After this long untouched, a counter has nothing left that counts (its window has
        #: passed, and so has the time after which lockouts in a row are forgotten).
        self._memory = max(p.window + 2 * p.lockout_max for p in (account, address) if p)

    def _policies(self, keys: Sequence[str]) -> list[tuple[str, LockoutPolicy]]:
        found = []
        for key in keys:
            policy = self.account if key.startswith("account:") else self.address
            if policy is not None:
                found.append((key, policy))
        return found

    def attempt(self, keys: Sequence[str], now: datetime) -> bool:
        """Count a try on each of ``keys`` (an account, a client address); False when any is
        locked (the password is then not even checked)."""
        with self.db.write() as conn:
            store.forget_before(conn, now - self._memory)
            policies = self._policies(keys)
            store.hold(conn, [k for k, _ in policies], now)
            counters = [(k, p, store.get(conn, k, lock=True)) for k, p in policies]
            if any(is_locked(c, now) for _, _, c in counters):
                return False
            allowed = True
            for key, policy, counter in counters:
                after = counted(counter, now, policy)
                if after.failures > policy.max_failures:  # a parallel burst: lock now
                    after = failed(after, now, policy)
                    allowed = False
                store.put(conn, key, after, now)
            return allowed

    def failed(self, keys: Sequence[str], now: datetime) -> None:
        """The counted try was wrong: lock each key that has had its tries."""
        with self.db.write() as conn:
            for key, policy in self._policies(keys):
                counter = store.get(conn, key, lock=True)
                if counter is not None and not is_locked(counter, now):
                    store.put(conn, key, failed(counter, now, policy), now)

    def succeeded(self, keys: Sequence[str], now: datetime) -> None:
        """The right password: the account's earlier failures no longer count; a client
        address's still do (or one right password would hide a spray over many names), less
        this try, which was no failure."""
        with self.db.write() as conn:
            for key in keys:
                if key.startswith("account:"):
                    store.clear(conn, key)
                    continue
                counter = store.get(conn, key, lock=True)
                if counter is not None and counter.failures > 0:
                    less = replace(counter, failures=counter.failures - 1)
                    store.put(conn, key, less, now)

    def unlock(self, user_id: str, now: datetime) -> bool:
        """An admin lets ``user_id`` try again now; whether they were locked or had failures."""
        with self.db.write() as conn:
            had = store.clear(conn, account_key(user_id))
            if had:
                counter = {"failures": "forgotten", "locked": False}
                audit.record(conn, now, "account.unlocked", "account", user_id, after=counter)
            return had

    def locked(self, now: datetime) -> dict[str, datetime]:
        """The accounts locked now (by the id or name typed), with when each lockout ends."""
        with self.db.read() as conn:
            keys = store.locked_keys(conn, now)
        return {k.removeprefix("account:"): v for k, v in keys.items() if k.startswith("account:")}


def guard_from(settings: Settings, db: Database) -> SignInGuard:
    """The lockout the ``TOCSIN_SIGNIN_*`` settings ask for."""
    account = LockoutPolicy(
        settings.signin_max_failures,
        settings.signin_failure_window,
        settings.signin_lockout,
        settings.signin_lockout_max,
    )
    per_address = settings.signin_max_failures_per_address
    address = LockoutPolicy(per_address, account.window, account.lockout, account.lockout_max)
    return SignInGuard(db, account, address if per_address > 0 else None)


def sessions_from(settings: Settings) -> SessionPolicy:
    return SessionPolicy(settings.session_idle, settings.session_lifetime)
