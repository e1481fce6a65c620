"""This node among the others on one database (docs/cluster.md): its name, its place in
the list of nodes, and the change feed that tells it what the others changed."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tocsin import __version__
from tocsin.engine.clock import Clock, SystemClock
from tocsin.store import config_versions as version_store
from tocsin.store import migrate
from tocsin.store import nodes as node_store
from tocsin.store.change_feed import ChangeFeed
from tocsin.store.config_versions import Version
from tocsin.store.database import Database
from tocsin.store.nodes import Node

__all__ = ["BEAT", "Cluster", "ClusterStatus", "NodeView", "node_id", "read_status", "status_json"]

log = logging.getLogger("tocsin.cluster")

#: The feed's topic nobody announces: its callbacks run at every poll.
BEAT = "node.beat"
#: Nodes not seen for this many polls are shown as gone; after FORGET, forgotten.
GONE_AFTER = 3
FORGET = timedelta(days=1)
#: A node's clock this far from the database server's is worth a warning.
MAX_SKEW = timedelta(seconds=2)


def node_id(name: str | None) -> str:
    """A name unique among the nodes (it owns the timers the node claims): the given name
    or the host's, and a random suffix, so a restarted node is a new owner."""
    base = (name or socket.gethostname() or "node")[:40]
    return f"{base}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class NodeView:
    node: Node
    alive: bool
    this: bool


@dataclass(frozen=True)
class ClusterStatus:
    this: str
    listening: bool
    schema: str | None
    head: str | None
    config_version: int | None
    config_problem: str | None
    nodes: list[NodeView]
    versions: list[Version]


class Cluster:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        node: str,
        address: str,
        poll: timedelta,
        rate: float = 1.0,
        config_version: Callable[[], int | None],
        config_problem: Callable[[], str | None],
    ) -> None:
        self.db = db
        self.clock = clock
        self.node = node
        self.address = address
        self.poll = poll
        self.rate = rate
        self.feed = ChangeFeed(db, poll.total_seconds())
        self._config_version = config_version
        self._config_problem = config_problem
        self._warned_schema: str | None = None
        self._warned_skew = False
        self.feed.subscribe(BEAT, self.beat)

    def join(self) -> None:
        """Register this node (once the schema is current) and start hearing changes."""
        self._register()
        self.feed.start()

    def _register(self) -> None:
        now = self.clock.now()
        with self.db.write() as conn:
            revision = migrate.current_revision(conn)
            node_store.register(
                conn,
                Node(
                    id=self.node,
                    host=socket.gethostname()[:255],
                    pid=os.getpid(),
                    address=self.address[:255],
                    version=__version__,
                    schema_revision=revision,
                    config_version=self._config_version(),
                    started_at=now,
                    seen_at=now,
                ),
            )
            node_store.forget_before(conn, now - FORGET)

    def beat(self) -> None:
        """Alive now (and the configuration version it runs); back in the list if it was
        forgotten while the database was away."""
        now = self.clock.now()
        with self.db.write(durable=False) as conn:
            seen = node_store.beat(conn, self.node, now, self._config_version())
            revision = migrate.current_revision(conn)
            database_now = node_store.database_now(conn)
            node_store.forget_before(conn, now - FORGET)
        self._check_clock(now, database_now)
        unknown = revision is not None and revision not in migrate.known_revisions()
        if unknown and revision != self._warned_schema:
            self._warned_schema = revision
            log.warning(
                "a newer release migrated the schema to %s: this node (which knows up to %s) "
                "goes on serving; upgrade it (docs/cluster.md#upgrades)",
                revision,
                migrate.head_revision(),
            )
        if not seen:
            log.warning("this node was forgotten while away; registering again")
            self._register()

    def _check_clock(self, now: datetime, database_now: datetime | None) -> None:
        """Leases are written with one node's clock and read with another's: say so when
        this node's clock is far from the database server's (NTP is down)."""
        if database_now is None or not isinstance(self.clock, SystemClock):
            return
        skew = abs((now - database_now).total_seconds())
        if skew > MAX_SKEW.total_seconds() and not self._warned_skew:
            log.warning(
                "this node's clock is %.1f s away from the database server's: leases of the "
                "engine's timers may end early or late; keep clocks in sync (NTP)",
                skew,
            )
        self._warned_skew = skew > MAX_SKEW.total_seconds()

    def leave(self) -> None:
        self.feed.stop()
        try:
            with self.db.write() as conn:
                node_store.leave(conn, self.node)
        except Exception:  # the database is away: the row is pruned later
            log.exception("could not leave the list of nodes")

    def status(self) -> ClusterStatus:
        return read_status(
            self.db,
            self.clock.now(),
            self.poll * self.rate,
            this=self.node,
            listening=self.feed.listening,
            config_version=self._config_version(),
            config_problem=self._config_problem(),
        )


def read_status(
    db: Database,
    now: datetime,
    poll: timedelta,
    *,
    this: str = "",
    listening: bool = False,
    config_version: int | None = None,
    config_problem: str | None = None,
) -> ClusterStatus:
    """The nodes (alive: seen within a few polls) and the latest configuration versions;
    from a node (``this``) or from the command line."""
    gone = now - poll * GONE_AFTER
    with db.read() as conn:
        nodes = node_store.listed(conn)
        versions = version_store.history(conn, 10)
        schema = migrate.current_revision(conn)
    return ClusterStatus(
        this=this,
        listening=listening,
        schema=schema,
        head=migrate.head_revision(),
        config_version=config_version,
        config_problem=config_problem,
        nodes=[NodeView(n, n.seen_at >= gone, n.id == this) for n in nodes],
        versions=versions,
    )


def status_json(status: ClusterStatus) -> dict[str, Any]:
    return {
        "node": status.this,
        "listening": status.listening,
        "schema": {"revision": status.schema, "head": status.head},
        "config": {"version": status.config_version, "problem": status.config_problem},
        "nodes": [
            {
                "id": v.node.id,
                "host": v.node.host,
                "pid": v.node.pid,
                "address": v.node.address,
                "version": v.node.version,
                "schema_revision": v.node.schema_revision,
                "config_version": v.node.config_version,
                "started_at": v.node.started_at.isoformat(),
                "seen_at": v.node.seen_at.isoformat(),
                "alive": v.alive,
                "this": v.this,
            }
            for v in status.nodes
        ],
        "config_versions": [
            {
                "version": c.version,
                "digest": c.digest,
                "source": c.source,
                "applied_at": c.applied_at.isoformat(),
                "applied_by": c.applied_by,
                "reason": c.reason,
            }
            for c in status.versions
        ],
    }
