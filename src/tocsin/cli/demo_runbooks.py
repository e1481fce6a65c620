"""The demo's runbooks, tabletop scenario and heartbeat: files beside the demo configuration,
linked to the demo stream's alerts, so the incident page shows runbooks, pages carry their
quick assessment, and the drills page has a scenario to walk through."""

from __future__ import annotations

import shutil
from pathlib import Path

from tocsin.services.runtime import Runtime

__all__ = ["BACKUP_HEARTBEAT", "ping_backup", "write_demo_files"]

#: A heartbeat the demo pings once as it starts (a nightly job that ran); the other one,
#: ``prometheus``, is kept up by the stream's Watchdog alert.
BACKUP_HEARTBEAT = "nightly-backup"

#: The repository's examples (present when the demo runs from a checkout: ``make demo``).
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

RUNBOOKS = {
    "high-error-rate": """\
---
title: A service answers with server errors
alerts: [HighErrorRate]
owner: sre
last_reviewed: {reviewed}
---
# A service answers with server errors

## Overview

More than 5 % of a service's requests fail with a 5xx for five minutes. Customers see
errors at checkout, search or sign-in, depending on the `service` label.

## Quick assessment

- Which service, and every instance or one? The alert's `service` and `instance` labels.
- A deploy in the last hour? `kubectl -n <service> rollout history deploy/<service>`
- Is a dependency failing too? Look for other firing alerts on the board.

## Mitigation

- A deploy just before: roll it back (`kubectl rollout undo`).
- One instance: take it out of the load balancer.
- A dependency: turn on its fallback flag and tell its owners.

## Diagnosis

- Error logs of the service, grouped by route and status.
- Traces of failed requests.

## Escalation

- The service's own team; payments and checkout page the sre policy.

## Previous incidents
""",
    "instance-down": """\
---
title: An instance is down
alerts: [InstanceDown]
owner: sre
last_reviewed: {stale}
---
# An instance is down

## Overview

Prometheus cannot scrape the instance for a minute: the process, its host or the network
between them is gone.

## Quick assessment

- Is the host up? `ping <instance>`; is the process? `systemctl status <service>`
- One instance or several? Several at once point to the network or a shared dependency.

## Mitigation

- Tocsin runs `restart-instance` for you when the alert opens an incident (see the
  incident's timeline); restart by hand if it did not help.

## Diagnosis

- The host's journal around the time the alert started.

## Escalation

- The platform team owns hosts and the network.

## Previous incidents
""",
}


def write_demo_files(directory: Path, today: str, long_ago: str) -> dict[str, str]:
    """Write the runbooks (one reviewed ``today``, one stale since ``long_ago``) and copy the
    tabletop scenarios; returns the demo configuration's paths for them ('' when absent)."""
    books = directory / "runbooks"
    books.mkdir(parents=True, exist_ok=True)
    for slug, text in RUNBOOKS.items():
        (books / f"{slug}.md").write_text(text.format(reviewed=today, stale=long_ago))
    scenarios = ""
    if (EXAMPLES / "tabletop").is_dir():
        shutil.copytree(EXAMPLES / "tabletop", directory / "tabletop", dirs_exist_ok=True)
        scenarios = "tabletop"
    return {"runbooks": "runbooks", "scenarios": scenarios}


def ping_backup(runtime: Runtime) -> None:
    """The nightly backup reported in: its heartbeat shows up, not waiting."""
    runtime.heartbeats.ping(BACKUP_HEARTBEAT, runtime.heartbeats.token(BACKUP_HEARTBEAT))
