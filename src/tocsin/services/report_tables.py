"""The reports as tables: one header and one row per group, the same columns for the CSV
downloads (API and web), ``tocsin report --csv`` and the terminal. Durations are seconds;
a group without a service or team has an empty key."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from tocsin.domain.alert_review import AlertReview
from tocsin.domain.incident_metrics import Distribution, IncidentMetrics, Measure

__all__ = ["Table", "alert_table", "incident_table", "rows_text", "seconds_text", "to_csv"]

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def seconds_text(value: float | None) -> str:
    """Seconds to the millisecond, without trailing zeros; empty for none."""
    if value is None:
        return ""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _dist(d: Distribution) -> tuple[Cell, ...]:
    return (d.count, d.mean, d.p50, d.p90)


def incident_table(m: IncidentMetrics) -> Table:
    header = [m.by.value, "incidents"]
    for measure in Measure:
        name = measure.value
        header += [
            f"{name}_count",
            f"{name}_mean_seconds",
            f"{name}_p50_seconds",
            f"{name}_p90_seconds",
        ]
    rows = []
    for g in m.groups:
        row: list[Cell] = [g.key, g.incidents]
        for measure in Measure:
            row += _dist(g.measures[measure])
        rows.append(tuple(row))
    return Table(tuple(header), tuple(rows))


ALERT_HEADER = (
    "alertname",
    "service",
    "fired",
    "incidents",
    "paged",
    "acknowledged",
    "actioned",
    "auto_resolved",
    "median_auto_resolve_seconds",
    "flapping",
    "never_actioned",
)


def alert_table(r: AlertReview) -> Table:
    never = {(row.alertname, row.service) for row in r.never_actioned}
    return Table(
        ALERT_HEADER,
        tuple(
            (
                row.alertname,
                row.service,
                row.fired,
                row.incidents,
                row.paged,
                row.acknowledged,
                row.actioned,
                row.auto_resolved,
                row.median_auto_resolve,
                row.flapping,
                "yes" if (row.alertname, row.service) in never else "no",
            )
            for row in r.rows
        ),
    )


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return seconds_text(value)
    return str(value)


def _safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (alert names come from senders)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.header)
    for row in table.rows:
        writer.writerow([_safe(_cell(v)) if isinstance(v, str) else _cell(v) for v in row])
    return out.getvalue()


def rows_text(table: Table) -> Sequence[Sequence[str]]:
    """Every row's cells as text (for a terminal table)."""
    return [[_cell(v) for v in row] for row in table.rows]
