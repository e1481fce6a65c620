"""``slos:`` in tocsin.yaml: service level objectives as code. Each entry is a Sloth SLO
(https://sloth.dev/specs/v1/) with its service, a window and two SLI kinds Sloth lacks::

    slos:
      - service: checkout
        name: requests-availability
        objective: 99.9              # percent, above 0 and below 100
        window: 30d                  # 7d, 28d, 30d (rolling) or month (the calendar month)
        description: Checkout answers without server errors.
        labels: {team: payments}
        sli:
          events:                    # a ratio of Prometheus queries ({{.window}}: the rate window)
            error_query: sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))
            total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
          # latency: {metric: http_request_duration_seconds, selector: 'job="checkout"',
          #           threshold: 0.3, buckets: [0.1, 0.3, 1]}
          # raw: {error_ratio_query: ...}   # Sloth's raw SLI: one error-ratio query
          # builtin: {}              # counts posted to POST /api/slos/{id}/events
        timeslices: {slice: 1m, target: 95}   # optional: budget good minutes, not events
        alerting:
          name: CheckoutAvailability # the alerts' alertname
          labels: {category: availability}
          annotations: {runbook_url: https://runbooks.example/checkout}
          page_alert: {labels: {severity: critical}}
          ticket_alert: {labels: {severity: warning}, disable: false}

Every problem names its key (``slos.0.objective: ...``), and the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pydantic

from tocsin.config.durations import parse_duration
from tocsin.config.validation import Problem, validated
from tocsin.domain.slo import bucket_le
from tocsin.domain.slo_specs import (
    WINDOW_PLACEHOLDER,
    BuiltinSli,
    EventsSli,
    LatencySli,
    RawSli,
    Sli,
    SloAlert,
    SloSpec,
    SloWindow,
    Timeslices,
)

__all__ = ["compile_slos"]

Keys = list[str | int]
_NAME = r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$"
_WINDOWS = {"7d": 7, "28d": 28, "30d": 30}
_METRIC = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
MINUTE = timedelta(minutes=1)


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")


class _Events(_Strict):
    error_query: str | None = None
    good_query: str | None = None
    total_query: str


class _Latency(_Strict):
    metric: str
    threshold: float = pydantic.Field(gt=0)
    selector: str = ""
    #: The histogram's bucket bounds, when known: the threshold must be one of them.
    buckets: list[float] | None = None


class _Raw(_Strict):
    error_ratio_query: str


class _Sli(_Strict):
    events: _Events | None = None
    latency: _Latency | None = None
    raw: _Raw | None = None
    builtin: dict[str, Any] | None = None
    #: Sloth's SLI plugins are Go code that Sloth runs: refused with a way out.
    plugin: dict[str, Any] | None = None


class _Timeslices(_Strict):
    slice: str = "1m"
    #: Percent, like the objective: a slice is good when this share of its events is.
    target: float


class _Alert(_Strict):
    labels: dict[str, str] = pydantic.Field(default_factory=dict)
    annotations: dict[str, str] = pydantic.Field(default_factory=dict)
    disable: bool = False


class _Alerting(_Strict):
    name: str | None = None
    labels: dict[str, str] = pydantic.Field(default_factory=dict)
    annotations: dict[str, str] = pydantic.Field(default_factory=dict)
    page_alert: _Alert = pydantic.Field(default_factory=_Alert)
    ticket_alert: _Alert = pydantic.Field(default_factory=_Alert)


class _Slo(_Strict):
    service: str = pydantic.Field(pattern=_NAME)
    name: str = pydantic.Field(pattern=_NAME)
    objective: float
    window: str = "30d"
    description: str = ""
    labels: dict[str, str] = pydantic.Field(default_factory=dict)
    sli: _Sli
    alerting: _Alerting = pydantic.Field(default_factory=_Alerting)
    timeslices: _Timeslices | None = None


def _window(text: str, keys: Keys, problem: Problem) -> SloWindow | None:
    if text in ("month", "calendar_month"):
        return SloWindow()
    days = _WINDOWS.get(text)
    if days is None:
        problem(keys, f"{text!r} is not a window: use 7d, 28d, 30d or month")
        return None
    return SloWindow(rolling=timedelta(days=days))


def _query(text: str | None, keys: Keys, problem: Problem) -> str | None:
    if text is None:
        return None
    if not text.strip():
        problem(keys, "must not be empty")
        return None
    if WINDOW_PLACEHOLDER not in text:
        problem(keys, f"must have {WINDOW_PLACEHOLDER} where the rate window goes")
        return None
    return text.strip()


_PLUGIN = (
    "Sloth SLI plugins are Go code that only Sloth runs: give the query the plugin makes "
    "as events (error_query and total_query) or raw (error_ratio_query)"
)


def _sli(cfg: _Sli, keys: Keys, problem: Problem) -> Sli | None:
    if cfg.plugin is not None:
        problem([*keys, "plugin"], _PLUGIN)
        return None
    given = [k for k in ("events", "latency", "raw", "builtin") if getattr(cfg, k) is not None]
    if len(given) != 1:
        problem(keys, "give exactly one of events, latency, raw or builtin")
        return None
    if cfg.raw is not None:
        query = _query(cfg.raw.error_ratio_query, [*keys, "raw", "error_ratio_query"], problem)
        return RawSli(query) if query is not None else None
    if cfg.events is not None:
        e = cfg.events
        where = [*keys, "events"]
        if (e.error_query is None) == (e.good_query is None):
            problem(where, "give exactly one of error_query and good_query")
            return None
        total = _query(e.total_query, [*where, "total_query"], problem)
        error = _query(e.error_query, [*where, "error_query"], problem)
        good = _query(e.good_query, [*where, "good_query"], problem)
        if total is None or (error is None and good is None):
            return None
        return EventsSli(total_query=total, error_query=error, good_query=good)
    if cfg.latency is not None:
        lat = cfg.latency
        where = [*keys, "latency"]
        ok = True
        if not _METRIC.match(lat.metric):
            problem([*where, "metric"], f"{lat.metric!r} is not a Prometheus metric name")
            ok = False
        if lat.buckets is not None:
            try:
                bucket_le(lat.threshold, [str(b) for b in lat.buckets])
            except ValueError as exc:
                problem([*where, "threshold"], str(exc))
                ok = False
        if not ok:
            return None
        metric = lat.metric.removesuffix("_bucket")
        return LatencySli(metric=metric, threshold=lat.threshold, selector=lat.selector.strip())
    return BuiltinSli()


def _timeslices(cfg: _Timeslices | None, keys: Keys, problem: Problem) -> Timeslices | None:
    """None (and a problem) when wrong; ``budgeting`` is None when not asked for."""
    if cfg is None:
        return None
    try:
        length = parse_duration(cfg.slice)
    except ValueError as exc:
        problem([*keys, "slice"], str(exc))
        return None
    if not MINUTE <= length <= timedelta(hours=1) or length % MINUTE:
        problem([*keys, "slice"], "must be whole minutes, from 1m to 1h")
        return None
    if not 0 < cfg.target <= 100:
        problem([*keys, "target"], f"must be above 0 and at most 100, not {cfg.target:g}")
        return None
    return Timeslices(length, round(cfg.target / 100, 12))


def _alert(cfg: _Alert) -> SloAlert | None:
    return None if cfg.disable else SloAlert(dict(cfg.labels), dict(cfg.annotations))


def _alert_name(service: str, name: str) -> str:
    words = re.split(r"[^a-zA-Z0-9]+", f"{service} {name}")
    return "".join(w[:1].upper() + w[1:] for w in words if w) + "SLOBurn"


def compile_slos(raw: Any, problem: Problem) -> Mapping[str, SloSpec]:
    """The SLOs by id (``<service>-<name>``)."""
    if raw is None:
        return {}
    if not isinstance(raw, list):
        problem(["slos"], "must be a list of SLOs")
        return {}
    out: dict[str, SloSpec] = {}
    for i, entry in enumerate(raw):
        keys: Keys = ["slos", i]
        cfg = validated(_Slo, entry, keys, problem)
        if cfg is None:
            continue
        if not 0 < cfg.objective < 100:
            problem([*keys, "objective"], f"must be above 0 and below 100, not {cfg.objective:g}")
            continue
        window = _window(cfg.window, [*keys, "window"], problem)
        sli = _sli(cfg.sli, [*keys, "sli"], problem)
        budgeting = _timeslices(cfg.timeslices, [*keys, "timeslices"], problem)
        if window is None or sli is None or (cfg.timeslices is not None and budgeting is None):
            continue
        spec = SloSpec(
            service=cfg.service,
            name=cfg.name,
            target=cfg.objective,
            window=window,
            sli=sli,
            description=cfg.description,
            labels=dict(cfg.labels),
            alert_name=cfg.alerting.name or _alert_name(cfg.service, cfg.name),
            alert_labels=dict(cfg.alerting.labels),
            annotations=dict(cfg.alerting.annotations),
            page=_alert(cfg.alerting.page_alert),
            ticket=_alert(cfg.alerting.ticket_alert),
            budgeting=budgeting,
        )
        if spec.id in out:
            problem([*keys, "name"], f"SLO {spec.id!r} is defined twice")
            continue
        out[spec.id] = spec
    return out
