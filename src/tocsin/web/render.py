"""Rendering pages: one Jinja2 environment, the filters templates use, security headers."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from tocsin.domain.durations import duration_text as duration
from tocsin.web.session import Viewer

__all__ = ["HEADERS", "ago", "duration", "label_list", "moment_of", "page", "when"]

HERE = Path(__file__).parent
UTC = ZoneInfo("UTC")

#: Every page: no inline script or style, no framing, no sniffing.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def ago(at: datetime | None, now: datetime) -> str:
    if at is None:
        return ""
    if at > now:
        return "in " + duration(at - now)
    return duration(now - at) + " ago"


def when(at: datetime | None, zone: ZoneInfo = UTC, now: datetime | None = None) -> str:
    """A time as people read it in ``zone``: ``14:03`` today, else ``Mon 30 Nov 14:03``."""
    if at is None:
        return ""
    local = at.astimezone(zone)
    if now is not None and now.astimezone(zone).date() == local.date():
        return local.strftime("%H:%M")
    return local.strftime("%a %d %b %H:%M")


def label_list(labels: Mapping[str, str], skip: Collection[str] = ()) -> Markup:
    """An alert's labels as a list of ``name="value"`` (a function, not a macro: pages list
    hundreds of alerts, and this is the hot spot of rendering them)."""
    items = "".join(
        f'<li>{escape(k)}="{escape(v)}"</li>' for k, v in sorted(labels.items()) if k not in skip
    )
    return Markup(f'<ul class="labels" aria-label="Labels">{items}</ul>')


def moment_of(zone: ZoneInfo, now: datetime) -> Callable[[datetime | None], Markup]:
    """``moment(at)`` for templates: the time in the viewer's zone, with the ISO time in a
    tooltip and how long ago it was."""

    def moment(at: datetime | None) -> Markup:
        if at is None:
            return Markup("")
        stamp = at.isoformat()
        return Markup(
            f'<time datetime="{stamp}" title="{stamp}">{escape(when(at, zone, now))}</time> '
            f'<span class="muted">({escape(ago(at, now))})</span>'
        )

    return moment


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["duration"] = duration
    env.globals["label_list"] = label_list
    return env


ENV = _environment()


def page(
    request: Request,
    template: str,
    viewer: Viewer | None,
    *,
    title: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """``template`` rendered for ``viewer``, with what every page needs: the time now, the
    viewer's time zone, the CSRF secret for forms, the section for the navigation."""
    runtime = request.app.state.runtime
    now = runtime.clock.now()
    zone = viewer.zone if viewer is not None else UTC

    def local(at: datetime | None) -> str:
        return when(at, zone, now)

    body = ENV.get_template(template).render(
        request=request,
        viewer=viewer,
        title=title,
        now=now,
        zone=zone,
        when=local,
        ago=lambda at: ago(at, now),
        moment=moment_of(zone, now),
        csrf=viewer.csrf if viewer is not None else "",
        path=request.url.path,
        # Where live regions refresh from: this page, when it was fetched with GET.
        live_url=str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
        if request.method == "GET"
        else "",
        **context,
    )
    return HTMLResponse(body, status_code=status_code, headers=HEADERS)
