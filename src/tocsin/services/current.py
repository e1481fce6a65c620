"""What every part of a node reads at once: the routing configuration in force (with the
people as they are), and the key that signs links in pages."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime

from tocsin.config.compile import RoutingConfig
from tocsin.services.accounts import merge_people
from tocsin.store import config_versions as version_store
from tocsin.store.accounts import Account
from tocsin.store.database import Database
from tocsin.store.site_secrets import SiteSecrets

__all__ = ["Current", "SigningKey"]

secrets_log = logging.getLogger("tocsin.secrets")


class SigningKey:
    """The key that signs one-click links in pages: made once, kept in the database (so all
    nodes and restarts agree); loaded when the runtime starts."""

    def __init__(self, site: SiteSecrets) -> None:
        self.site = site
        self.value: bytes | None = None

    def load(self, db: Database, now: datetime) -> None:
        """Encrypt the site secrets stored plain (docs/security.md#secrets), then load."""
        with db.write() as conn:
            sealed = self.site.seal_plain(conn, now)
            if self.site.box is not None and version_store.seal(conn, self.site.box, now):
                sealed.append("configuration versions")
            self.value = bytes.fromhex(self.site.get_or_create(conn, "action-links", now))
        if sealed:
            secrets_log.info("encrypted the site secrets stored plain: %s", ", ".join(sealed))
        if self.site.box is None:
            secrets_log.warning(
                "no key is set for the secrets Tocsin stores: they are kept unencrypted in "
                "the database. Set TOCSIN_SECRET_KEYS on every node (`tocsin secrets "
                "new-key` makes one); they are encrypted at the next start "
                "(docs/security.md#secrets)"
            )

    def __call__(self) -> bytes:
        if self.value is None:
            raise RuntimeError("the signing key is loaded when the runtime starts")
        return self.value


class Current:
    """The routing configuration in force: the file's (a reload swaps it in one assignment)
    with the people as they are (accounts and what people set for themselves)."""

    def __init__(self, routing: RoutingConfig | None) -> None:
        self.file = routing
        self.accounts: Mapping[str, Account] = {}
        self.routing = routing
        # A reload and the people watcher may both swap: each merge sees the other's part.
        self._lock = threading.Lock()

    def set_file(self, routing: RoutingConfig | None) -> None:
        with self._lock:
            self.file = routing
            self.routing = merge_people(routing, self.accounts)

    def set_accounts(self, accounts: Mapping[str, Account]) -> None:
        with self._lock:
            if accounts == self.accounts:
                return
            self.accounts = accounts
            self.routing = merge_people(self.file, accounts)

    def __call__(self) -> RoutingConfig | None:
        return self.routing
