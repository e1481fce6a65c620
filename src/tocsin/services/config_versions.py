"""Which configuration runs, on every node (docs/cluster.md#configuration).

The configuration is stored as versions. A node that starts with a file (``--config``)
applies it as a new version only if no node ever applied those files; a node that starts
with an older version's files (a node left behind by a deploy) runs the newest version
instead, and says so. A reload (SIGHUP, ``POST /-/reload``) always applies the node's file:
it is how a version is rolled out, or rolled back. Every node follows the newest version,
told by the change feed.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import yaml
from sqlalchemy import Connection

from tocsin.config import files
from tocsin.config.compile import RoutingConfig
from tocsin.config.files import Bundle, Recording
from tocsin.config.secret_refs import KeySource
from tocsin.config.yaml_source import load_yaml
from tocsin.errors import ConfigError, Conflict
from tocsin.secret_box import SecretKeyError, is_sealed
from tocsin.services.configuration import load_configuration
from tocsin.store import config_versions as store
from tocsin.store.database import Database

__all__ = ["ConfigVersions", "Loaded", "bundle_text", "from_bundle", "read_file"]

log = logging.getLogger("tocsin.config")


@dataclass(frozen=True)
class Loaded:
    """A configuration checked and compiled, with the files it was read from."""

    routing: RoutingConfig
    bundle: Bundle
    #: The version it is stored as (None: not yet).
    version: int | None = None

    @property
    def text(self) -> str:
        return bundle_text(self.bundle)

    @property
    def source(self) -> str:
        return self.bundle.main


def bundle_text(bundle: Bundle) -> str:
    """The main file's text; a configuration folder's sections, as one YAML text."""
    if bundle.main in bundle.files:
        return bundle.files[bundle.main]
    with files.using(bundle):
        data = load_yaml(bundle.main).data
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def read_file(path: str, keys: KeySource) -> Loaded:
    """The configuration in the file at ``path`` (and the files it names), from disk;
    ConfigError with every problem."""
    # Read by absolute path: every path the files name, and every question asked about a
    # folder, is then the same when another node compiles the bundle, whatever its cwd.
    main = os.path.abspath(path)
    with files.using(Recording()) as recording:
        routing = load_configuration(main, keys)
    assert isinstance(recording, Recording)
    return Loaded(routing, recording.bundle(Path(main)))


def from_bundle(bundle: Bundle, keys: KeySource, version: int | None = None) -> Loaded:
    """A stored configuration, compiled on this node (its secrets from this node's
    environment and files)."""
    with files.using(bundle):
        return Loaded(load_configuration(bundle.main, keys), bundle, version)


class ConfigVersions:
    def __init__(self, db: Database, node: str, keys: KeySource) -> None:
        self.db = db
        self.node = node
        self.keys = keys
        #: The version this node runs (None: none stored yet, or no configuration).
        self.version: int | None = None
        #: Why this node runs other files than its own, or cannot follow (shown in the
        #: cluster's status); None when all is well.
        self.problem: str | None = None
        #: A newer version that did not load here (not tried again).
        self._failed: int | None = None

    def at_start(self, file: Loaded | None, now: datetime) -> Loaded | None:
        """What this node runs (and from now on says it runs): its file, stored as a new
        version if no node applied those files before, or else the newest version.
        ConfigError when the newest version does not load here (a secret it needs is
        missing on this node)."""
        with self.db.write() as conn:
            latest = store.latest(conn)
            if file is not None:
                digest = file.bundle.digest
                if latest is None or (
                    latest.digest != digest and store.by_digest(conn, digest) is None
                ):
                    stored = self._store(conn, file, now, "start")
                elif latest.digest == digest:
                    stored = Loaded(file.routing, file.bundle, latest.version)
                else:
                    stored = None
                if stored is not None:
                    self.running(stored)
                    return stored
        if latest is None:
            return None
        loaded = self._load(latest.version, latest.bundle, latest.source)
        problem = None
        if file is not None:
            problem = (
                f"{file.source} holds the files of an older version; running version "
                f"{latest.version}, applied by {latest.applied_by} at "
                f"{latest.applied_at:%Y-%m-%d %H:%M:%S} UTC (reload this node to apply its file)"
            )
            log.warning("configuration: %s", problem)
        self.running(loaded, problem)
        return loaded

    def apply(
        self,
        conn: Connection,
        loaded: Loaded,
        now: datetime,
        reason: str,
        *,
        after: int | None | Literal["any"] = "any",
    ) -> Loaded:
        """Store ``loaded`` as the newest version (in ``conn``'s transaction): every node
        runs it once that commits; this one once it is told ``running``. With ``after``
        (the version a plan was made against; None: none), Conflict if another version was
        stored since: the plan shown is not what would be applied."""
        store.hold(conn)
        if after != "any":
            newest = store.newest(conn)
            if newest != after:
                raise Conflict(
                    f"the configuration in force changed since the plan (version {newest} "
                    f"was stored, the plan was made against {after}): nothing was applied; "
                    "look at the plan again (tocsin config diff)"
                )
        return self._store(conn, loaded, now, reason)

    def running(self, loaded: Loaded, problem: str | None = None) -> None:
        """This node now runs ``loaded`` (its routing is in force); ``problem``: why that
        is not what it was started with."""
        self.version = loaded.version
        if self._failed is not None and (loaded.version or 0) < self._failed:
            return  # the newest still does not load here: that problem stays
        self._failed = None
        self.problem = problem

    def newer(self) -> Loaded | None:
        """The newest version when another node stored one this node does not run yet;
        None otherwise, or when it does not load here (logged, kept in ``problem``: this
        node goes on with the configuration it runs)."""
        with self.db.read() as conn:
            newest = store.newest(conn)
            known = max(self.version or 0, self._failed or 0)
            if newest is None or newest <= known:
                return None
            latest = store.latest(conn)
        assert latest is not None
        try:
            loaded = self._load(latest.version, latest.bundle, latest.source)
        except ConfigError as exc:
            self.problem = (
                f"version {latest.version} (applied by {latest.applied_by}) does not load on "
                f"this node, which goes on running version {self.version}: {exc}"
            )
            log.error("configuration: %s", self.problem)
            self._failed = latest.version  # said once; a newer version is tried again
            return None
        return loaded

    def in_force(self) -> tuple[int, Bundle] | None:
        """The newest version and its files (None: none stored); ConfigError when this
        machine cannot decrypt them."""
        with self.db.read() as conn:
            latest = store.latest(conn)
        if latest is None:
            return None
        text = latest.bundle
        if is_sealed(text):
            box = self.keys()
            if box is None:
                raise ConfigError(
                    f"configuration version {latest.version} is encrypted and no key is set "
                    "here: set TOCSIN_SECRET_KEYS (or TOCSIN_SECRET_KEYS_FILE) as on the nodes"
                )
            try:
                text = box.open(text, f"configuration version {latest.version}")
            except SecretKeyError as exc:
                raise ConfigError(str(exc)) from None
        return latest.version, Bundle.loads(text)

    def behind(self, conn: Connection) -> bool:
        """Whether another node stored a newer version than this node runs (asked in the
        caller's transaction: see ``store.config_versions.Behind``)."""
        newest = store.newest(conn)
        return newest is not None and (self.version is None or newest > self.version)

    def _store(self, conn: Connection, loaded: Loaded, now: datetime, reason: str) -> Loaded:
        # The files may hold secrets written inline: encrypted at rest, as every secret.
        box = self.keys()
        text = loaded.bundle.dumps()
        version = store.add(
            conn,
            bundle=box.seal(text, now) if box is not None else text,
            digest=loaded.bundle.digest,
            source=loaded.source,
            now=now,
            node=self.node,
            reason=reason,
        )
        if box is None:
            log.warning(
                "configuration version %s is stored unencrypted: a secret written in the files "
                "themselves (not ${NAME}, *_file or enc:) is in the database as it is; set "
                "TOCSIN_SECRET_KEYS on every node (docs/security.md#secrets)",
                version,
            )
        return Loaded(loaded.routing, loaded.bundle, version)

    def _load(self, version: int, bundle: str, source: str) -> Loaded:
        try:
            if is_sealed(bundle):
                box = self.keys()
                if box is None:
                    raise SecretKeyError("it is encrypted, and this node has no key")
                bundle = box.open(bundle, f"configuration version {version}")
            return from_bundle(Bundle.loads(bundle), self.keys, version)
        except Exception as exc:  # noqa: BLE001 - whatever it is, this node cannot run it
            raise ConfigError(
                f"configuration version {version} (from {source} on another node) does not "
                f"load on this node:\n{exc}"
            ) from None
