"""The demo's notification receiver: a webhook endpoint on loopback that prints each
notification Tocsin sends, so ``make demo`` shows grouping and timing as they happen."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from rich.console import Console

__all__ = ["DemoSink", "demo_config"]

CONFIG = """# Written by `tocsin demo`, in Alertmanager's format (any alertmanager.yml works).
route:
  receiver: team
  group_by: [alertname]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 1h
  routes:
    - matchers: ['alertname="Watchdog"']   # Prometheus' always-firing alert: a heartbeat
      receiver: blackhole
    - matchers: ['severity=~"critical|page"']
      receiver: pager
      group_wait: 5s
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [service]
receivers:
  - name: blackhole
  - name: team
    webhook_configs: [{{url: "{url}/team"}}]
  - name: pager                   # critical alerts open incidents (tocsin incidents)
    escalation_policy: sre
    webhook_configs: [{{url: "{url}/pager"}}]
# Communication (docs/communication.md): stakeholders expect updates this often.
incidents:
  update_every: {{SEV1: 30m, SEV2: 1h}}
# Paging (docs/paging.md): each person's pages go to a webhook the demo prints.
escalation_policies:
  - name: sre
    team: sre
    repeat: 1
    levels:
      - delay: 5m
        targets: [{{schedule: follow-the-sun}}]
      - delay: 5m
        targets: [{{schedule: database}}, {{user: sam}}]
teams:                            # roles and teams: docs/security.md
  - {{name: sre, members: [akiko, kenji, jonas, lena, maria, sam], managers: [lena],
     services: [api, checkout, auth, inventory]}}
# On call: who is on call (tocsin oncall), shifts, gaps, overrides and swaps (docs/schedules.md).
users:
  - {{id: akiko, name: Akiko (Tokyo), time_zone: Asia/Tokyo, webhook_url: "{url}/page/akiko"}}
  - {{id: kenji, name: Kenji (Tokyo), time_zone: Asia/Tokyo, webhook_url: "{url}/page/kenji"}}
  - {{id: jonas, name: Jonas (Berlin), time_zone: Europe/Berlin, webhook_url: "{url}/page/jonas"}}
  - {{id: lena, name: Lena (Berlin), time_zone: Europe/Berlin, webhook_url: "{url}/page/lena"}}
  - {{id: maria, name: Maria (Los Angeles), time_zone: America/Los_Angeles,
     webhook_url: "{url}/page/maria"}}
  - {{id: sam, name: Sam (Los Angeles), time_zone: America/Los_Angeles,
     webhook_url: "{url}/page/sam", admin: true}}
  - {{id: vera, name: Vera (reads everything), role: viewer}}
  - {{id: casey, name: Casey (stakeholder), role: stakeholder}}
schedules:
  - name: follow-the-sun          # three regions, eight hours each, weekly turns
    time_zone: UTC
    layers:
      - name: tokyo
        start: 2026-01-05T00:00:00
        rotation: {{type: weekly, handoff: "00:00", handoff_weekday: 1}}
        users: [akiko, kenji]
        restrictions: [{{type: daily, start: "00:00", duration: 8h}}]
      - name: berlin
        start: 2026-01-05T08:00:00
        rotation: {{type: weekly, handoff: "08:00", handoff_weekday: 1}}
        users: [jonas, lena]
        restrictions: [{{type: daily, start: "08:00", duration: 8h}}]
      - name: los-angeles
        start: 2026-01-05T16:00:00
        rotation: {{type: weekly, handoff: "16:00", handoff_weekday: 1}}
        users: [maria, sam]
        restrictions: [{{type: daily, start: "16:00", duration: 8h}}]
  - name: database                # business hours only: the engine raises OnCallGap
    time_zone: Europe/Berlin
    layers:
      - start: 2026-01-05T09:00:00
        rotation: {{type: daily, handoff: "09:00"}}
        users: [jonas, lena]
        restrictions: [{{type: daily, start: "09:00", duration: 8h}}]
