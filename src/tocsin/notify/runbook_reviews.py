"""After an incident that used a runbook is resolved, its owner reviews it: the
``runbooks.review`` timer (every 5 minutes, durable: after downtime it runs at once) finds
the links (``incident_runbooks``) of resolved incidents not yet settled, and emails the
runbook's owner (the user, or each member of the team) once per runbook and incident with
the runbook's link and the incident's. Links of incidents whose severity the policy does not
ask about (``runbooks.ask_review_after``), of runbooks without an owner or gone since, are
settled without a message. A reopened and re-resolved incident does not ask again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.engine.runner import Again
from tocsin.notify.messages import post
from tocsin.notify.runbook_links import catalogue, owners_of, runbook_url
from tocsin.store import incidents as incident_store
from tocsin.store import runbooks as store
from tocsin.store.timers import Timer

__all__ = ["EVERY", "REVIEW", "RunbookReviews"]

REVIEW = "runbooks.review"
EVERY = timedelta(minutes=5)


class RunbookReviews:
    def __init__(self, current: Callable[[], RoutingConfig | None], public_url: str) -> None:
        self.current = current
        self.public_url = public_url.rstrip("/")

    def __call__(self, conn: Connection, timer: Timer, now: datetime) -> Again:
        config = self.current()
        if config is None:
            return Again(now + EVERY)
        candidates = store.review_candidates(conn)
        if not candidates:
            return Again(now + EVERY)
        runbooks = catalogue(conn, config)
        for link, severity in candidates:
            rb = runbooks.get(link.slug)
            if rb is not None and config.runbooks.asks_review(severity):
                incident = incident_store.get(conn, link.incident_id)
                title = incident.title if incident is not None else ""
                for user in owners_of(config, rb.owner):
                    post(
                        conn,
                        config.users,
                        user=user,
                        kind="runbook-review",
                        subject=f"[Tocsin] Review the runbook {rb.title!r} after incident "
                        f"#{link.incident_id}"[:200],
                        body=self._body(rb.title, rb.slug, rb.path, link.incident_id, title),
                        dedup=f"runbook-review:{rb.slug}:{link.incident_id}:{user}",
                        now=now,
                        details={
                            "link": runbook_url(self.public_url, rb.slug),
                            "urgency": "low",
                            "runbook": rb.slug,
                            "incident": link.incident_id,
                        },
                    )
            store.settle_review(conn, link.incident_id, link.slug, now)
        # Many at once (a backlog): the next batch soon.
        return Again(now + (timedelta(seconds=1) if len(candidates) >= 200 else EVERY))

    def _body(
        self, title: str, slug: str, path: str | None, incident_id: int, incident: str
    ) -> str:
        how = (
            f"It is a file: edit it in git ({path}) and set last_reviewed in its front matter."
            if path
            else 'Edit it there if need be, then press "Mark reviewed".'
        )
        return (
            f'Incident #{incident_id} ({incident}) used the runbook "{title}", which is yours. '
            "While the incident is fresh in mind, please check that the runbook still says "
            "what helped and what did not: the quick assessment, the mitigation, the "
            "escalation.\n\n"
            f"Runbook: {runbook_url(self.public_url, slug)}\n"
            f"Incident: {self.public_url}/incidents/{incident_id}\n\n{how}\n"
        )
