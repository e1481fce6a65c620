"""The error-budget policy for releases: a service's gate is closed while one of its SLOs
has spent its budget or a page-level burn alert about it fires (``domain/slo_gate``), and
an expiring, audited exception opens it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tocsin.domain.slo_gate import GateAnswer, GateException, burning_pages, decide
from tocsin.domain.slo_specs import BuiltinSli, SloSpec
from tocsin.engine.clock import Clock
from tocsin.errors import Conflict, FieldProblem, InputError, NotFound, Unavailable
from tocsin.services.slos import SloService
from tocsin.store import alerts as alert_store
from tocsin.store import audit
from tocsin.store import slo_gate as gate_store
from tocsin.store.database import Database

__all__ = ["ReleaseGate"]

#: How long an exception to the release gate may last.
MAX_EXCEPTION = timedelta(days=7)


class ReleaseGate:
    """The error-budget policy for releases (``domain/slo_gate``)."""

    def __init__(self, db: Database, clock: Clock, slos: SloService) -> None:
        self.db = db
        self.clock = clock
        self.slos = slos

    def _service(self, service: str) -> list[SloSpec]:
        specs = [s for s in self.slos.specs() if s.service == service]
        if not specs:
            raise NotFound(f"no SLO has the service {service!r}")
        return specs

    def check(self, service: str) -> GateAnswer:
        specs = self._service(service)
        budgets: dict[str, float] = {}
        unknown: dict[str, str] = {}
        config = self.slos.config()
        notes: list[str] = []
        if config is None or config.prometheus is None:
            unread = [s.id for s in specs if not isinstance(s.sli, BuiltinSli)]
            notes += [
                f"SLO {slo}'s budget is not checked (no prometheus.url to read it from); "
                "its page alerts still close the gate"
                for slo in unread
            ]
            specs = [s for s in specs if isinstance(s.sli, BuiltinSli)]
        for spec in specs:
            try:
                budgets[spec.id] = self.slos.status(spec.id).budget_remaining
            except Unavailable as exc:
                unknown[spec.id] = str(exc)
        now = self.clock.now()
        with self.db.read() as conn:
            firing_now = [
                dict(a.labels)
                for a in alert_store.list_heads(conn, open_at=now)
                if "slo_severity" in a.labels or "sloth_severity" in a.labels
            ]
            granted = gate_store.listing(conn, service, open_at=now)
        pages = burning_pages(service, firing_now)
        return replace(decide(service, budgets, pages, granted, now, unknown), notes=tuple(notes))

    def grant(self, service: str, reason: str, length: timedelta, actor: str) -> GateException:
        """Open the gate for a while, saying why (kept, with who, as the audit trail)."""
        self._service(service)
        if not reason.strip():
            raise InputError(FieldProblem("reason", "say why the gate may open"))
        if not timedelta(minutes=1) <= length <= MAX_EXCEPTION:
            raise InputError(FieldProblem("expires_in", "must be between 1m and 7d"))
        now = self.clock.now()
        with self.db.write() as conn:
            made = gate_store.create(conn, service, reason.strip()[:2000], actor, now, now + length)
            found = gate_store.get(conn, made)
            audit.record(
                conn,
                now,
                "slo_gate.exception_granted",
                "gate_exception",
                made,
                actor=actor,
                after=found,
            )
        assert found is not None
        return found

    def revoke(self, exception_id: int, actor: str) -> GateException:
        now = self.clock.now()
        with self.db.write() as conn:
            found = gate_store.get(conn, exception_id)
            if found is None:
                raise NotFound(f"no gate exception {exception_id}")
            if not gate_store.revoke(conn, exception_id, actor, now):
                raise Conflict(f"gate exception {exception_id} has ended already")
            done = gate_store.get(conn, exception_id)
            audit.record_change(
                conn,
                now,
                "slo_gate.exception_revoked",
                "gate_exception",
                exception_id,
                found,
                done,
                actor=actor,
            )
        assert done is not None
        return done

    def exceptions(self, service: str | None = None) -> list[GateException]:
        with self.db.read() as conn:
            return gate_store.listing(conn, service)
