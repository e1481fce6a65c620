"""The public status page: ``/status`` (the banner, components by group with their 90-day
uptime bars, what is going on now, a link to subscribe), ``/status/history``, one
incident's page and ``/status/api`` (the JSON API and webhooks, described). No sign-in, and
nothing internal: only the public incidents' own words, never an internal incident's title
or the people working on it. These pages set no cookie (the subscribe form's page does), so
a cache in front may keep them."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Query, Request
from fastapi.responses import Response
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from tocsin.domain.status_page import ComponentStatus
from tocsin.domain.status_uptime import Day, level, period_uptime
from tocsin.errors import NotFound
from tocsin.services.status_page import UPTIME_DAYS, Snapshot, StatusPageService
from tocsin.store.status_incidents import MAINTENANCE, PublicIncident
from tocsin.store.status_page import Component, Group
from tocsin.web.render import page
from tocsin.web.routing import RowId, web_router
from tocsin.web.session import runtime_of, secure_cookies

__all__ = ["FORM_COOKIE", "form_token", "keep_form_token", "router"]

router = web_router()
#: The subscribe form's double-submit CSRF cookie (the form has no session).
FORM_COOKIE = "tocsin_status_form"
PER_PAGE = 20
_WORDS = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
    "scheduled": "Scheduled",
    "in_progress": "In progress",
    "verifying": "Verifying",
    "completed": "Completed",
}


def _service(request: Request) -> StatusPageService:
    return runtime_of(request).status_page


def stamp(at: datetime | None, zone: ZoneInfo) -> Markup:
    """A time as the page's readers see it, with the exact instant for machines."""
    if at is None:
        return Markup("")
    local = at.astimezone(zone)
    text = local.strftime("%b %d, %Y %H:%M ") + (local.tzname() or "")
    return Markup(f'<time datetime="{at.isoformat()}">{escape(text)}</time>')


def percent(value: float | None) -> str:
    if value is None:
        return "no data"
    return f"{value * 100:.2f}%".replace("100.00%", "100%")


@lru_cache(maxsize=512)
def _day_label(day: date) -> str:
    return f"{day:%a %d %b %Y}"


_WORST = {s: s.label.lower() for s in ComponentStatus} | {None: "no data"}


def bars(component: Component, days: Sequence[Day]) -> Markup:
    """The uptime bars as one SVG, scaled to the width it is given (no overflow on a phone);
    each day coloured by its downtime as Statuspage colours it (``status_uptime.level``),
    and saying its date, uptime and worst status in a tooltip and to screen readers. A
    function (not a macro): 50 components of 90 days is 4,500 bars. The tooltips hold only
    dates, figures and status words (nothing to escape)."""
    parts = [
        f'<rect x="{i * 10}" y="0" width="8" height="34" rx="1.5" '
        f'class="day-{"ok" if d.observed > 0 and not (d.major or d.partial) else level(d)}">'
        f"<title>{_day_label(d.day)}: {percent(d.uptime)} uptime, {_WORST[d.worst]}</title></rect>"
        for i, d in enumerate(days)
    ]
    label = f"{component.name}: {percent(period_uptime(days))} uptime over {len(days)} days"
    return Markup(
        f'<svg class="bars" viewBox="0 0 {len(days) * 10 - 2} 34" preserveAspectRatio="none" '
        f'role="img" aria-label="{escape(label)}">{"".join(parts)}</svg>'
    )


@dataclass(frozen=True)
class Row:
    component: Component
    days: Sequence[Day] | None

    @property
    def uptime(self) -> str:
        return percent(period_uptime(self.days)) if self.days else ""


@dataclass(frozen=True)
class Section:
    group: Group | None
    rows: list[Row]

    @property
    def worst(self) -> ComponentStatus:
        return max((r.component.status for r in self.rows), key=lambda s: s.severity)


