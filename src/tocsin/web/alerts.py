"""Pages: the alert list (filtered by matchers, grouped by labels) and one alert's page.

The list answers "what is firing, and why am I (not) being paged for it": each alert says in
words whether it fires, is silenced (by which silence), inhibited (by which alert), flapping
or resolved, and where it goes. Silences have their own pages (``web/silences.py``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import Response

from tocsin.domain.alerts import Alert, AlertStatus
from tocsin.domain.matchers import Matcher, parse_matchers, quote_value
from tocsin.errors import NotFound
from tocsin.services.alert_views import AlertView
from tocsin.services.runtime import Runtime
from tocsin.web import silences
from tocsin.web.links import web_address
from tocsin.web.render import page
from tocsin.web.routing import web_router
from tocsin.web.session import Viewer, runtime_of, viewing

__all__ = ["router"]

router = web_router()
router.include_router(silences.router)

#: How far back "recently resolved" reaches.
RESOLVED_WITHIN = timedelta(hours=24)
#: Annotations shown as prose, first, in this order.
PROSE = ("summary", "description", "message")
#: What an alert event did, in words (see domain.alerts.Outcome).
OUTCOMES = {
    "created": "Started firing",
    "reopened": "Fired again",
    "updated": "Labels or annotations changed",
    "acknowledged": "Acknowledged",
    "resolved": "Resolved",
    "ignored": "Ignored (nothing open, or an out-of-date re-send)",
    "unchanged": "Sent again, nothing changed",
}


@dataclass(frozen=True)
class Row:
    """One alert as the list shows it."""

    alert: Alert
    #: firing, acknowledged, silenced, inhibited or resolved: the word the badge shows.
    state: str
    silenced_by: tuple[str, ...]
    #: (fingerprint, alertname) of the alert that inhibits this one.
    inhibited_by: tuple[tuple[str, str], ...]
    flapping: bool
    receivers: tuple[str, ...]
    #: When it started firing, or when it stopped.
    since: datetime | None

    @property
    def name(self) -> str:
        return self.alert.labels.get("alertname", "") or "(no alertname)"


@dataclass(frozen=True)
class Group:
    labels: tuple[tuple[str, str], ...]
    rows: list[Row]

    @property
    def silence_href(self) -> str:
        """The new-silence form for every alert of the group ("" when the group has no label
        values to match on)."""
        matchers = [f"{k}={quote_value(v)}" for k, v in self.labels if v]
        return silence_href(matchers) if matchers else ""


def silence_href(matchers: Sequence[str]) -> str:
    return "/silences/new" + (
        "?" + urlencode([("matcher", m) for m in matchers]) if matchers else ""
    )


def _state(view: AlertView) -> str:
    if view.silenced_by:
        return "silenced"
    if view.inhibited_by:
        return "inhibited"
    if view.alert.status is AlertStatus.ACKNOWLEDGED:
        return "acknowledged"
    return "firing"


def open_rows(views: Sequence[AlertView], names: Mapping[str, str]) -> list[Row]:
    """``names``: alertname by fingerprint, for naming the alerts that inhibit others."""
    return [
        Row(
            v.alert,
            _state(v),
            v.silenced_by,
            tuple((fp, names.get(fp, "") or fp) for fp in v.inhibited_by),
            v.flapping,
            v.receivers,
            v.alert.starts_at,
        )
        for v in views
    ]


def resolved_rows(alerts: Sequence[Alert]) -> list[Row]:
    return [Row(a, "resolved", (), (), False, (), a.resolved_at or a.ends_at) for a in alerts]


def group_rows(rows: Sequence[Row], by: Sequence[str]) -> list[Group]:
    """Alerts grouped by the values of the ``by`` labels (an alert without one groups under
    the empty value), groups in label order, newest alert first in each."""
    groups: dict[tuple[tuple[str, str], ...], list[Row]] = {}
    for row in rows:
        key = tuple((name, row.alert.labels.get(name, "")) for name in by)
        groups.setdefault(key, []).append(row)
    return [
        Group(key, sorted(found, key=lambda r: r.since or r.alert.starts_at, reverse=True))
        for key, found in sorted(groups.items())
    ]


def group_names(text: str) -> list[str]:
    return list(dict.fromkeys(n for n in text.replace(",", " ").split() if n))


@dataclass(frozen=True)
class Listing:
    open: list[Group]
    open_count: int
    hidden: int
    resolved: list[Group]
    resolved_count: int


def listing(
    runtime: Runtime,
    matchers: Sequence[Matcher],
    by: Sequence[str],
    *,
    suppressed: bool,
    resolved: bool,
) -> Listing:
    everyone = runtime.views.open()
    wanted = runtime.views.open(matchers) if matchers else everyone
    shown = [v for v in wanted if suppressed or not v.suppressed]
    rows = open_rows(
        shown, {v.alert.fingerprint: v.alert.labels.get("alertname", "") for v in everyone}
    )
    ended = (
        resolved_rows(runtime.alerts.recently_resolved(RESOLVED_WITHIN, matchers))
        if resolved
        else []
    )
    return Listing(
        group_rows(rows, by),
        len(rows),
        len(wanted) - len(shown),
        group_rows(ended, by),
        len(ended),
    )


@router.get("/alerts")
def alerts_page(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewing)],
    filter: str = "",
    group_by: str = "alertname",
    suppressed: bool = False,
    resolved: bool = False,
) -> Response:
    runtime = runtime_of(request)
    problem = ""
    matchers: list[Matcher] = []
    try:
        matchers = parse_matchers(filter)
    except ValueError as exc:
        problem = str(exc)
    by = group_names(group_by)
    found = (
        None
        if problem
        else listing(runtime, matchers, by, suppressed=suppressed, resolved=resolved)
    )
    toggles = {"filter": filter, "group_by": group_by, "resolved": "1" if resolved else ""}
    return page(
        request,
        "alerts/list.html",
        viewer,
        title="Alerts",
        filter=filter,
        group_by=group_by,
        by=by,
        suppressed=suppressed,
        resolved=resolved,
        problem=problem,
        found=found,
        show_suppressed_href="/alerts?"
        + urlencode({k: v for k, v in {**toggles, "suppressed": "1"}.items() if v}),
        status_code=400 if problem else 200,
    )


# -- one alert -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Annotation:
    name: str
    text: str
    #: Set when the value is a web address worth following (http or https only).
    href: str | None


def annotation_list(values: dict[str, str]) -> list[Annotation]:
    """Prose first (summary, description), then the rest by name; addresses (runbook_url,
    dashboard, ...) become links."""
    order = {name: i for i, name in enumerate(PROSE)}
    names = sorted(values, key=lambda n: (order.get(n, len(PROSE)), n))
    return [Annotation(n, values[n], None if n in order else web_address(values[n])) for n in names]


@router.get("/alerts/{fingerprint}")
def alert_page(
    request: Request, viewer: Annotated[Viewer, Depends(viewing)], fingerprint: str
) -> Response:
    runtime = runtime_of(request)
    head = runtime.alerts.head(fingerprint)
    if head is None:
        raise NotFound(f"no alert with fingerprint {fingerprint}")
    alert, status = head
    row = resolved_rows([alert])[0]
    if status is not AlertStatus.RESOLVED:
        mine = runtime.views.open(fingerprint=fingerprint)
        if mine:
            names = {}
            for source in mine[0].inhibited_by:
                found = runtime.alerts.head(source)
                names[source] = found[0].labels.get("alertname", "") if found else ""
            row = open_rows(mine, names)[0]
    name = alert.labels.get("alertname", "") or "(no alertname)"
    return page(
        request,
        "alerts/detail.html",
        viewer,
        title=f"Alert {name}",
        name=name,
        row=row,
        alert=alert,
        annotations=annotation_list(dict(alert.annotations)),
        source=web_address(alert.generator_url),
        history=runtime.alerts.history(fingerprint, limit=100),
        outcomes=OUTCOMES,
        incidents=runtime.alerts.incidents_of(fingerprint),
        silence=silence_href([]) + "?" + urlencode({"alert": fingerprint}),
    )
