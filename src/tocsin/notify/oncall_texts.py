"""The words of on-call messages: handoff summaries, shift reminders, swaps. Plain text,
times in the reader's time zone (else the schedule's) with UTC beside them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tocsin.domain.alerts import Alert
from tocsin.domain.schedules import Override
from tocsin.domain.silences import Silence

__all__ = [
    "HandoffFacts",
    "handoff_summary",
    "shift_reminder",
    "swap_offered",
    "swap_taken",
    "when",
]

_LISTED = 10


def when(t: datetime, zone: ZoneInfo) -> str:
    local = t.astimezone(zone)
    return f"{local:%a %Y-%m-%d %H:%M} {local.tzname()} ({t.astimezone(UTC):%H:%M} UTC)"


def _span(d: timedelta) -> str:
    """1 day, 36 hours, 90 minutes: the largest unit that says it exactly (or roughly)."""

    def plural(n: float, unit: str) -> str:
        n = round(n, 1)
        text = f"{n:g}"
        return f"{text} {unit}" if n == 1 else f"{text} {unit}s"

    hours = d / timedelta(hours=1)
    if hours >= 24 and hours % 24 == 0 or hours >= 72:
        return plural(hours / 24, "day")
    if hours >= 1:
        return plural(hours, "hour")
    return plural(d / timedelta(minutes=1), "minute")


def _alert_line(alert: Alert, zone: ZoneInfo) -> str:
    name = alert.labels.get("alertname", "(no alertname)")
    rest = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()) if k != "alertname")
    return f"  - {name} {{{rest}}} since {when(alert.starts_at, zone)}"


@dataclass(frozen=True)
class HandoffFacts:
    schedule: str
    at: datetime
    outgoing: str | None
    incoming: str | None
    #: When the outgoing person's shift began (None: nobody was on call).
    outgoing_since: datetime | None
    #: When the incoming person's shift ends (None: beyond the horizon looked at).
    incoming_until: datetime | None
    open_alerts: Sequence[Alert]
    #: Alerts that started during the outgoing shift.
    fired: Sequence[Alert]
    silences: Sequence[Silence]
    upcoming_overrides: Sequence[Override]
    external_url: str


def handoff_summary(facts: HandoffFacts, reader: str, zone: ZoneInfo) -> tuple[str, str]:
    incoming = reader == facts.incoming
    who_in = facts.incoming or "nobody (a gap in coverage)"
    who_out = facts.outgoing or "nobody"
    if incoming:
        subject = f"[Tocsin] You are on call for {facts.schedule} from {when(facts.at, zone)}"
    else:
        subject = f"[Tocsin] Your {facts.schedule} on-call shift ended; {who_in} took over"
    lines = [
        f"Handoff for schedule {facts.schedule} at {when(facts.at, zone)}: {who_out} -> {who_in}.",
    ]
    if incoming and facts.incoming_until is not None:
        lines.append(f"Your shift runs until {when(facts.incoming_until, zone)}.")
    lines += ["", f"Open alerts now: {len(facts.open_alerts)}"]
    lines += [_alert_line(a, zone) for a in facts.open_alerts[:_LISTED]]
    if len(facts.open_alerts) > _LISTED:
        lines.append(f"  ... and {len(facts.open_alerts) - _LISTED} more")
    if facts.outgoing_since is not None:
        lines += [
            "",
            f"During the outgoing shift ({_span(facts.at - facts.outgoing_since)} from "
            f"{when(facts.outgoing_since, zone)}): {len(facts.fired)} alerts fired.",
        ]
        noisiest = Counter(a.labels.get("alertname", "(no alertname)") for a in facts.fired)
        if noisiest:
            lines.append("Noisiest:")
            lines += [f"  - {name}: {n}" for name, n in noisiest.most_common(5)]
    lines += ["", f"Active silences: {len(facts.silences)}"]
    for s in facts.silences[:_LISTED]:
        matchers = ", ".join(str(m) for m in s.matchers)
        lines.append(
            f"  - {{{matchers}}} until {when(s.ends_at, zone)} by {s.created_by}: {s.comment}"
        )
    lines += ["", f"Overrides in the next 7 days: {len(facts.upcoming_overrides)}"]
    lines += [
        f"  - {o.user}: {when(o.start, zone)} to {when(o.end, zone)}"
        for o in facts.upcoming_overrides[:_LISTED]
    ]
    lines += ["", "Incidents: paging and incidents are not enabled yet.", "", facts.external_url]
    return subject, "\n".join(lines) + "\n"


def shift_reminder(
    schedule: str, start: datetime, end: datetime | None, zone: ZoneInfo, before: timedelta
) -> tuple[str, str]:
    subject = f"[Tocsin] Your {schedule} on-call shift starts in {_span(before)}"
    until = f" until {when(end, zone)}" if end is not None else ""
    body = f"You are on call for {schedule} from {when(start, zone)}{until}.\n"
    return subject, body


def swap_offered(
    schedule: str, by: str, start: datetime, end: datetime, zone: ZoneInfo, swap_id: str, note: str
) -> tuple[str, str]:
    subject = f"[Tocsin] {by} offers you part of their {schedule} on-call shift"
    body = (
        f"{by} offers their {schedule} shift from {when(start, zone)} to {when(end, zone)}."
        + (f"\nNote: {note}" if note else "")
        + f"\n\nTake it with: tocsin schedule swap take {swap_id} --user YOU\n"
    )
    return subject, body


def swap_taken(
    schedule: str, by: str, taker: str, start: datetime, end: datetime, zone: ZoneInfo
) -> tuple[str, str]:
    subject = f"[Tocsin] {taker} takes {by}'s {schedule} shift, {when(start, zone)}"
    body = (
        f"{taker} is now on call for {schedule} from {when(start, zone)} to {when(end, zone)}"
        f" instead of {by} (an override).\n"
    )
    return subject, body
