"""SLO reports: every SLO and where it stands (``/slos``), and one SLO's page (``/slos/{id}``)
with its budget, the burn rate in each alert window and a burn-down chart (``slo_chart``).

An SLO that cannot be read now (Prometheus does not answer, or is not configured) says why
instead of its figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Depends, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tocsin.domain.slo_specs import BuiltinSli, EventsSli, LatencySli, RawSli, SloSpec
from tocsin.errors import Unavailable
from tocsin.integrations.prometheus_slo_rules import prometheus_duration
from tocsin.services.slos import SloService, SloStatus
from tocsin.web.oncall_calendar import stamp
from tocsin.web.render import duration, page
from tocsin.web.routing import web_router
from tocsin.web.session import Viewer, runtime_of, viewing
from tocsin.web.slo_chart import Chart, burn_down_chart

__all__ = ["Report", "Standing", "router"]

router = web_router()

SloId = Annotated[str, Path(max_length=210)]

#: The chart's box in SVG units (it scales to the page's width).
CHART_WIDTH = 720.0
CHART_HEIGHT = 280.0

SLI_KINDS = {
    BuiltinSli: "built-in events",
    EventsSli: "Prometheus events",
    LatencySli: "Prometheus latency histogram",
    RawSli: "Prometheus error ratio",
}


def percent(ratio: float | None, digits: int = 1) -> str:
    """``99.909 %``; ``no events`` when there is no ratio."""
    return "no events" if ratio is None else f"{ratio * 100:.{digits}f} %"


def minutes(span: timedelta) -> str:
    """``43.2 min`` (negative when overspent)."""
    return f"{span / timedelta(minutes=1):.1f} min"


def rate(value: float | None) -> str:
    """A burn rate: ``14.40×``; ``no events`` when nothing happened in the window."""
    return "no events" if value is None else f"{value:.2f}×"


def count(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


@dataclass(frozen=True)
class Standing:
    """One SLO as the pages show it: its status, or why it cannot be read."""

    spec: SloSpec
    status: SloStatus | None = None
    unavailable: str = ""

    @property
    def href(self) -> str:
        return "/slos/" + quote(self.spec.id, safe="")

    @property
    def objective(self) -> str:
        return f"{self.spec.target:g} %"

    @property
    def sli_kind(self) -> str:
        return SLI_KINDS[type(self.spec.sli)]

    @property
    def state(self) -> str:
        """A word: exhausted (0 % or less left), burning (an alert fires, or the last hour
        burned faster than an even burn), healthy, or unavailable."""
        s = self.status
        if s is None:
            return "unavailable"
        if s.budget_remaining <= 0:
            return "exhausted"
        if s.firing or (s.burn_rate is not None and s.burn_rate > 1):
            return "burning"
        return "healthy"

    @property
    def firing(self) -> str:
        s = self.status
        return ", ".join(sorted(f.value for f in s.firing)) if s and s.firing else "none"

    @property
    def runs_out(self) -> str:
        """When the budget left runs out at the last hour's burn rate."""
        s = self.status
        if s is None:
            return ""
        if s.budget_remaining <= 0:
            return "already spent"
        if s.exhausted_in is None:
            return "not at the last hour's rate"
        return f"in {duration(s.exhausted_in)} at the last hour's rate"


@dataclass(frozen=True)
class Report:
    """One SLO's page: its standing, and its burn-down when it could be read."""

    standing: Standing
    chart: Chart | None
    #: The chart's description, for screen readers.
    summary: str


def standing(slos: SloService, spec: SloSpec) -> Standing:
    try:
        return Standing(spec, slos.status(spec.id))
    except Unavailable as exc:
        return Standing(spec, unavailable=str(exc))


def standings(slos: SloService) -> list[Standing]:
    return [standing(slos, spec) for spec in slos.specs()]


def report(slos: SloService, slo_id: str, zone: ZoneInfo) -> Report:
    """NotFound for an unknown SLO; a Report without a chart for an unreadable one."""
    found = standing(slos, slos.spec(slo_id))
    if found.status is None:
        return Report(found, None, "")
    try:
        burn = slos.burn_down(slo_id)
    except Unavailable as exc:
        return Report(Standing(found.spec, unavailable=str(exc)), None, "")
    left = burn.points[-1][1] if burn.points else 1.0
    summary = (
        f"The error budget left, from 100 % at the period's start ({stamp(burn.start, zone)}) "
        f"to {percent(left)} now. The dashed line is an even burn, reaching 0 % at the "
        f"period's end ({stamp(burn.end, zone)})."
    )
    return Report(found, burn_down_chart(burn, zone, CHART_WIDTH, CHART_HEIGHT), summary)


#: The formatters the templates use.
FORMATS: dict[str, Any] = {
    "percent": percent,
    "minutes": minutes,
    "rate": rate,
    "count": count,
    "span": prometheus_duration,
}


@router.get("/slos")
async def slo_list(request: Request, viewer: Annotated[Viewer, Depends(viewing)]) -> Response:
    listed = await run_in_threadpool(standings, runtime_of(request).slos)
    return page(request, "slos/list.html", viewer, title="SLOs", standings=listed, **FORMATS)


@router.get("/slos/{slo_id}")
async def slo_page(
    request: Request, slo_id: SloId, viewer: Annotated[Viewer, Depends(viewing)]
) -> Response:
    found = await run_in_threadpool(report, runtime_of(request).slos, slo_id, viewer.zone)
    spec = found.standing.spec
    return page(
        request,
        "slos/page.html",
        viewer,
        title=f"{spec.service} {spec.name}",
        status_code=503 if found.standing.unavailable else 200,
        report=found,
        s=found.standing,
        stamp=lambda at: stamp(at, viewer.zone),
        **FORMATS,
    )