slos:                             # built-in events: the demo posts checkout's requests
  - service: checkout
    name: requests
    objective: 99.9
    description: Checkout requests answered without a server error.
    sli: {{builtin: {{}}}}
# Runbooks (docs/runbooks.md): Markdown files beside this one, linked to alerts by matchers;
# the incident page shows them and pages carry their quick assessment.
runbooks:
  directory: runbooks
  review_every: 90d
# Remediation (docs/remediation.md): an InstanceDown incident restarts the instance (the
# request prints below); failing the database over waits for a person to approve it.
remediation:
  allowed_urls: ["{url}/remediation/"]
  actions:
    - name: restart-instance
      description: Restart the instance that is down
      http:
        method: POST
        url: "{url}/remediation/restart-instance"
        body: >-
          {{"instance": {{{{ labels.instance | tojson }}}}, "incident": {{{{ incident.id }}}}}}
      rate_limit: {{runs: 5, per: 1h}}
      triggers:
        matchers: ['alertname="InstanceDown"']
    - name: failover-database
      description: Fail the primary database over to its replica
      command: ["/bin/echo", "failing over db-primary"]
      dangerous: true
# Drills (docs/drills.md): the sre policy is drilled on the first Tuesday of every month.
drills:
  timeout: 1h
{scenarios}  scheduled:
    - policy: sre
      rrule: "FREQ=MONTHLY;BYDAY=1TU;BYHOUR=10;BYMINUTE=0"
      time_zone: Europe/Berlin
{heartbeats}on_call:
  handoff_summaries: false        # the demo has no SMTP server (set global.smtp_* for them)
  shift_reminders: []
"""


class DemoSink:
    def __init__(self, console: Console) -> None:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                sink.show(self.path.strip("/"), json.loads(body or b"{}"))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.console = console
        #: While demo history is played: take notifications, print nothing.
        self.quiet = False
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def show(self, receiver: str, payload: dict[str, Any]) -> None:
        if self.quiet:
            return
        if receiver.startswith("remediation/"):  # an action Tocsin ran (docs/remediation.md)
            self.console.print(
                f"[bold cyan]remediation[/] {receiver.removeprefix('remediation/')}: {payload}",
                highlight=False,
            )
            return
        if receiver.startswith("page/"):  # a person's page (their webhook contact method)
            self.console.print(
                f"[bold red]page[/] to [bold]{receiver.removeprefix('page/')}[/]: "
                f"{payload.get('subject', '')}",
                highlight=False,
            )
            return
        alerts = payload.get("alerts", [])
        firing = sum(1 for a in alerts if a.get("status") == "firing")
        labels = ", ".join(f"{k}={v}" for k, v in payload.get("groupLabels", {}).items())
        self.console.print(
            f"[bold magenta]notification[/] to [bold]{receiver}[/]: "
            f"{payload.get('status', '?').upper()} {labels or '(all)'} - {firing} firing, "
            f"{len(alerts) - firing} resolved ({payload.get('notification_reason', '')})",
            highlight=False,
        )

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


#: Heartbeats (docs/heartbeats.md), in the configuration once the history is played (it has
#: no cron job and no Watchdog to keep them up).
HEARTBEATS = """\
# Heartbeats (docs/heartbeats.md): a nightly job's pings, and Prometheus' Watchdog alert
# (the demo stream sends it with every batch, as Prometheus would).
heartbeats:
  - name: nightly-backup
    interval: 24h
    grace: 1h
    labels: {service: backup, severity: critical}
  - name: prometheus
    interval: 2m
    watchdog: ['alertname="Watchdog"']
"""


def demo_config(path: Path, sink_url: str, *, scenarios: str, heartbeats: bool) -> Path:
    """Write the demo configuration; ``scenarios`` is the tabletop directory ('' for none)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = CONFIG.format(
        url=sink_url,
        scenarios=f"  scenarios: {scenarios}\n" if scenarios else "",
        heartbeats=HEARTBEATS if heartbeats else "",
    )
    path.write_text(text)
    return path
