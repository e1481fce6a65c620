"""SLIs read from Prometheus through its HTTP API, as event counts over spans of time.

The expressions come from the SLO's spec with ``{{.window}}`` set to the span: an events
SLI's error (or good) and total queries, a latency SLI's threshold bucket and ``+Inf``
bucket, each wrapped in ``sum(...)`` so several series add up (a ratio of sums). Rates are
per second, so rate x seconds is the events in the span. A raw SLI has only a ratio; it
counts seconds instead of events (every second weighs the same, as Sloth's period ratio
does). No events in the span: ``Counts(0, 0)``, an undefined ratio.

A latency threshold is matched against the ``le`` values Prometheus holds, as numbers
(``le="1"`` from a Go exporter and ``le="1.0"`` from a Python one both match 1); one that
is not a bucket boundary is an error, never interpolated."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from tocsin.domain.slo import Counts, bucket_le
from tocsin.domain.slo_specs import WINDOW_PLACEHOLDER, EventsSli, LatencySli, RawSli, SloSpec
from tocsin.errors import Unavailable
from tocsin.integrations.prometheus_api import PrometheusApi
from tocsin.integrations.prometheus_slo_rules import prometheus_duration

__all__ = ["PrometheusSliReader", "range_of"]


def range_of(span: timedelta) -> str:
    """A span as a PromQL range, to the second (at least 1s)."""
    return prometheus_duration(timedelta(seconds=max(1, round(span.total_seconds()))))


def _fill(query: str, window: str) -> str:
    return query.replace(WINDOW_PLACEHOLDER, window)


class PrometheusSliReader:
    def __init__(self, api: PrometheusApi) -> None:
        self.api = api
        self._le: dict[tuple[str, str, float], str] = {}

    # The queries -------------------------------------------------------------------------

    def _bucket(self, sli: LatencySli, at: datetime) -> str | None:
        """The ``le`` of the threshold's bucket; None while the histogram has no series."""
        key = (sli.metric, sli.selector, sli.threshold)
        if key not in self._le:
            found = self.api.instant(f"count by (le) ({sli.metric}_bucket{{{sli.selector}}})", at)
            bounds = [s.labels["le"] for s in found if "le" in s.labels]
            if not bounds:
                return None
            try:
                self._le[key] = bucket_le(sli.threshold, bounds)
            except ValueError as exc:
                raise Unavailable(
                    f"{sli.metric}: {exc} (its buckets: {', '.join(sorted(bounds, key=_num))})"
                ) from None
        return self._le[key]

    def _pair(self, spec: SloSpec, window: str, at: datetime) -> tuple[str, str, bool] | None:
        """(part, total, part is the bad events) or None (a histogram with no series yet)."""
        sli = spec.sli
        if isinstance(sli, EventsSli):
            total = f"sum({_fill(sli.total_query, window)})"
            if sli.error_query is not None:
                return f"sum({_fill(sli.error_query, window)})", total, True
            return f"sum({_fill(sli.good_query or '', window)})", total, False
        assert isinstance(sli, LatencySli)
        le = self._bucket(sli, at)
        if le is None:
            return None
        selector = f"{sli.selector}," if sli.selector else ""

        def bucket(bound: str) -> str:
            return f'sum(rate({sli.metric}_bucket{{{selector}le="{bound}"}}[{window}]))'

        return bucket(le), bucket("+Inf"), False

    @staticmethod
    def _counts(part: float | None, total: float | None, bad: bool, seconds: float) -> Counts:
        if total is None or total <= 0:
            return Counts(0, 0)
        part = min(max(part or 0.0, 0.0), total)
        good = total - part if bad else part
        return Counts(good * seconds, total * seconds)

    @staticmethod
    def _ratio_counts(ratio: float | None, seconds: float) -> Counts:
        if ratio is None or math.isinf(ratio):
            return Counts(0, 0)
        return Counts((1 - min(max(ratio, 0.0), 1.0)) * seconds, seconds)

    def _one(self, query: str, at: datetime) -> float | None:
        found = self.api.instant(query, at)
        if len(found) > 1:
            raise Unavailable(f"{query[:300]} gave {len(found)} series; it must give one")
        return found[0].value if found else None

    # The reader --------------------------------------------------------------------------

    def counts(self, spec: SloSpec, start: datetime, end: datetime) -> Counts:
        """The events in [start, end), read at ``end`` over a range of the span."""
        if end <= start:
            return Counts(0, 0)
        window, seconds = range_of(end - start), (end - start).total_seconds()
        if isinstance(spec.sli, RawSli):
            return self._ratio_counts(
                self._one(_fill(spec.sli.error_ratio_query, window), end), seconds
            )
        pair = self._pair(spec, window, end)
        if pair is None:
            return Counts(0, 0)
        part, total, bad = pair
        return self._counts(self._one(part, end), self._one(total, end), bad, seconds)

    def series(
        self, spec: SloSpec, start: datetime, end: datetime, step: timedelta
    ) -> list[Counts]:
        """The events in each step from ``start`` ([start, start + step) ...), the last one
        cut at ``end``."""
        whole = int((end - start) / step)
        out = [Counts(0, 0)] * whole
        if whole:
            window, seconds = range_of(step), step.total_seconds()
            first, last = start + step, start + step * whole

            def values(query: str) -> dict[int, float | None]:
                found: dict[int, float | None] = {}
                for series in self.api.range(query, first, last, step):
                    for at, value in series.points:
                        found[round((at - start) / step) - 1] = value
                return found

            if isinstance(spec.sli, RawSli):
                ratios = values(_fill(spec.sli.error_ratio_query, window))
                for i, ratio in ratios.items():
                    if 0 <= i < whole:
                        out[i] = self._ratio_counts(ratio, seconds)
            else:
                pair = self._pair(spec, window, last)
                if pair is not None:
                    parts, totals = values(pair[0]), values(pair[1])
                    for i, total in totals.items():
                        if 0 <= i < whole:
                            out[i] = self._counts(parts.get(i), total, pair[2], seconds)
        tail = start + step * whole
        if tail < end:
            out.append(self.counts(spec, tail, end))
        return out


def _num(le: str) -> float:
    try:
        return float(le)
    except ValueError:
        return math.inf
