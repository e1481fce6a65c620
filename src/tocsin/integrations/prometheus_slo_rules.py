"""Prometheus recording and alerting rules for SLOs, in Sloth's names and structure
(https://sloth.dev/introduction/architecture/), so Sloth's Grafana dashboards and anything
reading its series work unchanged.

Per SLO, three rule groups:

* ``sloth-slo-sli-recordings-<id>``: ``slo:sli_error:ratio_rate<W>`` for each alert window
  (the SLI's queries with ``{{.window}}`` filled in), and for the period an average of the
  5-minute series over it (``sum_over_time / count_over_time``, as Sloth does);
* ``sloth-slo-meta-recordings-<id>``: ``slo:objective:ratio``, ``slo:error_budget:ratio``,
  ``slo:time_period:days``, ``slo:current_burn_rate:ratio``, ``slo:period_burn_rate:ratio``,
  ``slo:period_error_budget_remaining:ratio`` and ``sloth_slo_info``;
* ``sloth-slo-alerts-<id>``: one page and one ticket alert, each the OR of its multiwindow
  conditions (``error_ratio_short > factor x b and error_ratio_long > factor x b``).

Every series carries ``sloth_id``, ``sloth_service`` and ``sloth_slo`` (and ``sloth_window``
on the SLI series) and the SLO's labels. A latency SLI's error ratio is one minus the share
of requests in the bucket whose ``le`` is the threshold. A calendar-month SLO's period
series use 30 days (Prometheus ranges cannot follow the calendar). SLOs on built-in events
have no Prometheus series: Tocsin evaluates them itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import yaml

from tocsin.domain.slo import BurnWindow, Severity
from tocsin.domain.slo_specs import (
    WINDOW_PLACEHOLDER,
    EventsSli,
    LatencySli,
    RawSli,
    SloAlert,
    SloSpec,
)

__all__ = ["le_matcher", "prometheus_duration", "slo_rule_groups", "slo_rules_yaml"]

_UNITS = ((timedelta(days=1), "d"), (timedelta(hours=1), "h"), (timedelta(minutes=1), "m"))


def prometheus_duration(span: timedelta) -> str:
    """``5m``, ``1h``, ``3d``: the largest unit that divides the span."""
    for unit, suffix in _UNITS:
        if span % unit == timedelta(0):
            return f"{span // unit}{suffix}"
    return f"{int(span.total_seconds())}s"


def _error_ratio_expr(spec: SloSpec, window: str) -> str:
    sli = spec.sli
    if isinstance(sli, EventsSli):
        total = sli.total_query.replace(WINDOW_PLACEHOLDER, window)
        if sli.error_query is not None:
            errors = sli.error_query.replace(WINDOW_PLACEHOLDER, window)
            return f"({errors})\n/\n({total})\n"
        good = (sli.good_query or "").replace(WINDOW_PLACEHOLDER, window)
        return f"1 - (\n  ({good})\n  /\n  ({total})\n)\n"
    if isinstance(sli, RawSli):
        return f"({sli.error_ratio_query.replace(WINDOW_PLACEHOLDER, window)})\n"
    assert isinstance(sli, LatencySli)
    selector = f"{sli.selector}," if sli.selector else ""
    bucket = f"{sli.metric}_bucket"
    return (
        f"1 - (\n  sum(rate({bucket}{{{selector}{le_matcher(sli.threshold)}}}[{window}]))\n"
        f'  /\n  sum(rate({bucket}{{{selector}le="+Inf"}}[{window}]))\n)\n'
    )


def le_matcher(threshold: float) -> str:
    """The ``le`` matcher of the threshold's bucket. Exporters write bounds differently (Go
    ``le="1"``, Python and Prometheus 3 ``le="1.0"``): a whole number matches both."""
    forms = sorted({f"{threshold:g}", repr(float(threshold))})
    if len(forms) == 1:
        return f'le="{forms[0]}"'
    return 'le=~"' + "|".join(f.replace(".", "\\\\.") for f in forms) + '"'


def _number(value: float) -> str:
    """A ratio as PromQL reads it, without binary noise (0.001, not 0.0009999999999998899)."""
    return repr(round(value, 12))


def _ids(spec: SloSpec) -> dict[str, str]:
    return {"sloth_id": spec.id, "sloth_service": spec.service, "sloth_slo": spec.name}


def _selector(spec: SloSpec) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in _ids(spec).items()) + "}"


def _windows(spec: SloSpec) -> list[timedelta]:
    spans = {timedelta(minutes=5)}
    for window in spec.windows():
        spans |= {window.short, window.long}
    return sorted(spans)


def _alert_expr(spec: SloSpec, windows: Iterable[BurnWindow]) -> str:
    budget = _number(1 - spec.target / 100)
    sel = _selector(spec)
    parts = []
    for w in windows:
        factor = f"{w.factor:g}" if w.factor == round(w.factor, 6) else repr(w.factor)
        threshold = f"({factor} * {budget})"
        short, long = prometheus_duration(w.short), prometheus_duration(w.long)
        parts.append(
            "(\n"
            f"    (slo:sli_error:ratio_rate{short}{sel} > {threshold})\n"
            "    and ignoring (sloth_window)\n"
            f"    (slo:sli_error:ratio_rate{long}{sel} > {threshold})\n"
            ")"
        )
    return "\nor ignoring (sloth_window)\n".join(parts) + "\n"


def _alert_rule(spec: SloSpec, severity: Severity, alert: SloAlert) -> dict[str, Any]:
    windows = [w for w in spec.windows() if w.severity is severity]
    annotations = {
        "title": f"({severity.value}) {{{{$labels.sloth_service}}}} {{{{$labels.sloth_slo}}}} "
        "SLO error budget burn rate is too fast.",
        **spec.annotations,
        **alert.annotations,
    }
    return {
        "alert": spec.alert_name,
        "expr": _alert_expr(spec, windows),
        "labels": {
            **spec.alert_labels,
            **alert.labels,
            "sloth_severity": severity.value,
        },
        "annotations": annotations,
    }


def slo_rule_groups(spec: SloSpec) -> list[dict[str, Any]]:
    """The SLO's rule groups (none for built-in events, nor for timeslice budgeting, which
    Sloth's rules do not have: Tocsin evaluates those itself)."""
    if not isinstance(spec.sli, EventsSli | LatencySli | RawSli) or spec.budgeting is not None:
        return []
    labels = {**spec.labels, **_ids(spec)}
    sel = _selector(spec)
    period = prometheus_duration(spec.window.nominal)
    sli_rules: list[dict[str, Any]] = [
        {
            "record": f"slo:sli_error:ratio_rate{prometheus_duration(w)}",
            "expr": _error_ratio_expr(spec, prometheus_duration(w)),
            "labels": {**labels, "sloth_window": prometheus_duration(w)},
        }
        for w in _windows(spec)
    ]
    sli_rules.append(
        {
            "record": f"slo:sli_error:ratio_rate{period}",
            "expr": f"sum_over_time(slo:sli_error:ratio_rate5m{sel}[{period}])\n"
            "/ ignoring (sloth_window)\n"
            f"count_over_time(slo:sli_error:ratio_rate5m{sel}[{period}])\n",
            "labels": {**labels, "sloth_window": period},
        }
    )
    objective = _number(spec.target / 100)
    on = "on(sloth_id, sloth_slo, sloth_service) group_left"
    meta: list[dict[str, Any]] = [
        {"record": "slo:objective:ratio", "expr": f"vector({objective})", "labels": labels},
        {"record": "slo:error_budget:ratio", "expr": f"vector(1-{objective})", "labels": labels},
        {
            "record": "slo:time_period:days",
            "expr": f"vector({spec.window.nominal.days})",
            "labels": labels,
        },
        {
            "record": "slo:current_burn_rate:ratio",
            "expr": f"slo:sli_error:ratio_rate5m{sel}\n/ {on}\nslo:error_budget:ratio{sel}\n",
            "labels": labels,
        },
        {
            "record": "slo:period_burn_rate:ratio",
            "expr": f"slo:sli_error:ratio_rate{period}{sel}\n/ {on}\nslo:error_budget:ratio{sel}\n",
            "labels": labels,
        },
        {
            "record": "slo:period_error_budget_remaining:ratio",
            "expr": f"1 - slo:period_burn_rate:ratio{sel}",
            "labels": labels,
        },
        {
            "record": "sloth_slo_info",
            "expr": "vector(1)",
            "labels": {
                **labels,
                "sloth_mode": "cli-gen-prom",
                "sloth_spec": "prometheus/v1",
                "sloth_version": "tocsin",
                "sloth_objective": f"{spec.target:g}",
            },
        },
    ]
    alerts = [
        _alert_rule(spec, severity, alert)
        for severity, alert in ((Severity.PAGE, spec.page), (Severity.TICKET, spec.ticket))
        if alert is not None
    ]
    groups = [
        {"name": f"sloth-slo-sli-recordings-{spec.id}", "rules": sli_rules},
        {"name": f"sloth-slo-meta-recordings-{spec.id}", "rules": meta},
    ]
    if alerts:
        groups.append({"name": f"sloth-slo-alerts-{spec.id}", "rules": alerts})
    return groups


class _Literal(str):
    """A string written as a YAML block (``|``), for readable multi-line expressions."""


def _literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Literal, _literal)


def _blocks(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _blocks(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_blocks(v) for v in value]
    if isinstance(value, str) and "\n" in value:
        return _Literal(value)
    return value


def slo_rules_yaml(specs: Mapping[str, SloSpec]) -> str:
    """A Prometheus rule file for these SLOs."""
    groups = [g for spec in specs.values() for g in slo_rule_groups(spec)]
    header = "# Generated by `tocsin slo rules` (Sloth-compatible). Do not edit.\n"
    body = yaml.dump(
        _blocks({"groups": groups}), Dumper=_Dumper, sort_keys=False, allow_unicode=True
    )
    return header + body
