"""``prometheus:`` in tocsin.yaml: where Tocsin reads SLIs kept in Prometheus::

prometheus:
  url: http://127.0.0.1:9090     # Prometheus' HTTP API (/api/v1/query, /api/v1/query_range)
  timeout: 10s
  slo_alerts: tocsin             # or rules: Prometheus evaluates the burn-rate alerts
                                 # with the rules `tocsin slo rules` writes
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

import pydantic

from tocsin.config.durations import parse_duration
from tocsin.config.validation import Problem, validated
from tocsin.domain.slo_specs import PrometheusSource

__all__ = ["compile_prometheus"]


class _Prometheus(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    url: str
    timeout: str = "10s"
    slo_alerts: Literal["tocsin", "rules"] = "tocsin"


def compile_prometheus(raw: Any, problem: Problem) -> PrometheusSource | None:
    if raw is None:
        return None
    keys: list[str | int] = ["prometheus"]
    cfg = validated(_Prometheus, raw, keys, problem)
    if cfg is None:
        return None
    parts = urlsplit(cfg.url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problem([*keys, "url"], f"{cfg.url!r} is not an http(s) URL")
        return None
    try:
        timeout = parse_duration(cfg.timeout)
    except ValueError as exc:
        problem([*keys, "timeout"], str(exc))
        return None
    if not timedelta(seconds=1) <= timeout <= timedelta(minutes=2):
        problem([*keys, "timeout"], "must be from 1s to 2m")
        return None
    return PrometheusSource(cfg.url.rstrip("/"), timeout, cfg.slo_alerts == "tocsin")
