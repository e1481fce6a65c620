"""The standard runbook template: the sections a new runbook starts with."""

from __future__ import annotations

__all__ = ["STANDARD_TEMPLATE", "body_from"]

#: What a new runbook starts from: the sections a responder needs, in the order they need
#: them. ``{title}`` is replaced by the runbook's title.
STANDARD_TEMPLATE = """\
# {title}

## Overview

What this alert means, what the service does and who is hurt when it fails.

## Quick assessment

Under two minutes: is it real, how bad is it, who is affected?

- Open the dashboard: ...
- Check the error rate and latency against their usual values: ...
- Did anything change just now (a deploy, a config change, a dependency)?

## Mitigation

Mitigate first, diagnose later: stop the harm, then find out why.

- Roll back the last deploy: ...
- Fail over / scale up / shed load: ...

## Diagnosis

Where to look once users are safe: logs, traces, queries, likely causes.

## Escalation

Who to call when the steps above do not help, and how: team, channel, vendor support.

## Previous incidents

Tocsin lists the incidents that used this runbook here.
"""


def body_from(template: str | None, title: str) -> str:
    """A new runbook's Markdown: ``template`` (else the standard one) with its title."""
    return (template or STANDARD_TEMPLATE).replace("{title}", title)
