"""Open alerts as Alertmanager's API shows them: receivers, silences, inhibitions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from tocsin.config.compile import RoutingConfig
from tocsin.domain.alerts import Alert
from tocsin.domain.inhibition import Inhibitor, SourceAlert
from tocsin.domain.matchers import Matcher, matches_all
from tocsin.domain.noise import FlapPolicy
from tocsin.domain.routing import match_routes
from tocsin.engine.clock import Clock
from tocsin.services.alerts import AlertQuery, AlertService
from tocsin.services.silences import SilenceService

__all__ = ["AlertView", "AlertViews"]


@dataclass(frozen=True)
class AlertView:
    alert: Alert
    receivers: tuple[str, ...]
    silenced_by: tuple[str, ...]
    inhibited_by: tuple[str, ...]
    #: Tocsin: held by flap detection on one of its routes.
    flapping: bool = False

    @property
    def suppressed(self) -> bool:
        return bool(self.silenced_by or self.inhibited_by)


class AlertViews:
    def __init__(
        self,
        alerts: AlertService,
        silences: SilenceService,
        routing: Callable[[], RoutingConfig | None],
        clock: Clock,
    ) -> None:
        self.alerts = alerts
        self.silences = silences
        self.routing = routing
        self.clock = clock

    def open(
        self, matchers: Sequence[Matcher] = (), fingerprint: str | None = None
    ) -> list[AlertView]:
        """Every open alert matching ``matchers`` (and, when given, of ``fingerprint`` only),
        with where it goes and what mutes it."""
        now = self.clock.now()
        config = self.routing()
        every = [a for a, _ in self.alerts.list(AlertQuery(open_only=True))]
        silencer = self.silences.silencer()
        inhibitor = Inhibitor(
            config.inhibit_rules if config else (),
            (SourceAlert(a.fingerprint, a.labels, a.ends_at) for a in every),
        )
        views = []
        policies: dict[str, list[FlapPolicy]] = {}
        for alert in every:
            if fingerprint is not None and alert.fingerprint != fingerprint:
                continue
            if not matches_all(matchers, alert.labels):
                continue
            receivers: tuple[str, ...] = ()
            if config is not None:
                routes = match_routes(config.route, alert.labels)
                receivers = tuple(dict.fromkeys(r.receiver for r in routes))
                flap = [r.flap_detection for r in routes if r.flap_detection is not None]
                if flap:
                    policies[alert.fingerprint] = flap
            inhibited_by = inhibitor.inhibited_by(alert.labels, now)
            views.append(
                AlertView(
                    alert,
                    receivers,
                    tuple(silencer.silenced_by(alert.labels, now)),
                    (inhibited_by,) if inhibited_by else (),
                )
            )
        if not policies:
            return views
        flapping = self.alerts.flapping(policies, now)
        return [replace(v, flapping=v.alert.fingerprint in flapping) for v in views]
