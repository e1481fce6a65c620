"""Several nodes on one database (docs/cluster.md): the configuration versions every node
follows, and the nodes that are running."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, Text

from tocsin.store.metadata import Id, metadata
from tocsin.store.types import UTCDateTime

__all__ = ["config_versions", "nodes"]

# Every configuration a node applied (at its start with a file no node had applied, or at a
# reload), newest last: the newest is the one every node runs. ``bundle`` is JSON: the main
# file's path and the text of every file it read (routes, SLO files, runbooks, templates),
# by path; secrets stay on each node (environment, files, ``enc:`` values).
config_versions = Table(
    "config_versions",
    metadata,
    Column("version", Id, primary_key=True, autoincrement=True),
    # SHA-256 of the bundle: the same files applied again are recognised.
    Column("digest", String(64), nullable=False, index=True),
    Column("source", String(1000), nullable=False),
    Column("bundle", Text, nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
    # The node that applied it, and why: start, reload.
    Column("applied_by", String(200), nullable=False),
    Column("reason", String(32), nullable=False),
    sqlite_autoincrement=True,
)

# The nodes running now: each says it is alive every few seconds (``seen_at``) and leaves
# when it stops; one not seen for a while has died (its timers' leases run out).
nodes = Table(
    "nodes",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    # Where it serves (host:port as it was told to listen).
    Column("address", String(255), nullable=False),
    Column("version", String(64), nullable=False),
    Column("schema_revision", String(32), nullable=True),
    Column("config_version", Integer, nullable=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),
)
