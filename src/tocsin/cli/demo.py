"""``tocsin demo``: Tocsin on SQLite with demo integrations and a live alert stream."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from tocsin.api.app import create_app
from tocsin.cli.context import console, open_runtime, operator, settings_with, tocsin_errors
from tocsin.cli.demo_history import seed_history
from tocsin.cli.demo_runbooks import ping_backup, write_demo_files
from tocsin.cli.demo_sink import DemoSink, demo_config
from tocsin.cli.demo_stream import DemoStream
from tocsin.domain.integrations import IntegrationKind
from tocsin.engine.clock import SystemClock
from tocsin.services.runtime import Runtime

__all__ = ["demo"]

DEMO_INTEGRATIONS = {
    "alertmanager": ("demo-prometheus", IntegrationKind.ALERTMANAGER),
    "alertmanager-webhook": ("demo-alertmanager", IntegrationKind.ALERTMANAGER_WEBHOOK),
    "pagerduty": ("demo-pagerduty", IntegrationKind.PAGERDUTY),
    "opsgenie": ("demo-opsgenie", IntegrationKind.OPSGENIE),
    "webhook": ("demo-webhook", IntegrationKind.WEBHOOK),
}


#: The demo people who are not plain responders.
DEMO_ROLES = {"sam", "vera", "casey"}
#: Every demo person signs in with this password (the demo prints it; never use it for real).
DEMO_PASSWORD = "tocsin-demo"


def _sink_allowed(own_config: bool) -> str | None:
    """The demo's people are paged on the demo sink at 127.0.0.1, by personal webhook: a URL
    a user may choose, which reaches a private address only when the operator allows it."""
    if not own_config:
        return None
    return ",".join(filter(None, [os.environ.get("TOCSIN_OUTBOUND_ALLOW", ""), "127.0.0.1"]))


def _demo_accounts(runtime: Runtime) -> list[str]:
    """Let every configured person sign in to the web UI with the demo password."""
    config = runtime.routing
    people = sorted(config.users) if config else []
    for user in people:
        if runtime.accounts.account(user) is None:
            runtime.accounts.create(user, DEMO_PASSWORD)
    return people


def _demo_tokens(runtime: Runtime) -> dict[str, str]:
    """Create the demo integrations, or give existing ones fresh tokens to print."""
    existing = {i.name for i in runtime.integrations.list()}
    tokens = {}
    for key, (name, kind) in DEMO_INTEGRATIONS.items():
        if name in existing:
            _, tokens[key] = runtime.integrations.rotate_token(name)
        else:
            _, tokens[key] = runtime.integrations.create(name, kind)
    # The stream acts through the API with a service token (one per start; the last one's
    # revoked, as a real rotation would).
    for old in runtime.api_tokens.listing(kind="service"):
        if old.name == "demo-stream" and old.revoked_at is None:
            runtime.api_tokens.revoke(old.id, operator(runtime))
    _, tokens["api"] = runtime.api_tokens.create(
        kind="service", name="demo-stream", scope="respond", created_by="demo"
    )
    return tokens


@tocsin_errors
def demo(
    port: Annotated[int, typer.Option(envvar="TOCSIN_PORT")] = 8080,
    stream: Annotated[bool, typer.Option(help="Send a simulated alert stream.")] = True,
    history: Annotated[
        bool, typer.Option(help="Seed three days of history into an empty database.")
    ] = True,
    period: Annotated[float, typer.Option(help="Seconds between bursts of the stream.")] = 3.0,
) -> None:
    """Start Tocsin with demo integrations, a routing configuration whose receivers print
    each notification here, and a simulated alert stream."""
    sink = DemoSink(console)
    own_config = not os.environ.get("TOCSIN_CONFIG")
    path = Path("tocsin-data") / "demo-tocsin.yaml"
    today = SystemClock().now().date()  # the demo's runbooks are dated as it runs
    paths = write_demo_files(path.parent, str(today), str(today - timedelta(days=200)))

    def write_config(heartbeats: bool) -> str:
        if not own_config:
            return os.environ["TOCSIN_CONFIG"]
        return str(demo_config(path, sink.url, scenarios=paths["scenarios"], heartbeats=heartbeats))

    config = write_config(heartbeats=False)
    settings = settings_with(port=port, config=config, outbound_allow=_sink_allowed(own_config))
    admin = open_runtime(settings)
    try:
        tokens = _demo_tokens(admin)
        people = _demo_accounts(admin)
    finally:
        admin.db.dispose()
    base = settings.public_url
    if history:
        sink.quiet = True
        sink.start()
        console.print("Playing three days of demo history into the database ...")
        seed_history(settings, tokens["alertmanager"])
        sink.quiet = False
    # Heartbeats from now on: the history had no cron job and no Watchdog to keep them up.
    config = write_config(heartbeats=True)
    settings = settings_with(port=port, config=config, outbound_allow=_sink_allowed(own_config))
    if own_config:
        admin = open_runtime(settings)
        try:
            ping_backup(admin)
        finally:
            admin.db.dispose()
    console.rule("[bold]Tocsin demo")
    console.print(
        f"[bold]Open {base}/[/] and sign in as sam (an admin), vera (a viewer), casey (a "
        f"stakeholder) or any of {', '.join(p for p in people if p not in DEMO_ROLES)}; "
        f"password: {DEMO_PASSWORD}",
        soft_wrap=True,
    )
    console.print(f"Database:       {settings.database_url}")
    console.print(f"API docs:       {base}/docs")
    console.print(f"Health:         {base}/healthz  {base}/readyz  {base}/metrics")
    console.print("Tokens (demo only; real tokens are shown once):")
    for key, token in tokens.items():
        name = DEMO_INTEGRATIONS[key][0] if key in DEMO_INTEGRATIONS else "demo-stream"
        kind = key if key in DEMO_INTEGRATIONS else "API (service)"
        console.print(f"  {name:<20} {kind:<21} {token}")
    console.print("Try:")
    console.print(
        f"  curl -s -H 'Authorization: Bearer {tokens['alertmanager']}' {base}/api/v2/alerts",
        soft_wrap=True,
    )
    console.print(
        f"  .venv/bin/tocsin alert send DemoAlert severity=page --token {tokens['alertmanager']}"
        f" --url {base}",
        soft_wrap=True,
    )
    console.print("  .venv/bin/tocsin alerts --firing")
    console.print("  .venv/bin/tocsin notifications")
    console.print(f"  .venv/bin/tocsin oncall --config {config}")
    console.print(f"  curl -s -H 'Authorization: Bearer {tokens['api']}' {base}/api/oncall")
    console.print(f"Routing:        {config} (notifications print below)")
    console.print(
        f"  amtool alert query --alertmanager.url=http://demo:{tokens['alertmanager']}@"
        f"{base.split('://')[-1]}",
        soft_wrap=True,
    )
    console.rule()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the demo sender's own requests
    sender = DemoStream(base, tokens, period=period) if stream else None
    app = create_app(Runtime.build(settings))
    server_config = uvicorn.Config(app, host=settings.host, port=settings.port, access_log=False)
    server = uvicorn.Server(server_config)
    if not history:
        sink.start()
    if sender is not None:
        sender.start()
    try:
        server.run()
    finally:
        if sender is not None:
            sender.stop()
        sink.stop()
