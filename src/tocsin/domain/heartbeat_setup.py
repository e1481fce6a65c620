"""How to point a job or an Alertmanager at a heartbeat: ready-to-paste text for admins
(the CLI and the web page show the same)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tocsin.domain.heartbeats import Heartbeat

__all__ = ["HeartbeatSetup", "cron_schedule", "setup"]

_CURL = "curl -fsS -m 10 --retry 3 -o /dev/null"


def cron_schedule(interval: timedelta) -> str | None:
    """A crontab schedule that runs every ``interval``, when there is a plain one."""
    seconds = int(interval.total_seconds())
    if seconds <= 0 or seconds % 60:
        return None
    minutes = seconds // 60
    if minutes < 60 and 60 % minutes == 0:
        return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
    if minutes % 60:
        return None
    hours = minutes // 60
    if hours < 24 and 24 % hours == 0:
        return "0 * * * *" if hours == 1 else f"0 */{hours} * * *"
    return {24: "0 0 * * *", 24 * 7: "0 0 * * 0"}.get(hours)


@dataclass(frozen=True)
class HeartbeatSetup:
    ping_url: str
    fail_url: str
    webhook_url: str
    #: curl for a shell (the token in a header, out of access logs).
    curl: str
    crontab: str
    alertmanager: str


def setup(spec: Heartbeat, base_url: str, token: str = "<token>") -> HeartbeatSetup:
    base = f"{base_url.rstrip('/')}/api/heartbeats/{spec.name}"
    header = f"-H 'Authorization: Bearer {token}'"
    ping = f"{_CURL} {header} {base}/ping"
    schedule = cron_schedule(spec.interval) or "<schedule>"
    crontab = f"{schedule} /path/to/job && {ping} || {_CURL} {header} {base}/ping/fail"
    receiver = f"tocsin-heartbeat-{spec.name}"
    alertmanager = f"""\
route:
  routes:
    # First, so that nothing before it takes the Watchdog.
    - matchers: ['alertname="Watchdog"']
      receiver: {receiver}
      group_wait: 0s
      group_interval: 1m
      repeat_interval: 1m  # well under the heartbeat's interval
receivers:
  - name: {receiver}
    webhook_configs:
      - url: {base}/alertmanager
        send_resolved: false
        http_config:
          authorization:
            credentials: {token}
"""
    return HeartbeatSetup(
        ping_url=f"{base}/ping",
        fail_url=f"{base}/ping/fail",
        webhook_url=f"{base}/alertmanager",
        curl=ping,
        crontab=crontab,
        alertmanager=alertmanager,
    )
