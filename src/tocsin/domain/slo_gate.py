"""The error-budget policy as a release gate: a service's releases stop while one of its
SLOs has spent its budget, or while a page-level burn-rate alert about it fires, unless an
exception (with a reason, by someone, until a time) is open. Pure: the caller gathers the
facts at ``now``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = ["GateAnswer", "GateException", "burning_pages", "decide"]


@dataclass(frozen=True)
class GateException:
    id: int
    service: str
    reason: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    def open_at(self, now: datetime) -> bool:
        return self.revoked_at is None and self.created_at <= now < self.expires_at


@dataclass(frozen=True)
class GateAnswer:
    service: str
    open: bool
    #: Why it is closed (or would be, when an exception opens it).
    reasons: tuple[str, ...]
    exception: GateException | None = None
    #: What was not checked, and why (it does not close the gate).
    notes: tuple[str, ...] = ()


def burning_pages(service: str, alerts: Sequence[Mapping[str, str]]) -> list[str]:
    """The SLOs of ``service`` with a page-level burn-rate alert among these firing alerts'
    labels: Tocsin's own (``slo_severity``, ``service``, ``slo``) or Sloth's rules evaluated
    by Prometheus (``sloth_severity``, ``sloth_service``, ``sloth_slo``)."""
    found: list[str] = []
    for labels in alerts:
        if labels.get("slo_severity") == "page" and labels.get("service") == service:
            found.append(labels.get("slo", labels.get("alertname", "")))
        elif labels.get("sloth_severity") == "page" and labels.get("sloth_service") == service:
            found.append(labels.get("sloth_id", labels.get("sloth_slo", "")))
    return sorted(set(found))


def decide(
    service: str,
    budgets: Mapping[str, float],
    pages: Sequence[str],
    exceptions: Sequence[GateException],
    now: datetime,
    unknown: Mapping[str, str] | None = None,
) -> GateAnswer:
    """``budgets``: each of the service's SLOs' budget remaining (a share, 1 = untouched);
    ``pages``: SLOs with a page-level burn alert firing; ``unknown``: SLOs whose budget
    cannot be read now, with why. An unknown budget closes the gate: a freeze policy that
    opens whenever its evidence is missing is no policy (an exception opens it)."""
    reasons = [
        f"SLO {slo} has spent its error budget ({remaining * 100:.1f} % left)"
        for slo, remaining in sorted(budgets.items())
        if remaining <= 0
    ]
    reasons += [
        f"SLO {slo}'s error budget cannot be read: {why}"
        for slo, why in sorted((unknown or {}).items())
    ]
    reasons += [f"SLO {slo} is burning its error budget fast (a page alert fires)" for slo in pages]
    granted = next((e for e in exceptions if e.service == service and e.open_at(now)), None)
    return GateAnswer(service, not reasons or granted is not None, tuple(reasons), granted)
