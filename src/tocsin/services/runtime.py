"""The running system: one database, one clock, the services, the engine. Built once by
the server (and by tests), started and stopped together."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Connection

from tocsin import redaction
from tocsin.config.compile import RoutingConfig
from tocsin.domain.alerts import Alert, AlertEvent
from tocsin.engine.clock import Clock, ScaledClock, SystemClock
from tocsin.engine.housekeeping import KIND as HOUSEKEEPING
from tocsin.engine.housekeeping import Housekeeping
from tocsin.engine.runner import Runner
from tocsin.engine.status_days import KIND as STATUS_DAYS
from tocsin.engine.status_days import StatusDays
from tocsin.errors import ConfigError
from tocsin.metrics import Metrics
from tocsin.notify.action_reminders import REMIND as ACTIONS_REMIND
from tocsin.notify.action_reminders import ActionReminders
from tocsin.notify.deliver import DeliveryJob
from tocsin.notify.dispatch import FLUSH, Dispatcher
from tocsin.notify.drill_watch import DRILL_END, DRILL_FIRE, DRILL_PLAN, DrillWatch
from tocsin.notify.flush import FlushHandler
from tocsin.notify.heartbeat_watch import CHECK as HEARTBEAT_CHECK
from tocsin.notify.heartbeat_watch import HeartbeatWatch
from tocsin.notify.incident_alerts import IncidentStage
from tocsin.notify.incident_desk import Desk
from tocsin.notify.incident_rooms import ROOM, RoomJob
from tocsin.notify.incident_updates import UPDATE_DUE
from tocsin.notify.messages import MESSAGE, MessageJob
from tocsin.notify.muting import MutingLoader
from tocsin.notify.oncall_watch import HANDOFF, SHIFT_REMINDER, WATCH, OnCallWatch
from tocsin.notify.outbox import DELIVERY
from tocsin.notify.paging import ACK_TIMEOUT, ESCALATE, PAGE_STEP, Paging
from tocsin.notify.remediation_job import RemediationJob
from tocsin.notify.remediation_requests import RUN as REMEDIATION_RUN
from tocsin.notify.remediation_triggers import RemediationTriggers
from tocsin.notify.reminders import ReminderHandler
from tocsin.notify.runbook_reviews import REVIEW as RUNBOOK_REVIEW
from tocsin.notify.runbook_reviews import RunbookReviews
from tocsin.notify.slo_prometheus import EVALUATE_PROMETHEUS as SLO_PROMETHEUS
from tocsin.notify.slo_prometheus import PrometheusSloWatch
from tocsin.notify.slo_watch import EVALUATE as SLO_EVALUATE
from tocsin.notify.slo_watch import SloAlerts, SloWatch
from tocsin.notify.status_changes import MAINTENANCE_TIMER, StatusDesk
from tocsin.notify.status_subscribers import SEND as STATUS_SEND
from tocsin.notify.status_subscribers import Links, StatusSendJob
from tocsin.notify.status_webhook_guard import WebhookGuard
from tocsin.outbound import Outbound, guarded_client
from tocsin.secret_box import keys_for
from tocsin.services.accounts import AccountService
from tocsin.services.action_items import ActionItemService
from tocsin.services.alert_views import AlertViews
from tocsin.services.alerts import AlertService
from tocsin.services.api_tokens import ApiTokenService
from tocsin.services.audit import AuditService, config_loaded, config_summary, record_config
from tocsin.services.chatops import ChatOps
from tocsin.services.cluster import Cluster, node_id
from tocsin.services.config_versions import ConfigVersions, Loaded, read_file
from tocsin.services.current import Current, SigningKey
from tocsin.services.drills import DrillService
from tocsin.services.heartbeats import HeartbeatService
from tocsin.services.incident_comms import IncidentComms
from tocsin.services.incidents import IncidentService
from tocsin.services.intake import Intake, OnStored, Submission, apply_batch
from tocsin.services.integrations import IntegrationService
from tocsin.services.notifications import NotificationService
from tocsin.services.oncall_health import OnCallHealthService
from tocsin.services.people import PeopleService
from tocsin.services.postmortem_watch import KIND as POSTMORTEM_WATCH
from tocsin.services.postmortem_watch import PostmortemWatch, first_payload
from tocsin.services.postmortems import PostmortemService
from tocsin.services.rate_limits import RateLimits
from tocsin.services.remediation import RemediationService
from tocsin.services.repeats import repeat_finder
from tocsin.services.report_gauges import ReportGauges
from tocsin.services.reports import ReportService
from tocsin.services.runbooks import RunbookService
from tocsin.services.schedules import ScheduleService
from tocsin.services.sign_in_guard import guard_from, sessions_from
from tocsin.services.silences import REMINDER, SilenceService
from tocsin.services.slo_gate import ReleaseGate
from tocsin.services.slos import SloService
from tocsin.services.sso import SingleSignOn
from tocsin.services.sso_settings import oidc_config
from tocsin.services.status_page import StatusPageService
from tocsin.services.status_subscriptions import SubscriptionService
from tocsin.services.tabletop import TabletopService
from tocsin.settings import Settings
from tocsin.store import config_versions as version_store
from tocsin.store import migrate
from tocsin.store import timers as timer_store
from tocsin.store.accounts import TOPIC as ACCOUNTS
from tocsin.store.api_tokens import TOPIC as TOKENS
from tocsin.store.database import Database
from tocsin.store.node_locks import STARTING, exclusive
from tocsin.store.site_secrets import SiteSecrets

__all__ = ["Runtime"]

log = logging.getLogger("tocsin.config")


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock
    metrics: Metrics
    integrations: IntegrationService
    intake: Intake
    alerts: AlertService
    silences: SilenceService
    views: AlertViews
    runner: Runner
    housekeeping: Housekeeping
    current: Current
    dispatcher: Dispatcher
    delivery: DeliveryJob
    notifications: NotificationService
    schedules: ScheduleService
    incidents: IncidentService
    people: PeopleService
    messages: MessageJob
    rooms: RoomJob
    chatops: ChatOps
    comms: IncidentComms
    slos: SloService
    gate: ReleaseGate
    signing_key: SigningKey
    accounts: AccountService
    #: Personal and service API tokens (docs/security.md).
    api_tokens: ApiTokenService
    #: The routing configuration file's text as given (``--config``).
    routing_text: str
    #: The public status page (docs/status-page.md) and its subscribers.
    status_page: StatusPageService
    subscriptions: SubscriptionService
    status_sends: StatusSendJob
    #: Incident metrics, volume and the alert review; headline gauges on /metrics.
    reports: ReportService
    #: Action items of incidents and their reminders (docs/action-items.md).
    action_items: ActionItemService
    #: On-call health reports (docs/oncall-health.md).
    oncall_health: OnCallHealthService
    #: Postmortems of incidents (docs/postmortems.md).
    postmortems: PostmortemService
    #: Drills and tabletop exercises (docs/drills.md).
    drills: DrillService
    tabletop: TabletopService
    #: Heartbeat monitors, dead man's switches (docs/heartbeats.md).
    heartbeats: HeartbeatService
    #: Remediation actions and their runs (docs/remediation.md).
    remediation: RemediationService
    #: Runbooks linked to alerts (docs/runbooks.md).
    runbooks: RunbookService
    #: The audit log (docs/security.md).
    audit: AuditService
    #: Rate limits per integration and API token (docs/security.md#rate-limits).
    rate_limits: RateLimits
    #: This node among the others on the database, and the configuration versions all
    #: follow (docs/cluster.md); the configuration file this node was started with.
    cluster: Cluster
    config_versions: ConfigVersions
    file_config: Loaded | None
    started_at: datetime = field(init=False)
    #: Held while the configuration in force changes (a reload, another node's version).
    _config_lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    run_engine: bool = True
    #: Single sign-on with OpenID Connect, when configured (docs/security.md).
    sso: SingleSignOn | None = None

    @classmethod
    def build(
        cls, settings: Settings, *, clock: Clock | None = None, run_engine: bool = True
    ) -> Runtime:
        if clock is None and settings.clock_rate != 1.0:
            origin = settings.clock_origin or SystemClock().now()
            clock = ScaledClock(origin, settings.clock_rate)
        clock = clock or SystemClock()
        oidc = oidc_config(settings)  # ConfigError: refuse to start
        redaction.install()  # no secret in any log line (docs/security.md#secrets)
        site_secrets = SiteSecrets(keys_for(settings))  # SecretKeyError: refuse to start
        file_config = None
        if settings.config:
            # ConfigError: refuse to start
            file_config = read_file(settings.config, lambda: site_secrets.box)
            _warn(file_config.routing)
        routing = file_config.routing if file_config else None
        routing_text = file_config.text if file_config else ""
        node = node_id(settings.node_name)
        db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        metrics = Metrics()
        housekeeping = Housekeeping(
            interval=settings.housekeeping_interval,
            retention=settings.alert_retention,
            unchanged_retention=settings.unchanged_event_retention,
        )
        alerts = AlertService(db, clock)
        current = Current(routing)

        def reminder_lead() -> timedelta | None:
            reminders = current.routing.silence_reminders if current.routing else None
            return reminders[1] if reminders else None

        silences = SilenceService(db, clock, reminder_lead)
        dispatcher = Dispatcher(current)
        outbound = Outbound.from_settings(settings)
        versions = ConfigVersions(db, node, lambda: site_secrets.box)
        delivery = DeliveryJob(
            current,
            settings.external_url or f"http://{settings.host}:{settings.port}",
            outbound=outbound,
            behind=versions.behind,
        )
        runner = Runner(
            db,
            clock,
            {HOUSEKEEPING: housekeeping},
            jobs={DELIVERY: delivery},
            owner=node,
            lease=settings.engine_lease,
        )
        signing_key = SigningKey(site_secrets)
        paging = Paging(current, settings.public_url, signing_key)
        triggers = RemediationTriggers(current, paging.link)
        paging.on_level = triggers.on_level
        runner.register(REMEDIATION_RUN, RemediationJob(current, db.write, clock, link=paging.link))
        desk = Desk(current, paging)
        runner.register(
            FLUSH,
            FlushHandler(
                current,
                MutingLoader(current),
                runner.spawn_many,
                IncidentStage(current, desk, triggers.on_alerts),
                versions.behind,
                dispatcher.assign,
            ),
        )
        runner.register(ESCALATE, paging.escalate)
        runner.register(PAGE_STEP, paging.page_step)
        runner.register(ACK_TIMEOUT, paging.ack_timeout)
        runner.register(REMINDER, ReminderHandler(current, runner.spawn_many))
        watch = OnCallWatch(current, _raise_alerts(dispatcher), settings.public_url)
        runner.register(WATCH, watch.watch)
        runner.register(HANDOFF, watch.handoff)
        runner.register(SHIFT_REMINDER, watch.reminder)
        slo_alerts = SloAlerts(_raise_alerts(dispatcher), settings.public_url)
        runner.register(SLO_EVALUATE, SloWatch(current, slo_alerts).evaluate)
        slos = SloService(db, clock, current)
        runner.register(
            SLO_PROMETHEUS,
            PrometheusSloWatch(current, slo_alerts, slos.prometheus, time.monotonic),
        )
        messages = MessageJob(current, outbound=outbound)
        runner.register(MESSAGE, messages)
        status_links = Links(settings.public_url, signing_key)
        status_desk = StatusDesk(status_links)
        runner.register(MAINTENANCE_TIMER, status_desk.maintenance_timer)
        runner.register(STATUS_DAYS, StatusDays())
        webhook_guard = WebhookGuard(settings.status_webhooks_allow_private, allow=outbound.allow)
        status_sends = StatusSendJob(current, guard=webhook_guard, outbound=outbound)
        runner.register(STATUS_SEND, status_sends)
        rooms = RoomJob(current, paging.link, outbound=outbound)
        runner.register(ROOM, rooms)
        runner.register(UPDATE_DUE, desk.updates.due)
        runner.register(ACTIONS_REMIND, ActionReminders(current, settings.public_url))
        schedules = ScheduleService(db, clock, current, _check_schedules, runner.wake)
        incidents = IncidentService(db, clock, current, desk, signing_key, runner.wake)
        comms = IncidentComms(db, clock, desk, status_desk, runner.wake)
        postmortems = PostmortemService(db, clock, current, slos, settings.public_url, runner.wake)
        runner.register(POSTMORTEM_WATCH, PostmortemWatch(postmortems))
        drill_watch = DrillWatch(current, desk)
        runner.register(DRILL_END, drill_watch.end)
        runner.register(DRILL_PLAN, drill_watch.plan)
        runner.register(DRILL_FIRE, drill_watch.fire)
        heartbeat_watch = HeartbeatWatch(
            current, _raise_alerts(dispatcher), settings.public_url, versions.behind
        )
        runner.register(HEARTBEAT_CHECK, heartbeat_watch.check)
        heartbeats = HeartbeatService(
            db,
            clock,
            current,
            heartbeat_watch,
            runner.wake,
            settings.housekeeping_interval,
            site_secrets,
        )
        runner.register(RUNBOOK_REVIEW, RunbookReviews(current, settings.public_url))
        remediation = RemediationService(db, clock, current, paging.link, runner.wake)
        return cls(
            settings=settings,
            db=db,
            clock=clock,
            metrics=metrics,
            integrations=IntegrationService(
                db, clock, lambda: current.routing.teams if current.routing else None
            ),
            intake=Intake(
                db,
                clock,
                metrics,
                on_stored=_flush_at_once(dispatcher, runner),
                on_received=heartbeats.watchdog,
            ),
            alerts=alerts,
            silences=silences,
            views=AlertViews(alerts, silences, current, clock),
            runner=runner,
            housekeeping=housekeeping,
            current=current,
            dispatcher=dispatcher,
            delivery=delivery,
            notifications=NotificationService(db),
            schedules=schedules,
            incidents=incidents,
            people=PeopleService(db, clock, current, messages),
            messages=messages,
            rooms=rooms,
            chatops=ChatOps(db, current, incidents, schedules, comms, remediation),
            comms=comms,
            slos=slos,
            gate=ReleaseGate(db, clock, slos),
            signing_key=signing_key,
            accounts=AccountService(
                db,
                clock,
                current,
                current.set_accounts,
                lambda: current.file,
                guard=guard_from(settings, db),
                sessions=sessions_from(settings),
            ),
            api_tokens=ApiTokenService(db, clock, current),
            routing_text=routing_text,
            status_page=StatusPageService(db, clock, status_desk, runner.wake),
            subscriptions=SubscriptionService(
                db, clock, status_links, runner.wake, guard=webhook_guard
            ),
            status_sends=status_sends,
            reports=ReportGauges(
                ReportService(db, clock, current, repeats=repeat_finder(db, current))
            ).register(metrics.registry),
            action_items=ActionItemService(db, clock, current),
            oncall_health=OnCallHealthService(db, clock, current, schedules),
            postmortems=postmortems,
            drills=DrillService(db, clock, current, incidents),
            tabletop=TabletopService(db, clock, current),
            heartbeats=heartbeats,
            remediation=remediation,
            runbooks=RunbookService(db, clock, current, settings.public_url),
            audit=AuditService(db),
            rate_limits=RateLimits.from_settings(
                settings,
                clock,
                heartbeat_names=lambda: current.routing.heartbeats if current.routing else (),
                registry=metrics.registry,
            ),
            cluster=Cluster(
                db,
                clock,
                node=node,
                address=f"{settings.host}:{settings.port}",
                poll=settings.cluster_poll,
                rate=settings.clock_rate,
                config_version=lambda: versions.version,
                config_problem=lambda: versions.problem,
            ),
            config_versions=versions,
            file_config=file_config,
            run_engine=run_engine,
            sso=(
                SingleSignOn(oidc, clock, client=lambda: guarded_client(outbound)) if oidc else None
            ),
        )

    @property
    def routing(self) -> RoutingConfig | None:
        """The routing configuration in force (``--config``; swapped by a reload)."""
        return self.current.routing

    @property
    def resolve_timeout(self) -> timedelta:
        """For alerts sent without endsAt: the file's ``global.resolve_timeout``, else the
        setting (``TOCSIN_RESOLVE_TIMEOUT``, 5m)."""
        routing = self.current.routing
        if routing is not None and routing.resolve_timeout is not None:
            return routing.resolve_timeout
        return self.settings.resolve_timeout

    def reload(self) -> RoutingConfig:
        """Apply the configuration file again, on every node (a new version). On any error
        the running configuration stays and the ConfigError says why."""
        if not self.settings.config:
            raise ConfigError("no configuration file to reload: start with --config")
        loaded = read_file(self.settings.config, lambda: self.signing_key.site.box)
        _warn(loaded.routing)
        with self._config_lock:
            # Stored first: from its commit on, a node that meets work of a route or
            # receiver it lacks knows it is behind and leaves the work (``Behind``).
            stored = self.store_config(loaded, "reload", "config.reloaded", self.routing_text)
            self._adopt(stored)
            self.config_versions.running(stored)
        self.heartbeats.sync(restarted=False)
        self.resync()
        with self.db.write() as conn:
            now = self.clock.now()
            _check_schedules(conn, now)
            timer_store.schedule(conn, DRILL_PLAN, "all", now)  # drills changed?
        self.runner.wake()
        return loaded.routing

    def store_config(
        self,
        loaded: Loaded,
        reason: str,
        action: str,
        before: str,
        after: int | None | Literal["any"] = "any",
    ) -> Loaded:
        """Store ``loaded`` as the newest configuration version and audit it (``action``,
        ``before``: the text it replaces), in one transaction; every node runs it once that
        commits. ``after``: see ``ConfigVersions.apply``."""
        now = self.clock.now()
        with self.db.write() as conn:
            stored = self.config_versions.apply(conn, loaded, now, reason, after=after)
            key = self.signing_key()
            record_config(
                conn,
                now,
                action,
                loaded.source,
                config_summary(before, key) if before else None,
                config_summary(loaded.text, key),
            )
        return stored

    def follow_config(self) -> None:
        """Run the newest configuration version if another node applied it (the change
        feed calls this when told, and every poll)."""
        newer = self.config_versions.newer()
        if newer is None:
            return
        with self._config_lock:
            if (newer.version or 0) <= (self.config_versions.version or 0):
                return  # this node applied a newer one meanwhile
            log.info("configuration version %s applied by another node", newer.version)
            self._adopt(newer)
            self.config_versions.running(newer)

    def _adopt(self, loaded: Loaded) -> None:
        """Run ``loaded`` on this node (what it does to the database, the node that
        applied it did)."""
        _warn(loaded.routing)
        self.routing_text = loaded.text
        self.current.set_file(loaded.routing)
        self.runner.wake()

    def resync(self) -> None:
        """Put every open alert in its groups under the configuration in force."""
        with self.db.write() as conn:
            due = self.dispatcher.resync(conn, self.clock.now())
        if due:
            self.runner.wake()

    def start(self) -> None:
        """Migrate the database, settle which configuration runs, then start intake and
        the engine. Nodes starting together take these first steps one at a time."""
        self.started_at = self.clock.now()
        migrate.upgrade(self.db)  # SchemaTooNew: refuse to start
        self.signing_key.load(self.db, self.clock.now())
        with exclusive(self.db, STARTING):
            self._start_writes()
        self.cluster.feed.subscribe(version_store.TOPIC, self.follow_config)
        self.cluster.feed.subscribe(ACCOUNTS, self.accounts.load)
        self.cluster.feed.subscribe(TOKENS, self.api_tokens.cache.clear)
        self.cluster.feed.subscribe(TOKENS, self.integrations.cache.clear)
        self.cluster.join()
        self.intake.start()
        if self.run_engine:
            self.runner.start()

    def _start_writes(self) -> None:
        running = self.config_versions.at_start(self.file_config, self.clock.now())
        if running is not None and (
            self.file_config is None or running.bundle is not self.file_config.bundle
        ):
            self._adopt(running)  # another node's newer version
        if self.settings.config:  # an edit made while Tocsin was away is audited
            config_loaded(
                self.db,
                self.started_at,
                self.settings.config,
                self.routing_text,
                self.signing_key(),
            )
        self.accounts.load()
        with self.db.write() as conn:
            now = self.clock.now()
            self.housekeeping.ensure_scheduled(conn, now)
            StatusDays().ensure_scheduled(conn, now)
            for kind in (WATCH, SLO_EVALUATE, SLO_PROMETHEUS, ACTIONS_REMIND, DRILL_PLAN):
                timer_store.schedule(conn, kind, "all", now, replace=False)
            timer_store.schedule(
                conn, POSTMORTEM_WATCH, "all", now, first_payload(now), replace=False
            )
            timer_store.schedule(conn, RUNBOOK_REVIEW, "all", now, replace=False)
        # Before intake and engine: pings due during an outage of Tocsin were refused, not
        # missed (the housekeeping timer, kept as it was above, tells how long it was away).
        self.heartbeats.sync(restarted=True)
        self.resync()

    def stop(self) -> None:
        """Stop taking work, finish what is under way, and give back the timers this node
        holds (the other nodes take them at once)."""
        self.cluster.leave()
        self.intake.stop()
        self.runner.stop()
        self.delivery.close()
        self.messages.close()
        self.status_sends.close()
        self.rooms.close()
        self.slos.close()
        self.db.dispose()


def _warn(routing: RoutingConfig) -> None:
    for warning in routing.warnings:
        log.warning("%s", warning)


def _flush_at_once(dispatcher: Dispatcher, runner: Runner) -> OnStored:
    """Group the alerts in the intake's transaction, and flush the groups due now right
    there too (group_wait 0, or old alerts): their notifications start as the alerts
    commit, with no second transaction in between."""

    def on_stored(
        conn: Connection, alerts: list[Alert], now: datetime
    ) -> Callable[[], None] | None:
        due = dispatcher.assign(conn, alerts, now)
        spawned = runner.run_inline(conn, FLUSH, [str(gid) for gid in due], now)
        if not spawned:
            return None
        return lambda: runner.start_spawned(spawned, now)

    return on_stored


def _check_schedules(conn: Connection, now: datetime) -> None:
    """Check the schedules now (gaps, handoffs to plan): something about them changed."""
    timer_store.schedule(conn, WATCH, "all", now)


def _raise_alerts(
    dispatcher: Dispatcher,
) -> Callable[[Connection, Sequence[AlertEvent], datetime], None]:
    """Alerts Tocsin raises itself (coverage gaps): stored and grouped in the caller's
    transaction, routed like any other."""

    def raise_alerts(conn: Connection, events: Sequence[AlertEvent], now: datetime) -> None:
        changed: list[Alert] = []
        apply_batch(conn, [Submission(None, events, now)], changed)
        if changed:
            dispatcher.assign(conn, changed, now)

    return raise_alerts
