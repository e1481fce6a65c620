"""``tocsin slo status SLO``: one SLO in the terminal, with its alert windows and the
burn-down over its period as a line of block characters."""

from __future__ import annotations

from datetime import timedelta

from rich.table import Table

from tocsin.cli.context import console
from tocsin.integrations.prometheus_slo_rules import prometheus_duration
from tocsin.services.slos import BurnDown, SloStatus

__all__ = ["print_report", "span_words", "sparkline"]

_BLOCKS = "▁▂▃▄▅▆▇█"


def span_words(span: timedelta | None) -> str:
    if span is None:
        return "-"
    minutes = span / timedelta(minutes=1)
    return f"{minutes:,.1f} min" if abs(minutes) < 600 else f"{minutes / 60:,.1f} h"


def sparkline(values: list[float]) -> str:
    """Budget left as blocks: a full block is 100 %, the lowest the least of 0 and the
    lowest value (an overspent budget reaches below the 0 % a low block stands for)."""
    if not values:
        return ""
    low = min(0.0, *values)
    span = 1.0 - low or 1.0
    top = len(_BLOCKS) - 1
    return "".join(_BLOCKS[max(0, min(top, round((v - low) / span * top)))] for v in values)


def print_report(s: SloStatus, down: BurnDown) -> None:
    spec = s.spec
    console.print(f"[bold]{spec.id}[/]: {spec.target:g} % over {spec.window.label()}")
    if spec.description:
        console.print(spec.description, highlight=False)
    console.print(f"period: {s.start:%Y-%m-%d %H:%M} to {s.end:%Y-%m-%d %H:%M} UTC")
    sli = "-" if s.sli is None else f"{s.sli * 100:.3f} %"
    console.print(f"SLI: {sli} ({s.counts.good:,.0f} good of {s.counts.total:,.0f})")
    console.print(
        f"budget left: {s.budget_remaining * 100:.1f} % "
        f"({span_words(s.budget_remaining_time)} of {span_words(s.objective.budget_time)})"
    )
    rate = "-" if s.burn_rate is None else f"{s.burn_rate:.2f}x"
    console.print(f"burn rate (1h): {rate}; runs out in {span_words(s.exhausted_in)}")
    table = Table("alert", "long", "short", "factor", "burn long", "burn short", "fires")
    for w in s.windows:
        table.add_row(
            w.window.severity.value,
            prometheus_duration(w.window.long),
            prometheus_duration(w.window.short),
            f"{w.window.factor:.2f}",
            "-" if w.long is None else f"{w.long:.2f}x",
            "-" if w.short is None else f"{w.short:.2f}x",
            "yes" if w.fires else "no",
        )
    console.print(table)
    values = [left for _, left in down.points]
    console.print(
        f"burn-down since {down.start:%Y-%m-%d}: {sparkline(values)} {values[-1] * 100:.1f} %"
    )
