"""A postmortem's first draft: a Markdown template whose ``{placeholders}`` are filled from
the incident's facts, as a pure function of those facts.

The default template follows the classic blameless postmortem (summary, impact, timeline,
root cause, contributing factors, what went well and wrong, action items, lessons
learned). A team's own template (``postmortems.template`` in tocsin.yaml) may use any of
``PLACEHOLDERS``; an unknown one is an error that names it and its line. ``{{name}}``
writes ``{name}`` as it is; other braces are left alone.

Two placeholders fill a block Tocsin can refresh later, between HTML comments
(``<!-- tocsin:timeline -->`` ... ``<!-- /tocsin:timeline -->``): the timeline, when the
selection of entries changes, and the action items, when the postmortem is submitted for
review. Text outside those blocks is never touched."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tocsin.domain.durations import duration_text
from tocsin.domain.incidents import Incident

__all__ = [
    "DEFAULT_TEMPLATE",
    "PLACEHOLDERS",
    "ActionItemFact",
    "AlertFact",
    "DraftFacts",
    "SloFact",
    "TemplateError",
    "TimelineEntry",
    "action_items_text",
    "block",
    "check_template",
    "render",
    "replace_block",
    "span_words",
    "started",
    "timeline_text",
    "unknown_placeholders",
]

DEFAULT_TEMPLATE = """\
# Postmortem: {title}

_This postmortem is blameless. It looks at how our systems and ways of working let this \
happen, and what will make it less likely or less harmful next time. It does not look for \
someone to blame: people acted on what they knew at the time._

- **Incident:** #{incident_id}, {severity}, service {service}
- **Date:** {date}
- **Duration:** {duration}
- **Authors:** {authors}
- **Commander:** {commander}

## Summary

{summary}

## Impact

{impact}

SLO error budget consumed:

{slos}

## Detection and response

| | When | After |
|---|---|---|
| Impact started | {started} | |
| Detected | {detected} | {time_to_detect} |
| Acknowledged | {acknowledged} | {time_to_acknowledge} |
| Mitigated | {mitigated} | {time_to_mitigate} |
| Resolved | {resolved} | {time_to_resolve} |

Alerts:

{alerts}

## Timeline

All times in {time_zone}.

{timeline}

## Root cause

_What in the system made this possible? Keep asking "why" until you reach something we \
can change._

## Contributing factors

_What made it more likely, bigger, longer, or harder to see?_

## What went well

-

## What went wrong

-

## Action items

{action_items}

## Lessons learned

-
"""

_FIELD = re.compile(r"\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
NONE = "—"


class TemplateError(ValueError):
    """A template uses a placeholder Tocsin does not know."""


@dataclass(frozen=True)
class TimelineEntry:
    id: int
    at: datetime
    kind: str
    actor: str
    text: str


@dataclass(frozen=True)
class AlertFact:
    alertname: str
    fingerprint: str
    #: When the alert says the problem began (None: not known any more).
    starts_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class SloFact:
    slo_id: str
    #: e.g. ``13.9 % of the 30d budget (6.0 min), burn rate 100x``
    text: str


@dataclass(frozen=True)
class ActionItemFact:
    title: str
    owner: str
    due_at: datetime | None
    status: str


@dataclass(frozen=True)
class DraftFacts:
    """Everything a draft says, as the service read it."""

    incident: Incident
    zone: ZoneInfo
    timeline: tuple[TimelineEntry, ...] = ()
    #: The entries (ids) the timeline shows; None: all.
    selection: frozenset[int] | None = None
    alerts: tuple[AlertFact, ...] = ()
    slos: tuple[SloFact, ...] = ()
    action_items: tuple[ActionItemFact, ...] = ()
    authors: tuple[str, ...] = ()
    #: user id -> the name people know them by
    names: Mapping[str, str] = field(default_factory=dict)


def span_words(length: timedelta | None) -> str:
    """``1h 05m``, ``3d 4h``, ``4m 10s``, ``12s``; ``—`` for none."""
    return duration_text(length, NONE)


def _at(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if at is not None else NONE


def _since(start: datetime, end: datetime | None) -> str:
    return span_words(end - start) if end is not None else NONE


def started(facts: DraftFacts) -> datetime:
    """When the impact began: the earliest of the opening and the alerts' starts."""
    starts = [a.starts_at for a in facts.alerts if a.starts_at is not None]
    return min([facts.incident.created_at, *starts])


def _name(facts: DraftFacts, user: str) -> str:
    return facts.names.get(user, user)


def _commander(facts: DraftFacts) -> str:
    held = facts.incident.roles.get("commander")
    return _name(facts, str(held)) if held else "_not named_"


def timeline_text(facts: DraftFacts) -> str:
    shown = [e for e in facts.timeline if facts.selection is None or e.id in facts.selection]
    if not shown:
        return "_No timeline entries selected._"
    days = {e.at.astimezone(facts.zone).date() for e in shown}
    stamp = "%H:%M" if len(days) == 1 else "%Y-%m-%d %H:%M"
    return "\n".join(
        f"- **{e.at.astimezone(facts.zone).strftime(stamp)}** {' '.join(e.text.split())}"
        for e in shown
    )


