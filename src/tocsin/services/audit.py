"""Reading and exporting the audit log, and recording the configuration file's changes
(docs/security.md, "Audit log").

The configuration is recorded by digests, never its text (it holds webhook URLs, tokens
and passwords): one for the whole file and one for each top-level section, keyed with the
site's own secret so that nobody can test guesses of a secret against them. Comparing the
sections' digests says which sections a change touched."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
import yaml
from sqlalchemy import Connection

from tocsin.errors import FieldProblem, InputError
from tocsin.store import audit as store
from tocsin.store.audit import Entry, Query
from tocsin.store.database import Database

__all__ = [
    "COLUMNS",
    "FORMATS",
    "AuditService",
    "config_loaded",
    "config_summary",
    "entry_json",
    "parse_time",
    "record_config",
]

FORMATS = ("jsonl", "csv")
COLUMNS = (
    "id",
    "at",
    "actor",
    "via",
    "address",
    "action",
    "object_kind",
    "object_id",
    "before",
    "after",
)
MAX_PAGE = 500


def entry_json(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat().replace("+00:00", "Z"),
        "actor": entry.actor,
        "via": entry.via,
        "address": entry.address,
        "action": entry.action,
        "object_kind": entry.object_kind,
        "object_id": entry.object_id,
        "before": entry.before,
        "after": entry.after,
    }


def parse_time(value: str | None, field: str) -> datetime | None:
    """An ISO 8601 time with its offset (``2026-03-01T12:00:00Z``), or a date (midnight
    UTC); None for nothing."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        found = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        found = None
    if found is None or (found.tzinfo is None and "T" in text.upper()):
        raise InputError(
            FieldProblem(field, f"{value!r} is not a time like 2026-03-01T12:00:00Z or a date")
        )
    if found.tzinfo is None:  # a date alone: its start in UTC
        return found.replace(tzinfo=UTC)
    return found


class AuditService:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def query(
        *,
        actor: str | None = None,
        action: str | None = None,
        object_kind: str | None = None,
        object_id: str | None = None,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
    ) -> Query:
        """The filters, checked: times as ISO 8601 (InputError naming the field)."""
        start = since if isinstance(since, datetime) or since is None else None
        end = until if isinstance(until, datetime) or until is None else None
        if isinstance(since, str):
            start = parse_time(since, "since")
        if isinstance(until, str):
            end = parse_time(until, "until")
        if start is not None and end is not None and end <= start:
            raise InputError(FieldProblem("until", "must be after since"))
        return Query(
            actor=(actor or "").strip() or None,
            action=(action or "").strip() or None,
            object_kind=(object_kind or "").strip() or None,
            object_id=(object_id or "").strip() or None,
            since=start,
            until=end,
        )

    def entries(
        self, query: Query, *, cursor: str | None = None, limit: int = 100
    ) -> tuple[list[Entry], str | None]:
        """A page of entries, newest first, and the cursor of the next (None: the last)."""
        before: int | None = None
        if cursor:
            if not cursor.isdigit() or len(cursor) > 18:
                raise InputError(FieldProblem("cursor", "is not a cursor this log gave"))
            before = int(cursor)
        if not 1 <= limit <= MAX_PAGE:
            raise InputError(FieldProblem("limit", f"must be between 1 and {MAX_PAGE}"))
        with self.db.read() as conn:
            found = store.entries(conn, query, before_id=before, limit=limit + 1)
        more = len(found) > limit
        found = found[:limit]
        return found, (str(found[-1].id) if more and found else None)

    def each(self, query: Query, *, chunk: int = 1000) -> Iterator[Entry]:
        """Every matching entry, oldest first; a short read transaction per ``chunk``."""
        after = 0
        while True:
            with self.db.read() as conn:
                found = store.oldest_first(conn, query, after_id=after, limit=chunk)
            yield from found
            if len(found) < chunk:
                return
            after = found[-1].id

    def export(self, query: Query, fmt: str) -> Iterator[str]:
        """The entries, oldest first, as JSON lines or CSV (a header, then one row each;
        before and after as JSON)."""
        if fmt not in FORMATS:
            raise InputError(FieldProblem("format", f"must be one of {', '.join(FORMATS)}"))
        if fmt == "jsonl":
            for entry in self.each(query):
                yield orjson.dumps(entry_json(entry)).decode() + "\n"
            return
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        for entry in self.each(query):
            row = entry_json(entry)
            for side in ("before", "after"):
                row[side] = "" if row[side] is None else orjson.dumps(row[side]).decode()
            writer.writerow(["" if row[c] is None else row[c] for c in COLUMNS])
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()


# -- the configuration file ------------------------------------------------------------------


def _digest(key: bytes, data: bytes) -> str:
    return hmac.new(key, b"tocsin-audit-config\0" + data, hashlib.sha256).hexdigest()[:16]


def config_summary(text: str, key: bytes) -> dict[str, Any]:
    """The file's digest and its sections' (each top-level key's), never its text."""
    sections: dict[str, str] = {}
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        document = None
    if isinstance(document, Mapping):
        for name, value in document.items():
            data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)
            sections[str(name)] = _digest(key, data)
    return {"digest": _digest(key, text.encode()), "sections": sections}


def _compare(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, Any]:
    old: Mapping[str, str] = (before or {}).get("sections") or {}
    new: Mapping[str, str] = after["sections"]
    return {
        "changed": sorted(k for k in new if k in old and old[k] != new[k]),
        "added": sorted(k for k in new if k not in old),
        "removed": sorted(k for k in old if k not in new),
    }


def record_config(
    conn: Connection,
    now: datetime,
    action: str,
    path: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
) -> None:
    """``config.loaded`` or ``config.reloaded``: the summaries, and which sections changed."""
    store.record(
        conn,
        now,
        action,
        "config",
        path,
        before=dict(before) if before is not None else None,
        after={**after, **_compare(before, after)},
    )


def config_loaded(db: Database, now: datetime, path: str, text: str, key: bytes) -> bool:
    """At start: ``config.loaded`` when the file differs from the one last recorded (it
    was edited while Tocsin was away, or this is the first start); whether it did."""
    summary = config_summary(text, key)
    with db.write() as conn:
        last = store.last(conn, "config")
        previous = last.after if last is not None else None
        if previous is not None and previous.get("digest") == summary["digest"]:
            return False
        kept = (
            {k: previous[k] for k in ("digest", "sections") if k in previous} if previous else None
        )
        record_config(conn, now, "config.loaded", path, kept, summary)
    return True
