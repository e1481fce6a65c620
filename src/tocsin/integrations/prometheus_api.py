"""Prometheus' HTTP query API (https://prometheus.io/docs/prometheus/latest/querying/api/):
instant queries (``/api/v1/query``) and range queries (``/api/v1/query_range``), posted as
forms so long expressions fit. Every answer that is not ``"status": "success"`` becomes a
``Unavailable`` naming what Prometheus said; a time is always passed, never Prometheus'
own "now" (Tocsin's clock decides). A Prometheus that cannot be reached (refused, timed out)
is not asked again for ``RESTING`` seconds: the same error comes at once, so a page showing
many SLOs waits out one timeout, not one per query.

The URL is the administrator's (tocsin.yaml), asked through Tocsin's guarded client
(``tocsin.outbound``): never link-local or cloud metadata addresses, answers of at most
``MAX_ANSWER`` bytes (a range query of many series is large)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tocsin.errors import Unavailable
from tocsin.outbound import Outbound, guarded_client

__all__ = ["PrometheusApi", "Sample", "Series"]

#: Prometheus refuses a range query of more than 11,000 points per series.
MAX_POINTS = 10_000
RESTING = 15.0
#: Largest answer read: a range query of 10,000 points for a few dozen series.
MAX_ANSWER = 64 * 1024 * 1024


@dataclass(frozen=True)
class Sample:
    labels: Mapping[str, str]
    #: None for NaN (0/0: no events).
    value: float | None


@dataclass(frozen=True)
class Series:
    labels: Mapping[str, str]
    points: Sequence[tuple[datetime, float | None]]


def _number(text: Any) -> float | None:
    value = float(text)
    return None if math.isnan(value) else value


class PrometheusApi:
    def __init__(
        self,
        url: str,
        *,
        timeout: timedelta = timedelta(seconds=10),
        monotonic: Callable[[], float] = time.monotonic,
        outbound: Outbound | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.monotonic = monotonic
        self._http = guarded_client(
            outbound or Outbound.from_environment(),
            timeout=timeout.total_seconds(),
            max_response_bytes=MAX_ANSWER,
        )
        self._down: tuple[float, str] | None = None

    def close(self) -> None:
        self._http.close()

    def _data(self, path: str, form: dict[str, str]) -> Any:
        form["timeout"] = f"{max(1, int(self.timeout.total_seconds()))}s"
        if self._down is not None and self.monotonic() < self._down[0]:
            raise Unavailable(self._down[1])
        try:
            reply = self._http.post(f"{self.url}{path}", data=form)
        except httpx.HTTPError as exc:
            why = f"Prometheus at {self.url} cannot be reached: {exc or type(exc).__name__}"
            self._down = (self.monotonic() + RESTING, why)
            raise Unavailable(why) from None
        self._down = None
        try:
            body = reply.json()
        except ValueError:
            raise Unavailable(
                f"Prometheus at {self.url} answered {reply.status_code} without JSON"
            ) from None
        if not isinstance(body, dict) or body.get("status") != "success":
            said = body.get("error") if isinstance(body, dict) else None
            raise Unavailable(
                f"Prometheus at {self.url} answered {reply.status_code}: {said or repr(body)} "
                f"(query: {form.get('query', '')[:300]})"
            )
        return body.get("data") or {}

    def instant(self, query: str, at: datetime) -> list[Sample]:
        """The query's value at ``at`` (a vector, or a scalar as one sample)."""
        data = self._data("/api/v1/query", {"query": query, "time": _stamp(at)})
        kind, result = data.get("resultType"), data.get("result") or []
        if kind == "scalar":
            return [Sample({}, _number(result[1]))]
        if kind != "vector":
            raise Unavailable(f"Prometheus answered a {kind}, not a vector, for {query[:300]}")
        return [Sample(r.get("metric") or {}, _number(r["value"][1])) for r in result]

    def range(self, query: str, start: datetime, end: datetime, step: timedelta) -> list[Series]:
        """The query evaluated at start, start + step ... up to end, in chunks Prometheus
        accepts."""
        out: dict[tuple[tuple[str, str], ...], list[tuple[datetime, float | None]]] = {}
        chunk = start
        while chunk <= end:
            last = min(end, chunk + step * (MAX_POINTS - 1))
            form = {
                "query": query,
                "start": _stamp(chunk),
                "end": _stamp(last),
                "step": f"{step.total_seconds():g}s",
            }
            for r in self._data("/api/v1/query_range", form).get("result") or []:
                labels = r.get("metric") or {}
                points = out.setdefault(tuple(sorted(labels.items())), [])
                points += [(_time(t), _number(v)) for t, v in r.get("values") or []]
            chunk = last + step
        return [Series(dict(key), points) for key, points in out.items()]


def _stamp(at: datetime) -> str:
    return f"{at.timestamp():.3f}"


def _time(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, UTC)
