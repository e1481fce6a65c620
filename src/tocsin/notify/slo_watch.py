"""Burn-rate alerts of SLOs, raised into the alert pipeline.

Every minute each SLO's multiwindow conditions (``domain.slo.firing``) are evaluated, and
one alert per severity is raised or resolved. Built-in SLOs are evaluated by the
``slo.evaluate`` timer, inside its transaction; Prometheus SLOs by the ``slo.prometheus``
job, which queries Prometheus with no transaction open (``notify/slo_prometheus``). Both
are durable timers: after downtime they run at once.

The alerts are routed, grouped, silenced and escalated like any other; their labels are the
SLO's, the alerting labels, ``alertname`` (the SLO's alert name), ``slo`` (its id),
``service``, ``severity`` (the alert's own ``severity`` label, else ``critical`` for a page
and ``warning`` for a ticket), ``slo_severity`` (page or ticket) and ``window`` (the SLO's
period, e.g. 30d). Each firing alert lasts three evaluations unless renewed, so one that
Tocsin stops renewing (the SLO removed) resolves by itself; one whose short window
recovers is resolved at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.alerts import Action, AlertEvent, Identity
from tocsin.domain.labels import fingerprint
from tocsin.domain.slo import BurnWindow, Objective, Severity, burn_rate, firing
from tocsin.domain.slo_specs import BuiltinSli, SloAlert, SloSpec
from tocsin.engine.runner import Again
from tocsin.integrations.prometheus_slo_rules import prometheus_duration
from tocsin.store import alerts as alert_store
from tocsin.store.slo_readings import EventsReader, ratios, reader_for
from tocsin.store.timers import Timer

__all__ = ["EVALUATE", "EVERY", "SloAlerts", "SloWatch"]

EVALUATE = "slo.evaluate"
EVERY = timedelta(minutes=1)
_DEFAULT_SEVERITY = {Severity.PAGE: "critical", Severity.TICKET: "warning"}

RaiseAlerts = Callable[[Connection, Sequence[AlertEvent], datetime], None]
RatioOver = Callable[[timedelta], float | None]


class SloAlerts:
    """The alert events for an SLO's burn, whichever source its SLI has."""

    def __init__(self, raise_alerts: RaiseAlerts, external_url: str) -> None:
        self.raise_alerts = raise_alerts
        self.external_url = external_url.rstrip("/")

    @staticmethod
    def labels(spec: SloSpec, severity: Severity, alert: SloAlert) -> dict[str, str]:
        return {
            **spec.labels,
            **spec.alert_labels,
            "severity": _DEFAULT_SEVERITY[severity],
            **alert.labels,
            "alertname": spec.alert_name,
            "slo": spec.id,
            "service": spec.service,
            "slo_severity": severity.value,
            "window": spec.window.label(),
        }

    @staticmethod
    def _wanted(spec: SloSpec) -> list[tuple[Severity, SloAlert]]:
        return [
            (severity, alert)
            for severity, alert in ((Severity.PAGE, spec.page), (Severity.TICKET, spec.ticket))
            if alert is not None
        ]

    def events(
        self, conn: Connection, spec: SloSpec, now: datetime, ratio_over: RatioOver
    ) -> list[AlertEvent]:
        """Trigger the severities that fire now, resolve the open ones that do not."""
        objective = spec.objective(now)
        fired = firing(spec.windows(), objective, ratio_over)
        wanted = self._wanted(spec)
        labelled = {severity: self.labels(spec, severity, alert) for severity, alert in wanted}
        heads = alert_store.load_heads(conn, [fingerprint(ls) for ls in labelled.values()])
        out: list[AlertEvent] = []
        for severity, alert in wanted:
            labels = labelled[severity]
            fp = fingerprint(labels)
            window = fired.get(severity)
            if window is not None:
                out.append(
                    AlertEvent(
                        fingerprint=fp,
                        identity=Identity.LABELS,
                        action=Action.TRIGGER,
                        labels=labels,
                        annotations=self._describe(spec, alert, objective, window, ratio_over),
                        ends_at=now + 3 * EVERY,
                        ends_at_is_timeout=True,
                        generator_url=f"{self.external_url}/slos/{spec.id}",
                    )
                )
            elif fp in heads and heads[fp].is_open:
                out.append(AlertEvent(fp, Identity.LABELS, Action.RESOLVE, labels, ends_at=now))
        return out

    def renewals(self, conn: Connection, spec: SloSpec, now: datetime) -> list[AlertEvent]:
        """While an SLO cannot be read, its firing alerts go on as they were (a monitoring
        outage neither pages anew nor resolves a page)."""
        fps = [fingerprint(self.labels(spec, s, a)) for s, a in self._wanted(spec)]
        out: list[AlertEvent] = []
        for fp, head in alert_store.load_heads(conn, fps).items():
            if head.is_open:
                out.append(
                    AlertEvent(
                        fingerprint=fp,
                        identity=Identity.LABELS,
                        action=Action.TRIGGER,
                        labels=dict(head.labels),
                        annotations=dict(head.annotations),
                        ends_at=now + 3 * EVERY,
                        ends_at_is_timeout=True,
                        generator_url=head.generator_url,
                    )
                )
        return out

    @staticmethod
    def _describe(
        spec: SloSpec,
        alert: SloAlert,
        objective: Objective,
        window: BurnWindow,
        ratio_over: RatioOver,
    ) -> dict[str, str]:
        long_span, short_span = prometheus_duration(window.long), prometheus_duration(window.short)
        short = burn_rate(ratio_over(window.short), objective) or 0.0
        long = burn_rate(ratio_over(window.long), objective) or 0.0
        return {
            "summary": (
                f"{spec.service} {spec.name}: the error budget burns {long:.1f}x too fast "
                f"({long_span}; {short:.1f}x over {short_span})"
            ),
            "description": (
                f"Above {window.factor:g}x over both {long_span} and "
                f"{short_span}: at this rate {window.budget_percent:g} % of the "
                f"{spec.target:g} % SLO's {spec.window.label()} budget goes in "
                f"{long_span}."
            ),
            **spec.annotations,
            **alert.annotations,
        }


class SloWatch:
    """SLOs on built-in events, evaluated in the timer's transaction."""

    def __init__(self, routing: Callable[[], RoutingConfig | None], alerts: SloAlerts) -> None:
        self.routing = routing
        self.alerts = alerts

    def evaluate(self, conn: Connection, timer: Timer, now: datetime) -> Again:
        config = self.routing()
        events: list[AlertEvent] = []
        for spec in config.slos.values() if config is not None else ():
            if isinstance(spec.sli, BuiltinSli):
                reader = reader_for(spec, EventsReader(conn))
                events += self.alerts.events(conn, spec, now, ratios(reader, spec, now))
        if events:
            self.alerts.raise_alerts(conn, events, now)
        return Again(now + EVERY)
