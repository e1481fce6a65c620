"""The audit log's tests: a Tocsin with people, a schedule and a policy (the web tests'
configuration), a browser-like client, and reading the log back."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import CONFIG, PASSWORD, Web, quick_password_hashing, web
from tocsin.services.runtime import Runtime
from tocsin.store import audit
from tocsin.store.audit import Entry, Query

__all__ = ["CONFIG", "PASSWORD", "Web", "entries", "quick_password_hashing", "web"]


def entries(runtime: Runtime, action: str | None = None, **filters: Any) -> list[Entry]:
    """The log's entries (of ``action`` and its sub-actions), oldest first."""
    with runtime.db.read() as conn:
        found = audit.entries(conn, Query(action=action, **filters), limit=10_000)
    return list(reversed(found))


def only(runtime: Runtime, action: str, **filters: Any) -> Entry:
    """The one entry of ``action``; fails when there is none or several."""
    found = entries(runtime, action, **filters)
    assert len(found) == 1, [(e.action, e.object_id, e.after) for e in found]
    return found[0]
