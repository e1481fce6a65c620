"""Postmortems as code: what ``tocsin postmortem sync DIR`` does with each file read back.

A file's front matter says which stored version it was written from. A file of the stored
version whose document differs is saved (one version more). A file of an older version
is a conflict when it differs from what is stored now (someone saved in between; nothing
is written, so no edit is lost); one that says the same as the stored version is
unchanged. Nothing is ever overwritten silently."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection

from tocsin.config.postmortem_files import PostmortemFile
from tocsin.domain.postmortems import Edit, Postmortem, edit
from tocsin.errors import TocsinError
from tocsin.services.postmortems import PostmortemService, VersionConflict, rules
from tocsin.store import postmortems as store

__all__ = ["Outcome", "Synced", "sync"]


class Outcome(StrEnum):
    SAVED = "saved"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    REFUSED = "refused"


@dataclass(frozen=True)
class Synced:
    outcome: Outcome
    message: str
    #: The postmortem as stored after the sync (None: there is none).
    postmortem: Postmortem | None = None
    stored_version: int | None = None
    file_version: int | None = None


def _same(doc: PostmortemFile, pm: Postmortem) -> bool:
    return (
        doc.title.strip() == pm.title
        and doc.body == pm.body
        and ((doc.root_cause_category or "").strip() or None) == pm.root_cause_category
        and doc.authors == pm.authors
        and doc.reviewers == tuple(r.user for r in pm.reviewers)
    )


def sync(service: PostmortemService, doc: PostmortemFile, actor: str) -> Synced:
    """Save the file's edits when it was written from the stored version."""

    def work(conn: Connection) -> Synced:
        incident = service.incident(conn, doc.incident)
        pm = store.for_incident(conn, doc.incident, lock=True)
        if pm is None:
            return Synced(Outcome.REFUSED, f"incident {doc.incident} has no postmortem")
        versions = {"stored_version": pm.version, "file_version": doc.version}
        if _same(doc, pm):
            return Synced(Outcome.UNCHANGED, "unchanged", pm, **versions)
        if doc.version > pm.version:
            return Synced(
                Outcome.REFUSED,
                f"the file says version {doc.version}, but Tocsin has only version {pm.version}",
                pm,
                **versions,
            )
        if doc.version < pm.version:
            return Synced(
                Outcome.CONFLICT,
                f"edited from version {doc.version}, but version {pm.version} was saved "
                "since: nothing written (copy your edits, export again and redo them)",
                pm,
                **versions,
            )
        category = (doc.root_cause_category or "").strip()
        change = Edit(
            title=doc.title,
            body=doc.body,
            root_cause_category=category or None,
            clear_category=not category,
            authors=doc.authors,
            reviewers=doc.reviewers,
        )
        with rules():
            after = edit(
                pm, change, service.actor(incident, actor), service.clock.now(), service.policy
            )
        saved = service.save(conn, pm, after, action="postmortem.synced", actor=actor)
        return Synced(
            Outcome.SAVED,
            f"saved as version {saved.version}",
            saved,
            stored_version=saved.version,
            file_version=doc.version,
        )

    try:
        service.known(doc.authors, "authors")
        service.known(doc.reviewers, "reviewers")
        return service.db.transact(work)
    except VersionConflict as exc:  # saved from elsewhere between the read and the write
        return Synced(
            Outcome.CONFLICT, str(exc), stored_version=exc.stored, file_version=doc.version
        )
    except TocsinError as exc:  # a wrong field, a published postmortem, no such incident
        return Synced(Outcome.REFUSED, str(exc), file_version=doc.version)