def sections(snapshot: Snapshot, uptime: dict[int, list[Day]]) -> list[Section]:
    """Components by group in page order, the ungrouped ones last; a component shown only
    when degraded is left out while it is operational."""
    shown = [
        c
        for c in snapshot.components
        if not (c.only_show_if_degraded and c.status is ComponentStatus.OPERATIONAL)
    ]
    by_group: dict[int | None, list[Row]] = {}
    for c in shown:
        by_group.setdefault(c.group_id, []).append(Row(c, uptime.get(c.id)))
    out = [Section(g, by_group.pop(g.id)) for g in snapshot.groups if g.id in by_group]
    rest = [row for rows in by_group.values() for row in rows]
    if rest:
        out.append(Section(None, rest))
    return out


def form_token(request: Request) -> str:
    """The subscribe form's CSRF value: the cookie's when the browser has one."""
    current = request.cookies.get(FORM_COOKIE, "")
    return current if 16 <= len(current) <= 64 else secrets.token_urlsafe(24)


def keep_form_token(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        FORM_COOKIE,
        token,
        max_age=86400,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/status/subscribe",
    )


def context(snapshot: Snapshot) -> dict[str, Any]:
    zone = snapshot.zone
    return {
        "site": snapshot.site,
        "page_zone": zone,
        "stamp": lambda at: stamp(at, zone),
        "words": _WORDS,
        "component_names": {c.id: c.name for c in snapshot.components},
    }


@router.get("/status")
async def status_page(request: Request) -> Response:
    service = _service(request)

    def load() -> tuple[Snapshot, dict[int, list[Day]]]:
        snapshot = service.snapshot()
        return snapshot, service.uptime(snapshot)

    snapshot, uptime = await run_in_threadpool(load)
    return page(
        request,
        "status/index.html",
        None,
        title=snapshot.site.page.name,
        snapshot=snapshot,
        sections=sections(snapshot, uptime),
        bars=bars,
        days=UPTIME_DAYS,
        **context(snapshot),
    )


def by_month(found: Sequence[PublicIncident], zone: ZoneInfo) -> list[tuple[str, list[Any]]]:
    months: list[tuple[str, list[Any]]] = []
    for i in found:
        label = i.created_at.astimezone(zone).strftime("%B %Y")
        if not months or months[-1][0] != label:
            months.append((label, []))
        months[-1][1].append(i)
    return months


@router.get("/status/history")
async def history(
    request: Request, page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1
) -> Response:
    service = _service(request)

    def load() -> tuple[Snapshot, list[PublicIncident]]:
        snapshot = service.snapshot()
        offset = (page_number - 1) * PER_PAGE
        _, found, _ = service.listing(limit=PER_PAGE + 1, offset=offset)
        return snapshot, found

    snapshot, found = await run_in_threadpool(load)
    return page(
        request,
        "status/history.html",
        None,
        title=f"Incident history · {snapshot.site.page.name}",
        months=by_month(found[:PER_PAGE], snapshot.zone),
        page_number=page_number,
        more=len(found) > PER_PAGE,
        maintenance=MAINTENANCE,
        **context(snapshot),
    )


@router.get("/status/incidents/{public_id}")
async def incident_page(request: Request, public_id: RowId) -> Response:
    service = _service(request)
    snapshot = await run_in_threadpool(service.snapshot)
    try:
        _, found = await run_in_threadpool(service.incident, public_id)
    except NotFound:
        return page(
            request,
            "status/missing.html",
            None,
            title=f"Not found · {snapshot.site.page.name}",
            status_code=404,
            **context(snapshot),
        )
    return page(
        request,
        "status/incident.html",
        None,
        title=f"{found.name} · {snapshot.site.page.name}",
        incident=found,
        maintenance=MAINTENANCE,
        **context(snapshot),
    )


@router.get("/status/api")
async def api_page(request: Request) -> Response:
    snapshot = await run_in_threadpool(_service(request).snapshot)
    return page(
        request,
        "status/api.html",
        None,
        title=f"API · {snapshot.site.page.name}",
        **context(snapshot),
    )
