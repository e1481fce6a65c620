"""Secrets Tocsin makes for itself on first start (kept in the database, so every node of a
cluster and every restart uses the same one), encrypted with the site's keys
(``tocsin.secret_box``; docs/security.md#secrets).

A value is stored as ``enc:<token>``; one stored before encryption came (or while
PostgreSQL had no key) is plain, and is encrypted when Tocsin next starts with a key
(``seal_plain``). A value no key decrypts is an error naming it: never a new secret made
in its place, which would quietly break every link and token signed with the old one.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tocsin.secret_box import ENV_KEYS, HOW_TO_MAKE, SecretBox, SecretKeyError, is_sealed
from tocsin.store.tables import site_secrets as table

__all__ = ["Inventory", "SiteSecrets"]


@dataclass(frozen=True)
class Inventory:
    """What ``rotate`` or ``count`` found: names by state."""

    #: Encrypted with the first key (after ``rotate``: every one it re-encrypted).
    current: tuple[str, ...] = ()
    #: Encrypted with another of the keys.
    older: tuple[str, ...] = ()
    #: Stored plain.
    plain: tuple[str, ...] = ()


class SiteSecrets:
    """The site's secrets, sealed with ``box`` (None: no key, PostgreSQL without
    TOCSIN_SECRET_KEYS; values are then stored plain, and Tocsin says so when it starts)."""

    def __init__(self, box: SecretBox | None) -> None:
        self.box = box

    def get_or_create(self, conn: Connection, name: str, now: datetime) -> str:
        """The secret ``name`` (64 hex characters), made the first time it is asked for."""
        stored = _stored(conn, name)
        if stored is not None:
            return self._open(name, stored)
        # Two nodes starting at once may both get here: the first insert wins, both read it.
        value = secrets.token_hex(32)
        sealed = self.box.seal(value, now) if self.box is not None else value
        insert_ = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
        conn.execute(
            insert_(table)
            .values(name=name, value=sealed, created_at=now)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        stored = _stored(conn, name)
        assert stored is not None
        return self._open(name, stored)

    def seal_plain(self, conn: Connection, now: datetime) -> list[str]:
        """Encrypt the secrets stored plain; their names (none without a key)."""
        if self.box is None:
            return []
        rows = conn.execute(select(table.c.name, table.c.value)).all()
        done = []
        for name, value in rows:
            if not is_sealed(value):
                _store(conn, name, value, self.box.seal(value, now))
                done.append(name)
        return done

    def rotate(self, conn: Connection, now: datetime) -> Inventory:
        """Every secret re-encrypted with the first key (plain ones encrypted), in the
        caller's transaction; SecretKeyError naming every one that no key decrypts, and
        nothing changed."""
        box = self._box("rotate the stored secrets")
        rows = conn.execute(select(table.c.name, table.c.value).order_by(table.c.name)).all()
        unreadable = [n for n, v in rows if is_sealed(v) and box.key_of(v) is None]
        if unreadable:
            raise SecretKeyError(_unreadable(unreadable, box))
        older, plain = [], []
        for name, value in rows:
            if not is_sealed(value):
                _store(conn, name, value, box.seal(value, now))
                plain.append(name)
            elif box.key_of(value) != box.fingerprints[0]:
                _store(conn, name, value, box.reseal(value, f"site secret {name!r}"))
                older.append(name)
        return Inventory(tuple(n for n, _ in rows), tuple(older), tuple(plain))

    def count(self, conn: Connection) -> Inventory:
        """Which secrets are encrypted with the first key, with another, or not at all;
        SecretKeyError naming those no key decrypts."""
        rows = conn.execute(select(table.c.name, table.c.value).order_by(table.c.name)).all()
        plain = [n for n, v in rows if not is_sealed(v)]
        sealed = [(n, v) for n, v in rows if is_sealed(v)]
        if not sealed:
            return Inventory(plain=tuple(plain))
        box = self._box("read the stored secrets")
        keys = {n: box.key_of(v) for n, v in sealed}
        unreadable = [n for n, k in keys.items() if k is None]
        if unreadable:
            raise SecretKeyError(_unreadable(unreadable, box))
        first = box.fingerprints[0]
        return Inventory(
            tuple(n for n, k in keys.items() if k == first),
            tuple(n for n, k in keys.items() if k != first),
            tuple(plain),
        )

    def _open(self, name: str, stored: str) -> str:
        if not is_sealed(stored):
            return stored
        return self._box(f"read the site secret {name!r}").open(stored, f"site secret {name!r}")

    def _box(self, purpose: str) -> SecretBox:
        if self.box is None:
            raise SecretKeyError(
                f"cannot {purpose}: the database holds encrypted secrets and no key is set. "
                f"Set {ENV_KEYS} (or TOCSIN_SECRET_KEYS_FILE) to the key they were "
                f"encrypted with ({HOW_TO_MAKE} for a new database)"
            )
        return self.box


def _stored(conn: Connection, name: str) -> str | None:
    value = conn.execute(select(table.c.value).where(table.c.name == name)).scalar_one_or_none()
    return None if value is None else str(value)


def _store(conn: Connection, name: str, old: str, new: str) -> None:
    # Only if unchanged: another node rotating at the same moment wrote an equivalent value.
    conn.execute(update(table).where(table.c.name == name, table.c.value == old).values(value=new))


def _unreadable(names: Iterable[str], box: SecretBox) -> str:
    listed = ", ".join(repr(n) for n in names)
    return (
        f"cannot decrypt the site secrets {listed} with the keys in {box.source}: they were "
        "encrypted with another key. Add that key after the current one and try again; "
        "nothing was changed"
    )
