"""``tocsin``: serve, migrate, manage integrations, send and list alerts."""

from __future__ import annotations

import logging
import signal
from typing import Annotated

import typer

from tocsin import __version__, origin
from tocsin.cli import (
    action_items,
    alerts,
    audit,
    backup,
    cluster,
    config_apply,  # noqa: F401 - adds its commands to ``tocsin config``
    config_export,  # noqa: F401 - adds its command to ``tocsin config``
    demo,
    drills,
    heartbeats,
    import_grafana_oncall,  # noqa: F401 - adds its command to ``tocsin import``
    import_opsgenie,  # noqa: F401 - adds its command to ``tocsin import``
    import_pagerduty,  # noqa: F401 - adds its command to ``tocsin import``
    importers,
    incident_comms,  # noqa: F401 - adds its commands to ``tocsin incident``
    incidents,
    integrations,
    notifications,
    people,
    postmortems,
    remediation,
    reports,
    routing,
    runbooks,
    schedule_changes,
    schedules,
    secrets,
    silences,
    slos,
    status_page,
    tokens,
    users,
)
from tocsin.cli.context import console, open_runtime, settings_with, tocsin_errors
from tocsin.cli.report_oncall import oncall as report_oncall
from tocsin.errors import TocsinError
from tocsin.services.runtime import Runtime
from tocsin.store import migrate

__all__ = ["app", "main"]

app = typer.Typer(
    name="tocsin",
    help="Tocsin: self-hosted incident response, from the first alert to a lesson learned.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(integrations.app, name="integration")
app.command("alerts")(alerts.list_alerts)
app.command("notifications")(notifications.notifications)
app.command("oncall")(schedules.oncall)
app.add_typer(schedules.schedule_app, name="schedule")
schedules.schedule_app.add_typer(schedule_changes.override_app, name="override")
schedules.schedule_app.add_typer(schedule_changes.swap_app, name="swap")
app.add_typer(users.user_app, name="user")
users.user_app.command("list")(people.list_users)
app.add_typer(people.team_app, name="team")
app.add_typer(people.policy_app, name="policy")
app.command("incidents")(incidents.list_incidents)
app.add_typer(incidents.incident_app, name="incident")
app.command("test-page")(incidents.test_page)
alert_app = typer.Typer(help="Send alerts, as `amtool alert add` does.", no_args_is_help=True)
alert_app.command("send")(alerts.send)
app.add_typer(alert_app, name="alert")
app.command("demo")(demo.demo)
app.add_typer(routing.config_app, name="config")
app.add_typer(routing.route_app, name="route")
app.add_typer(silences.app, name="silence")
app.add_typer(status_page.status_app, name="status")
app.add_typer(slos.slo_app, name="slo")
app.add_typer(postmortems.postmortem_app, name="postmortem")
app.add_typer(heartbeats.heartbeat_app, name="heartbeat")
app.add_typer(runbooks.runbook_app, name="runbook")
app.add_typer(reports.report_app, name="report")
reports.report_app.command("oncall")(report_oncall)
app.add_typer(action_items.actions_app, name="actions")
app.add_typer(remediation.remediation_app, name="remediation")
app.add_typer(drills.drill_app, name="drill")
app.add_typer(drills.tabletop_app, name="tabletop")
app.add_typer(secrets.secrets_app, name="secrets")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(cluster.cluster_app, name="cluster")
app.add_typer(importers.import_app, name="import")
app.add_typer(tokens.token_app, name="token")
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)

DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", envvar="TOCSIN_DATABASE_URL", show_default=False)
]


def _version(value: bool) -> None:
    if value:
        console.print(f"tocsin {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    # What a command changes is audited as done from the CLI, by its OS user on this host.
    ctx.call_on_close(origin.enter(origin.cli_origin()))


@app.command()
@tocsin_errors
def serve(
    host: Annotated[
        str | None, typer.Option(envvar="TOCSIN_HOST", show_default="127.0.0.1")
    ] = None,
    port: Annotated[int | None, typer.Option(envvar="TOCSIN_PORT", show_default="8080")] = None,
    database_url: DatabaseUrl = None,
    config: Annotated[
        str | None,
        typer.Option("--config", envvar="TOCSIN_CONFIG", help="Routing configuration file."),
    ] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Run the Tocsin server (API, intake and engine) until interrupted."""
    import uvicorn

    from tocsin.api.app import create_app

    settings = settings_with(database_url, host=host, port=port, config=config)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    runtime = Runtime.build(settings)
    with runtime.db.engine.connect() as conn:  # SchemaTooNew: say why, and stop
        migrate.check_known(migrate.current_revision(conn))
    app_ = create_app(runtime)
    if settings.config:
        _reload_on_sighup(runtime)
    console.print(f"Tocsin {__version__} on {settings.public_url} (database: {_safe(settings)})")
    uvicorn.run(
        app_,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=access_log,
        timeout_graceful_shutdown=10,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


def _reload_on_sighup(runtime: Runtime) -> None:
    """SIGHUP reloads the configuration, as for Alertmanager; a bad file is logged and the
    running configuration stays."""
    log = logging.getLogger("tocsin.config")

    def reload(signum: int, frame: object) -> None:
        try:
            where = origin.cli_origin().address
            with origin.acting(origin.Origin("signal", where, "signal:SIGHUP")):
                runtime.reload()
            log.info("configuration reloaded from %s", runtime.settings.config)
        except TocsinError as exc:
            log.error("configuration not reloaded, keeping the last good one: %s", exc)

    signal.signal(signal.SIGHUP, reload)


def _safe(settings: object) -> str:
    from sqlalchemy import make_url

    return make_url(settings.database_url).render_as_string(hide_password=True)  # type: ignore[attr-defined]


@db_app.command("upgrade")
@tocsin_errors
def db_upgrade(database_url: DatabaseUrl = None) -> None:
    """Apply every pending migration."""
    runtime = open_runtime(settings_with(database_url))
    with runtime.db.read() as conn:
        current = migrate.current_revision(conn)
    runtime.db.dispose()
    console.print(f"database at revision {current} (head {migrate.head_revision()})")


def main() -> None:
    app()