def _alerts(facts: DraftFacts) -> str:
    if not facts.alerts:
        return "_No alerts: the incident was declared by hand._"
    lines = []
    for a in facts.alerts:
        fired = _at(a.starts_at, facts.zone)
        ended = f"resolved {_at(a.resolved_at, facts.zone)}" if a.resolved_at else "still firing"
        lines.append(f"- {a.alertname} (`{a.fingerprint[:12]}`): fired {fired}, {ended}")
    return "\n".join(lines)


def _slos(facts: DraftFacts) -> str:
    if not facts.slos:
        return "_No SLO burned error budget during this incident._"
    return "\n".join(f"- {s.slo_id}: {s.text}" for s in facts.slos)


def action_items_text(facts: DraftFacts) -> str:
    if not facts.action_items:
        return "_None yet._"
    return "\n".join(
        f"- {' '.join(a.title.split())} (owner {_name(facts, a.owner)}, due "
        f"{a.due_at.astimezone(facts.zone).strftime('%Y-%m-%d') if a.due_at else 'not set'}, "
        f"{a.status.replace('_', ' ')})"
        for a in facts.action_items
    )


def block(name: str, content: str) -> str:
    """``content`` between the markers that let Tocsin refresh it later."""
    return f"<!-- tocsin:{name} -->\n{content}\n<!-- /tocsin:{name} -->"


def replace_block(body: str, name: str, content: str) -> str | None:
    """``body`` with its ``name`` block's content replaced; None when it has no such block
    (its author removed the markers)."""
    start, end = f"<!-- tocsin:{name} -->", f"<!-- /tocsin:{name} -->"
    first = body.find(start)
    last = body.find(end, first + len(start)) if first >= 0 else -1
    if first < 0 or last < 0:
        return None
    return body[:first] + block(name, content) + body[last + len(end) :]


def values(facts: DraftFacts) -> dict[str, str]:
    """Each placeholder's text."""
    i, zone = facts.incident, facts.zone
    began = started(facts)
    duration = _since(began, i.resolved_at) if i.resolved_at else "ongoing"
    service = i.service or "not named"
    authors = ", ".join(_name(facts, a) for a in facts.authors) or "_to be named_"
    what = f"{i.severity.value} on {i.service}" if i.service else i.severity.value
    span = (
        f" for {duration} ({_at(began, zone)} to {_at(i.resolved_at, zone)})."
        if i.resolved_at
        else f", ongoing since {_at(began, zone)}."
    )
    impact = (
        what + span + ("\n\n_Who was affected, and how? How many requests, users or customers?_")
    )
    return {
        "title": i.title,
        "incident_id": str(i.id),
        "summary": i.summary.strip() or "_What happened, in two or three sentences._",
        "date": began.astimezone(zone).strftime("%Y-%m-%d"),
        "duration": duration,
        "severity": i.severity.value,
        "service": service,
        "team": i.team or "not named",
        "impact": impact,
        "authors": authors,
        "commander": _commander(facts),
        "time_zone": zone.key,
        "timeline": block("timeline", timeline_text(facts)),
        "started": _at(began, zone),
        "detected": _at(i.created_at, zone),
        "acknowledged": _at(i.acknowledged_at, zone),
        "mitigated": _at(i.mitigated_at, zone),
        "resolved": _at(i.resolved_at, zone),
        "time_to_detect": span_words(i.created_at - began),
        "time_to_acknowledge": _since(i.created_at, i.acknowledged_at),
        "time_to_mitigate": _since(i.created_at, i.mitigated_at),
        "time_to_resolve": _since(i.created_at, i.resolved_at),
        "alerts": _alerts(facts),
        "slos": _slos(facts),
        "action_items": block("action_items", action_items_text(facts)),
    }


#: Every placeholder a template may use.
PLACEHOLDERS = frozenset(
    [
        "title",
        "incident_id",
        "summary",
        "date",
        "duration",
        "severity",
        "service",
        "team",
        "impact",
        "authors",
        "commander",
        "time_zone",
        "timeline",
        "started",
        "detected",
        "acknowledged",
        "mitigated",
        "resolved",
        "time_to_detect",
        "time_to_acknowledge",
        "time_to_mitigate",
        "time_to_resolve",
        "alerts",
        "slos",
        "action_items",
    ]
)


def unknown_placeholders(template: str) -> list[tuple[str, int]]:
    """The placeholders ``template`` uses that Tocsin does not know, with their lines."""
    found = []
    for match in _FIELD.finditer(template):
        name = match.group(2)
        if name is not None and name not in PLACEHOLDERS:
            found.append((name, template.count("\n", 0, match.start()) + 1))
    return found


def check_template(template: str) -> None:
    """TemplateError naming the first unknown placeholder and its line."""
    unknown = unknown_placeholders(template)
    if unknown:
        name, line = unknown[0]
        raise TemplateError(
            f"line {line}: unknown placeholder {{{name}}}; "
            f"known ones: {', '.join(sorted(PLACEHOLDERS))}"
        )


def render(template: str, facts: DraftFacts) -> str:
    """The template with every placeholder filled; TemplateError for an unknown one."""
    check_template(template)
    filled = values(facts)

    def one(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return "{" + match.group(1) + "}"
        return filled[match.group(2)]

    return _FIELD.sub(one, template)
