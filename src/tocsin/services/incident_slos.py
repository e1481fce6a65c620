"""The SLOs an incident burned, and how much of their error budget it consumed.

An incident burned an SLO when one of its alerts is that SLO's burn-rate alert (Tocsin's
own carry ``slo=<id>``; Sloth's rules, evaluated by Prometheus, ``sloth_id=<id>``), or
when the SLO is of the incident's service and its budget burned during the incident.
The figures are ``SloService.during`` over the incident's impact span (``impact``):
the burn rate r over the span and the share of the period's budget it consumed,
r x W / P (``shared/specs/slo.md``). The incident page, the API and the CLI show them;
a postmortem can use the same report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from tocsin.domain.alerts import Alert
from tocsin.domain.incidents import Incident
from tocsin.domain.slo import Counts
from tocsin.domain.slo_specs import SloSpec
from tocsin.errors import Unavailable
from tocsin.services.slos import SloService

__all__ = ["IncidentBurn", "SloBurn", "burn_words", "burned_during", "impact", "linked_slos"]

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class SloBurn:
    """One SLO and what the incident did to its budget. When the SLI cannot be read now
    (Prometheus is down, say), ``unavailable`` says why and the figures are None."""

    slo_id: str
    service: str
    name: str
    #: The SLO's period as written: ``30d``, ``month``.
    window: str
    #: One of the incident's alerts is this SLO's burn-rate alert.
    linked: bool
    #: The whole period's error budget as time (b x P).
    budget_time: timedelta
    counts: Counts | None = None
    #: Over the span; None when no events happened in it (or unavailable).
    burn_rate: float | None = None
    #: The share of the period's budget the span consumed (r x W / P).
    consumed: float | None = None
    unavailable: str | None = None

    @property
    def consumed_time(self) -> timedelta | None:
        """The budget consumed as time: consumed x b x P."""
        return None if self.consumed is None else self.budget_time * self.consumed


@dataclass(frozen=True)
class IncidentBurn:
    """The impact span [start, end) and the SLOs burned in it, the most consumed first,
    the unreadable ones last."""

    start: datetime
    end: datetime
    #: The incident is still open: ``end`` is now.
    ongoing: bool
    slos: tuple[SloBurn, ...]


def impact(incident: Incident, alerts: Iterable[Alert], now: datetime) -> tuple[datetime, datetime]:
    """The span [start, end) an incident's impact is counted over.

    It starts at the earliest of the incident's opening and its alerts' ``startsAt``: an
    alert's start is its source's word for when the problem began, and the incident only
    opens after the route's group_wait (and any min_firing_for, silence or downtime), so
    the budget burned while nobody knew yet is part of the incident too. A later firing of
    an alert (its latest ``startsAt``, after the incident opened) never moves the start.
    The acknowledgement or mitigation say nothing about when the impact began, so they are
    not used. The start is taken to its minute, as built-in events are kept per minute: the
    minute the problem began counts. It ends when the incident was resolved, or ``now``
    while it is open (a mitigated incident is still open: its SLOs may still burn)."""
    start = min([incident.created_at, *(a.starts_at for a in alerts)])
    start = start.replace(second=0, microsecond=0)
    end = incident.resolved_at if incident.resolved_at is not None else now
    return start, max(start, end)


def linked_slos(labels: Iterable[Mapping[str, str]]) -> set[str]:
    """The ids of the SLOs whose burn-rate alerts have these labels: ``slo`` (Tocsin's
    own) or ``sloth_id`` (Sloth's rules; else ``sloth_service`` and ``sloth_slo``)."""
    found: set[str] = set()
    for each in labels:
        if each.get("slo"):
            found.add(each["slo"])
        if each.get("sloth_id"):
            found.add(each["sloth_id"])
        elif each.get("sloth_service") and each.get("sloth_slo"):
            found.add(f"{each['sloth_service']}-{each['sloth_slo']}")
    return found


def _burn(slos: SloService, spec: SloSpec, linked: bool, start: datetime, end: datetime) -> SloBurn:
    row = SloBurn(
        slo_id=spec.id,
        service=spec.service,
        name=spec.name,
        window=spec.window.label(),
        linked=linked,
        budget_time=spec.objective(end).budget_time,
    )
    try:
        burned = slos.during(spec.id, start, end)
    except Unavailable as exc:
        return replace(row, unavailable=str(exc))
    return replace(row, counts=burned.counts, burn_rate=burned.burn_rate, consumed=burned.consumed)


def burned_during(slos: SloService, incident: Incident, alerts: Iterable[Alert]) -> IncidentBurn:
    """The SLOs ``incident`` burned, given its alerts (as last received): those its burn
    alerts name, even when they consumed nothing in the span; those of its service that
    consumed some budget; and, of either, those that cannot be read now. An SLO that an
    alert names but that is no longer configured is left out (it has nothing to read)."""
    alerts = list(alerts)
    now = slos.clock.now()
    start, end = impact(incident, alerts, now)
    if incident.drill:  # a drill burns no budget (docs/drills.md)
        return IncidentBurn(start, end, incident.resolved_at is None, ())
    named = linked_slos(a.labels for a in alerts)
    rows = []
    for spec in slos.specs():
        linked = spec.id in named
        if not linked and (incident.service is None or spec.service != incident.service):
            continue
        row = _burn(slos, spec, linked, start, end)
        if row.linked or row.unavailable is not None or (row.consumed or 0) > 0:
            rows.append(row)
    rows.sort(key=lambda r: (r.unavailable is not None, -(r.consumed or 0), r.slo_id))
    return IncidentBurn(start, end, incident.resolved_at is None, tuple(rows))


def _figure(x: float) -> str:
    """One decimal; two significant digits below 0.1, so a small burn is not "0.0"."""
    return f"{x:.1f}" if x == 0 or abs(x) >= 0.1 else f"{x:.2g}"


def burn_words(row: SloBurn) -> str:
    """``13.9 % of the 30d budget (6.0 min), burn rate 100x``, or ``unavailable: why``."""
    if row.unavailable is not None or row.consumed is None:
        return f"unavailable: {row.unavailable}"
    minutes = (row.consumed_time or timedelta(0)) / MINUTE
    words = f"{_figure(row.consumed * 100)} % of the {row.window} budget ({_figure(minutes)} min)"
    if row.burn_rate is None:
        return words + ", no events"
    rate = f"{row.burn_rate:.0f}" if row.burn_rate >= 100 else f"{row.burn_rate:.1f}"
    return f"{words}, burn rate {rate}x"
